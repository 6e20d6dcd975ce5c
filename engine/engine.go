// Package engine runs a load shape: it starts and stops virtual users as
// the executor says, paces them with the run's rate caps, and drains their
// measurements at every interval. It prints nothing; callers watch a run
// through the snapshots (metrics.Snapshot, figures with their legend) its
// Tick callback gets after every drain, and its Outcome.
package engine

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cohort-dev/cohort/clock"
	"github.com/cohort-dev/cohort/findings"
	"github.com/cohort-dev/cohort/metrics"
	"github.com/cohort-dev/cohort/profiles"
	"github.com/cohort-dev/cohort/transport"
	"github.com/cohort-dev/cohort/virtualuser"
)

// Config is one run.
type Config struct {
	Plan  *virtualuser.Plan
	Users *virtualuser.UserPool
	Load  profiles.Load
	// Pool hands each VU its transport and counts connections.
	Pool      *transport.Pool
	Collector *metrics.Collector
	// Interval is how often measurements are drained and Tick is called.
	Interval time.Duration
	// Tick, if set, is called after every drain, from the run's goroutine,
	// with the run's snapshot.
	Tick func(metrics.Snapshot)
	// Findings, if set, is told by every VU what the wire shows of the
	// application's sessions (docs/findings.md).
	Findings *findings.Observer
	// KeepRaw makes each snapshot's Interval hold the interval's requests
	// one by one (Aggregate.Raw), for --samples-raw.
	KeepRaw bool
	// Clock is the run's one source of time: what the VUs measure, their
	// think times and timeouts, the schedules, the rate caps and the
	// drains; nil means the system's. Tests give a fake one.
	Clock clock.Clock
	// Debug, if set, sees every exchange of the first VU (--http-debug);
	// DebugStep, with it, every step of that VU once judged.
	Debug     func(*virtualuser.VU, virtualuser.Exchange)
	DebugStep func(*virtualuser.VU, virtualuser.StepResult)
	// Bare turns off per-VU cookie jars, tracing and recording, to measure
	// what they cost (scripts/bench overhead); a bare run has no figures.
	Bare bool
	// Segment is this instance's part of a distributed run; Load must
	// already be scaled to it (Segment.Scale). The zero value is the
	// whole run.
	Segment Segment
	// Warm is the warm population kept beside the VUs, if any.
	Warm Warm
	// Steer, if set, changes the load while the run goes (the capacity
	// search): called after every drain, from the run's goroutine, it
	// returns the level Vary should have now, and false to end the run.
	Steer func(metrics.Snapshot) (level float64, more bool)
	// Vary is what Steer sets: profiles.VaryVUs (closed model),
	// profiles.VaryWarm, or profiles.VaryLoginRate (the login rate cap, or
	// the session pool's login arrival rate).
	Vary string
	// Scenarios, if any, run at once in place of Plan, Users, Load and
	// Collector: each with its own executor, from its start offset. They
	// share the Pool, the Clock, the Interval and Tick, and the Segment
	// (each Load already scaled to it); Warm and Steer are not for them.
	Scenarios []Scenario
}

// Scenario is one population of a run with scenarios.
type Scenario struct {
	Name       string
	StartAfter time.Duration
	Plan       *virtualuser.Plan
	Users      *virtualuser.UserPool
	Load       profiles.Load
	// Collector is the scenario's own, sized to the last scenario's plan
	// (whose series name every scenario's) and a Sibling of the first
	// scenario's.
	Collector *metrics.Collector
}

// Outcome is what a run produced.
type Outcome struct {
	Total       *metrics.Aggregate
	Started     time.Time
	Duration    time.Duration
	MaxVUs      int
	Interrupted bool
	// NeverLoggedIn counts the closed model's VUs whose every login
	// failed.
	NeverLoggedIn int
	// LoginRate is what login_rate: auto did; nil without it.
	LoginRate *AutoRate
	// WarmHeld is how many warm sessions were logged in at the end, and
	// Warm what the warm population did (nil without one).
	WarmHeld int
	Warm     *metrics.Aggregate
	// Legend names the figures' series, checks and instances.
	Legend *metrics.Legend
	// Scenarios is what each scenario did, in order; nil without
	// scenarios (Total holds them all).
	Scenarios []ScenarioOutcome
}

// ScenarioOutcome is what one scenario of a run did.
type ScenarioOutcome struct {
	Name string
	// Started says its start offset came before the run ended.
	Started       bool
	Total         *metrics.Aggregate
	MaxVUs        int
	NeverLoggedIn int
}

// run is the state of one Run call.
type run struct {
	cfg      Config
	clock    clock.Clock
	shape    Shape
	hard     context.Context // cancelled to abandon in-flight work
	hooks    virtualuser.Hooks
	tickets  atomic.Int64 // iterations left; <0 when unbounded
	vus      []*worker
	wg       sync.WaitGroup
	active   atomic.Int64
	loggedIn atomic.Int64
	neverIn  atomic.Int64 // VUs that tried to log in and never did
	maxVUs   int
	nextID   int
	spent    chan struct{} // closed when the last iteration is taken
	idle     chan struct{} // closed when iterations are used up and VUs gone
	idleOnce sync.Once
	interval *metrics.Aggregate // reused for every drain
	legend   *metrics.Legend
	warm     *warmPool
	warmInt  *metrics.Aggregate // the warm interval, reused
	stopWarm func()             // ends the warm population's workers

	// Set by Steer, read by the run's goroutine.
	steerVUs   int
	steerLogin float64
	steerDone  bool
	logins     *pacer      // the login rate cap; nil without one
	auto       *autoLogins // login_rate: auto; nil without it

	// scenario says the run is one scenario's, drained by the run of all
	// of them (runScenarios), not by itself.
	scenario bool
}

// Run carries out the load shape of cfg until its duration or iterations
// are done, or ctx is cancelled (an interruption: in-flight requests are
// abandoned, and what was measured is still returned).
func Run(ctx context.Context, cfg Config) (*Outcome, error) {
	if cfg.Interval <= 0 {
		cfg.Interval = time.Second
	}
	if len(cfg.Scenarios) > 0 {
		return runScenarios(ctx, cfg)
	}
	if cfg.Plan == nil || cfg.Users == nil || cfg.Pool == nil || cfg.Collector == nil {
		return nil, errors.New("engine: Plan, Users, Pool and Collector are required")
	}
	hard, abandon := context.WithCancel(context.Background())
	defer abandon()
	r := newRun(cfg, hard)
	if r.auto != nil && !r.auto.wanted { // the session pool spaces its own arrivals
		actx, stop := context.WithCancel(hard)
		granting := make(chan struct{})
		go func() { r.auto.run(actx); close(granting) }()
		defer func() { stop(); <-granting }()
	}
	if cfg.Steer != nil {
		if err := r.checkSteer(); err != nil {
			return nil, err
		}
	}
	r.legend = &metrics.Legend{Series: cfg.Plan.Series, Checks: cfg.Plan.Checks, Instances: cfg.Collector.InstanceNames, WarmTouch: -1}
	for _, j := range cfg.Plan.Journeys {
		r.legend.Journeys = append(r.legend.Journeys, j.Name)
	}
	if cfg.Warm.Touch != nil {
		r.legend.WarmTouch = int(cfg.Warm.Touch.Series)
	}
	out := &Outcome{Total: metrics.NewAggregate(len(cfg.Plan.Series)), Started: r.clock.Now(), Legend: r.legend}
	r.interval = metrics.NewAggregate(len(cfg.Plan.Series))
	if cfg.KeepRaw {
		cfg.Collector.KeepRaw()
		r.interval.KeepRaw()
	}
	if cfg.Warm.Sessions > 0 {
		if cfg.Warm.Collector == nil || cfg.Warm.Touch == nil || cfg.Warm.Workers <= 0 {
			return nil, errors.New("engine: a warm population needs a Collector, a Touch step and workers")
		}
		r.warmInt, out.Warm = metrics.NewAggregate(len(cfg.Plan.Series)), metrics.NewAggregate(len(cfg.Plan.Series))
		wctx, cancel := context.WithCancel(hard)
		r.warm = r.startWarm(wctx)
		r.stopWarm = func() { cancel(); r.warm.stop() }
	}
	out.Interrupted = executorOf(r).drive(ctx, out, abandon)
	if r.warm != nil {
		out.WarmHeld = int(r.warm.held.Load())
	}
	out.Duration = r.clock.Now().Sub(out.Started)
	out.MaxVUs = r.maxVUs
	out.NeverLoggedIn = int(r.neverIn.Load())
	if r.auto != nil {
		lr := &AutoRate{}
		lr.Final, lr.Peak, lr.Cuts = r.auto.stats()
		out.LoginRate = lr
	}
	return out, nil
}

// newRun is the state of a run of cfg's load, its in-flight work under
// hard: the iterations' tickets, the rate caps.
func newRun(cfg Config, hard context.Context) *run {
	r := &run{cfg: cfg, clock: clock.Or(cfg.Clock), shape: ShapeOf(cfg.Load), hard: hard,
		spent: make(chan struct{}), idle: make(chan struct{})}
	r.tickets.Store(-1)
	if n := cfg.Load.Iterations; n > 0 && cfg.Load.Executor != profiles.PerVUIterations {
		r.tickets.Store(int64(n)) // shared by all VUs; per VU, each worker counts its own
	}
	r.hooks = virtualuser.Hooks{Clock: r.clock, WaitRequest: newPacer(cfg.Load.MaxRPS, r.clock).waitFunc(), Findings: cfg.Findings}
	switch {
	case cfg.Load.LoginRateAuto:
		r.auto = newAutoLogins(r.clock)
		if cfg.Load.Executor == profiles.SessionPool {
			r.auto.wanted = true // new users always wait: they are arrivals
		} else {
			r.hooks.WaitLogin = r.auto.wait
		}
		r.hooks.LoginDone = r.auto.loginDone
	case cfg.Load.LoginRate > 0 && cfg.Load.Executor != profiles.SessionPool: // there, it is an arrival rate
		r.logins = newPacer(cfg.Load.LoginRate, r.clock)
		r.hooks.WaitLogin = r.logins.wait
	}
	return r
}

// executor drives a run's VUs for one kind of load shape, over the run's
// one lifecycle: its drains (run.drain, each interval and a final one),
// its graceful stop (run.stopAll, run.awaitVUs) and its end. drive
// returns once the shape is done or ctx has ended, and reports an
// interruption. The run holds the state the executors share: the VUs, the
// tickets of shared iterations, the warm population, the steering.
type executor interface {
	drive(ctx context.Context, out *Outcome, abandon func()) (interrupted bool)
}

// The executors: the closed model (a population of VUs, constant or
// ramping), the open model (arrivals at a rate) and the session pool
// (logins and requests at rates of their own).
type (
	closedModel      struct{ r *run }
	openModel        struct{ r *run }
	sessionPoolModel struct{ r *run }
)

func (e closedModel) drive(ctx context.Context, out *Outcome, abandon func()) bool {
	return e.r.drive(ctx, out, abandon)
}

func (e openModel) drive(ctx context.Context, out *Outcome, abandon func()) bool {
	return e.r.driveOpen(ctx, out, abandon)
}

func (e sessionPoolModel) drive(ctx context.Context, out *Outcome, abandon func()) bool {
	return e.r.driveSessionPool(ctx, out, abandon)
}

// executorOf is the executor of the run's load shape.
func executorOf(r *run) executor {
	switch l := r.cfg.Load; {
	case l.Executor == profiles.SessionPool:
		return sessionPoolModel{r}
	case l.Open():
		return openModel{r}
	}
	return closedModel{r}
}

// drive is the closed model's control loop: it follows the shape, drains
// at every interval, and stops the VUs at the end. It reports an
// interruption.
func (r *run) drive(ctx context.Context, out *Outcome, abandon func()) bool {
	control := r.clock.NewTicker(min(r.cfg.Interval, 100*time.Millisecond))
	defer control.Stop()
	drainEvery := r.clock.NewTicker(r.cfg.Interval)
	defer drainEvery.Stop()
	interval := r.interval
	total := r.shape.Duration()
	interrupted := false
	spent := r.spent
	r.scale(0)
loop:
	for {
		select {
		case <-ctx.Done():
			// An interruption stops the run as its end would: VUs finish
			// their iteration within the graceful stop.
			interrupted = true
			break loop
		case <-r.idle:
			break loop
		case <-spent:
			// VUs thinking (or parked) have nothing left to do: they
			// log out now; those in an iteration finish it.
			spent = nil
			for _, w := range r.vus {
				w.halt()
			}
			r.vus = nil
		case <-drainEvery.C():
			r.drain(interval, out)
			if r.steerDone {
				break loop
			}
		case <-control.C():
			elapsed := r.clock.Now().Sub(out.Started)
			if total > 0 && elapsed >= total {
				break loop
			}
			r.scale(elapsed)
		}
	}
	r.stopAll(abandon)
	if ctx.Err() != nil {
		interrupted = true
	}
	r.finalDrain(out)
	return interrupted
}

// finalDrain ends the warm population, if any, and drains the run one last
// time, so that the last Tick (and the live metrics) hold everything.
func (r *run) finalDrain(out *Outcome) {
	if r.stopWarm != nil {
		r.stopWarm()
	}
	r.drain(r.interval, out)
}

// exited notes a VU's end; the last VU out ends the run when the
// iterations are used up, or when nothing else would: a run that only
// iterations bound whose VUs all gave up.
func (r *run) exited() {
	perVU := r.cfg.Load.Executor == profiles.PerVUIterations // every VU is done with its own
	if r.active.Add(-1) == 0 && (r.tickets.Load() == 0 || r.shape.Duration() == 0 || perVU) {
		r.idleOnce.Do(func() { close(r.idle) })
	}
}

func (r *run) drain(interval *metrics.Aggregate, out *Outcome) {
	if r.scenario {
		return // the run of all the scenarios drains them together
	}
	r.cfg.Collector.Drain(interval)
	out.Total.Merge(interval)
	out.Total.Opened = r.cfg.Pool.Opened()
	out.Total.BytesSent, out.Total.BytesReceived = r.cfg.Pool.Bytes()
	t := metrics.Snapshot{Elapsed: r.clock.Now().Sub(out.Started), Started: out.Started, VUs: int(r.active.Load()),
		LoggedIn: int(r.loggedIn.Load()), Interval: interval, Total: out.Total, Legend: r.legend}
	if r.warm != nil {
		r.cfg.Warm.Collector.Drain(r.warmInt)
		out.Warm.Merge(r.warmInt)
		t.WarmHeld, t.Warm, t.WarmTotal = int(r.warm.held.Load()), r.warmInt, out.Warm
		t.WarmWanted = int(r.warm.want.Load())
	}
	if r.cfg.Tick != nil {
		r.cfg.Tick(t)
	}
	if r.cfg.Steer != nil && !r.steerDone {
		level, more := r.cfg.Steer(t)
		r.steer(level)
		r.steerDone = !more
	}
	interval.Reset()
	if r.warmInt != nil {
		r.warmInt.Reset()
	}
}

// checkSteer refuses a steering the run cannot follow.
func (r *run) checkSteer() error {
	l := r.cfg.Load
	switch r.cfg.Vary {
	case profiles.VaryVUs:
		if l.Open() || l.Executor == profiles.SessionPool {
			return errors.New("engine: stepping VUs needs a closed-model executor")
		}
		r.steerVUs = l.VUs
	case profiles.VaryWarm:
		if r.cfg.Warm.Sessions <= 0 {
			return errors.New("engine: stepping warm sessions needs a warm population to start from")
		}
	case profiles.VaryLoginRate:
		if l.LoginRate <= 0 || l.Open() {
			return errors.New("engine: stepping the login rate needs a login rate to start from, and a closed model or a session pool")
		}
		r.steerLogin = l.LoginRate
	default:
		return errors.New("engine: unknown quantity to vary: " + r.cfg.Vary)
	}
	return nil
}

// steer applies a level the Steer function asked for.
func (r *run) steer(level float64) {
	switch r.cfg.Vary {
	case profiles.VaryVUs:
		r.steerVUs = int(level)
	case profiles.VaryWarm:
		r.warm.setWant(int(level))
	case profiles.VaryLoginRate:
		r.steerLogin = level
		if r.logins != nil {
			r.logins.setRate(level)
		}
	}
}

// scale starts or stops VUs to match the shape at elapsed. VUs stopped by
// a ramp-down finish their iteration and log out.
func (r *run) scale(elapsed time.Duration) {
	want := r.shape.VUsAt(elapsed)
	if r.cfg.Steer != nil && r.cfg.Vary == profiles.VaryVUs {
		want = r.steerVUs
	}
	if r.tickets.Load() == 0 {
		return
	}
	for len(r.vus) < want {
		r.nextID++
		w := &worker{r: r, id: r.nextID, stop: make(chan struct{}), left: -1}
		if l := r.cfg.Load; l.Executor == profiles.PerVUIterations {
			w.left = int64(l.Iterations)
		}
		r.vus = append(r.vus, w)
		r.active.Add(1)
		r.wg.Add(1)
		w.launch()
	}
	for len(r.vus) > want {
		last := len(r.vus) - 1
		r.vus[last].halt()
		r.vus = r.vus[:last]
	}
	r.maxVUs = max(r.maxVUs, len(r.vus))
}

// stopAll asks every VU to stop after its iteration, waits up to the
// graceful stop, then abandons what is still in flight.
func (r *run) stopAll(abandon func()) {
	for _, w := range r.vus {
		w.halt()
	}
	r.vus = nil
	r.awaitVUs(abandon)
}

// awaitVUs waits for every VU to end, up to the graceful stop; then it
// abandons what is in flight and waits for the VUs to notice.
func (r *run) awaitVUs(abandon func()) {
	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
	grace := r.clock.NewTimer(r.cfg.Load.GracefulStop.D())
	defer grace.Stop()
	select {
	case <-done:
		return
	case <-grace.C():
	}
	abandon()
	<-done
}

// take claims one iteration; false when none are left.
func (r *run) take() bool {
	for {
		n := r.tickets.Load()
		if n < 0 {
			return true
		}
		if n == 0 {
			return false
		}
		if r.tickets.CompareAndSwap(n, n-1) {
			if n == 1 {
				close(r.spent)
			}
			return true
		}
	}
}

// take claims the worker's next iteration: one of its own, or one of the
// run's.
func (w *worker) take() bool {
	if w.left < 0 {
		return w.r.take()
	}
	if w.left == 0 {
		return false
	}
	w.left--
	return true
}

// worker is one VU of the closed model. A VU whose think time is long
// parks as data on a timer instead of holding a goroutine and its stack
// while it waits (design.md: sessions are data); the timer, or a stop,
// starts a goroutine again.
type worker struct {
	r       *run
	id      int
	stop    chan struct{}
	left    int64 // iterations of its own left (per-vu-iterations); <0: it shares the run's
	v       *virtualuser.VU
	g       *loginGauge
	release func()

	loginPaid bool // launch reserved the first login's turn

	// loginFails and unreachable count the VU's failed logins, and its
	// iterations whose request found no server, in a row; triedLogin says
	// a login of its failed.
	loginFails, unreachable int
	triedLogin              bool

	mu     sync.Mutex
	wake   clock.Timer // made on the first park, then reset
	parked bool
	gated  bool // parked in the queue of login_rate: auto, not on wake
}

// parkFrom is the think time from which a VU parks: below it, a timer and
// a new goroutine per iteration would cost more than the stack saves.
const parkFrom = time.Second

// launch starts a new VU. Under a login rate cap, a VU waits for its turn
// to log in parked, as the VUs that think do: a ramp to 100k VUs at 2,000
// logins/s would otherwise hold 100k goroutines blocked on the limiter.
func (w *worker) launch() {
	if w.r.auto != nil {
		w.loginPaid = true
		w.mu.Lock()
		w.parked, w.gated = true, true
		w.mu.Unlock()
		w.r.auto.enqueue(w.turnCame)
		return
	}
	if w.r.logins != nil {
		w.loginPaid = true
		if d := w.r.logins.reserve(); d > 0 && w.park(d) {
			return
		}
	}
	go w.start()
}

// turnCame starts a VU whose login turn has come under login_rate: auto;
// false if halt took it first.
func (w *worker) turnCame() bool {
	w.mu.Lock()
	parked := w.parked
	w.parked, w.gated = false, false
	w.mu.Unlock()
	if parked {
		go w.cont()
	}
	return parked
}

// cont runs a VU that was parked: its first turn, or its next iteration.
func (w *worker) cont() {
	if w.v == nil {
		w.start()
	} else {
		w.loop()
	}
}

// start sets the VU up and runs it; it is the VU's first goroutine.
func (w *worker) start() {
	if stopped(w.stop) {
		w.end(false) // halted before its turn came
		return
	}
	var err error
	w.v, w.g, w.release, err = w.r.setUpVU(w.id)
	if err != nil {
		w.end(false) // the caller checked the pool against the shape
		return
	}
	if w.loginPaid {
		w.v.SkipLoginWait() // launch took the first login's turn
	}
	w.loop()
}

// loop runs the VU's turns until it stops, or returns early with the VU
// parked.
func (w *worker) loop() {
	r := w.r
	for !stopped(w.stop) && r.hard.Err() == nil {
		d, more := w.turn()
		if !more {
			break
		}
		deep := w.v.WentDeep()
		if d >= parkFrom && w.park(d) {
			return // it goes on on a new goroutine anyway
		}
		if !w.v.Wait(r.hard, w.stop, d) && r.hard.Err() != nil {
			w.end(true)
			return
		}
		if deep {
			// The turn ran deep (a login, a dial), and the goroutine's
			// stack grew to fit: 8 KiB, where the request loop needs 4.
			// The runtime shrinks a stack only while a quarter of it is in
			// use, which a VU waiting for its answer never is, so the VU
			// goes on on a new goroutine, whose stack is the loop's size.
			go w.loop()
			return
		}
	}
	w.end(r.hard.Err() == nil)
}

// turn is one turn of a VU: a login when it has no session, else an
// iteration. A failed login takes no iteration: --iterations 100 means 100
// requests of the mix, however many logins failed on the way. It returns
// how long to wait before the next turn, and false when the VU is done:
// the iterations are used up, or, in a run that only iterations bound,
// its login failed giveUpAfter times in a row (it would never end).
func (w *worker) turn() (time.Duration, bool) {
	r := w.r
	if !w.v.Session().LoggedIn {
		ok := w.v.Login(r.hard)
		w.g.update()
		if !ok {
			w.loginFails++
			w.triedLogin = true
			if r.hard.Err() != nil || (r.shape.Duration() == 0 && w.loginFails >= giveUpAfter) {
				return 0, false
			}
			return w.v.ThinkTime(backoff(w.loginFails)), true // retried, not hammered
		}
		w.loginFails = 0
	}
	if !w.take() {
		return 0, false
	}
	w.v.Iterate(r.hard, time.Time{})
	w.g.update()
	if r.tickets.Load() == 0 || w.left == 0 {
		return 0, false // the last iteration is done: no reason to think
	}
	// A target that is not there (refused, no such host) is tried again
	// after a growing pause, not spun against at thousands a second.
	var atLeast time.Duration
	if w.v.Unreachable() {
		w.unreachable++
		atLeast = backoff(w.unreachable)
	} else {
		w.unreachable = 0
	}
	return w.v.ThinkTime(atLeast), true
}

// park hands the VU to a timer for d; false if the VU was stopped first.
func (w *worker) park(d time.Duration) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if stopped(w.stop) {
		return false
	}
	if w.wake == nil {
		w.wake = w.r.clock.AfterFunc(d, w.resume)
	} else {
		w.wake.Reset(d)
	}
	w.parked = true
	return true
}

// resume runs the VU again when its think time is over.
func (w *worker) resume() {
	w.mu.Lock()
	parked := w.parked
	w.parked = false
	w.mu.Unlock()
	if parked { // else halt took it first
		w.cont()
	}
}

// halt asks the VU to stop after its iteration; a parked VU is started at
// once to log out.
func (w *worker) halt() {
	close(w.stop)
	w.mu.Lock()
	parked := w.parked && (w.gated || w.wake.Stop())
	if parked {
		w.parked, w.gated = false, false
	}
	w.mu.Unlock()
	if parked {
		go w.cont()
	}
}

// end logs the VU out if asked, and lets its user, session and transport
// go.
func (w *worker) end(logout bool) {
	if w.v != nil {
		if logout {
			w.v.Logout(w.r.hard)
		}
		if w.triedLogin && !w.g.ever {
			w.r.neverIn.Add(1)
		}
		w.release()
	}
	w.r.exited()
	w.r.wg.Done()
}

// A VU whose login fails, or whose request finds no server, waits at
// least backoff(n) after the n-th time in a row: 100 ms, doubling, up to
// 5 s.
const (
	firstBackoff = 100 * time.Millisecond
	maxBackoff   = 5 * time.Second
)

func backoff(n int) time.Duration {
	if n <= 0 {
		return 0
	}
	d := firstBackoff << min(n-1, 16)
	return min(d, maxBackoff)
}

// giveUpAfter is how many failed logins in a row end a VU of a run that
// only iterations bound.
const giveUpAfter = 5

func stopped(stop chan struct{}) bool {
	select {
	case <-stop:
		return true
	default:
		return false
	}
}

// loginGauge keeps the run's count of logged-in sessions in step with one
// session.
type loginGauge struct {
	r    *run
	sess *virtualuser.Session
	in   bool
	ever bool // the session was logged in at some point
}

func (r *run) trackLogin(sess *virtualuser.Session) *loginGauge { return &loginGauge{r: r, sess: sess} }

func (g *loginGauge) update() {
	if in := g.sess.LoggedIn; in != g.in {
		if in {
			g.ever = true
			g.r.loggedIn.Add(1)
		} else {
			g.r.loggedIn.Add(-1)
		}
		g.in = in
	}
}

func (g *loginGauge) done() {
	if g.in {
		g.r.loggedIn.Add(-1)
	}
}

// setUpVU gives VU id a user, a session and a transport, and tracks its
// login state; release undoes it all.
func (r *run) setUpVU(id int) (*virtualuser.VU, *loginGauge, func(), error) {
	user, err := r.cfg.Users.Acquire()
	if err != nil {
		return nil, nil, nil, err
	}
	v, closeVU := r.makeVU(id, user)
	g := r.trackLogin(v.Session())
	return v, g, func() {
		g.done()
		closeVU()
		r.cfg.Users.Release(user)
	}, nil
}

// makeVU makes VU id for user: its session on the run's clock, its
// transport from the pool, its recorder and hooks. closeVU ends the VU
// and gives the transport back.
func (r *run) makeVU(id int, user *virtualuser.User) (v *virtualuser.VU, closeVU func()) {
	sess := virtualuser.NewSession(r.cfg.Plan, user, r.clock)
	if r.cfg.Bare {
		sess.Jar = virtualuser.NewDiscardJar()
	}
	rt := r.cfg.Pool.ForVU()
	v = r.newVU(id, rt, sess)
	return v, func() {
		v.Close()
		r.cfg.Pool.Release(rt)
	}
}

// NewVU makes one VU as a run makes its VUs, outside a run: cohort check
// walks its VU through the profile with the same session, transport,
// recorder, clock and debug hooks (cfg.Debug and cfg.DebugStep watch VU
// 1) as the engine gives. cfg needs Plan, Pool and Collector; release
// ends the VU and gives its transport back (the user stays the caller's).
func NewVU(cfg Config, id int, user *virtualuser.User) (v *virtualuser.VU, release func(), err error) {
	if cfg.Plan == nil || cfg.Pool == nil || cfg.Collector == nil {
		return nil, nil, errors.New("engine: Plan, Pool and Collector are required")
	}
	r := &run{cfg: cfg, clock: clock.Or(cfg.Clock)}
	r.hooks = virtualuser.Hooks{Clock: r.clock, Findings: cfg.Findings}
	v, release = r.makeVU(id, user)
	return v, release, nil
}

// newVU makes a VU; the first one is watched by the debug hook, if any.
func (r *run) newVU(id int, rt http.RoundTripper, sess *virtualuser.Session) *virtualuser.VU {
	hooks := &r.hooks // the run's, shared
	var v *virtualuser.VU
	rec := r.cfg.Collector.NewRecorder()
	if (id == 1 && r.cfg.Debug != nil) || r.cfg.Bare {
		own := r.hooks
		if id == 1 && r.cfg.Debug != nil {
			own.Debug = func(x virtualuser.Exchange) { r.cfg.Debug(v, x) }
			if r.cfg.DebugStep != nil {
				own.Judged = func(res virtualuser.StepResult) { r.cfg.DebugStep(v, res) }
			}
		}
		if r.cfg.Bare {
			own.NoTrace, rec = true, metrics.NewDiscard()
		}
		hooks = &own
	}
	v = virtualuser.NewVU(id, r.cfg.Plan, rt, sess, rec, hooks)
	return v
}
