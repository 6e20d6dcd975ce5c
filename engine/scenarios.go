package engine

import (
	"context"
	"errors"
	"sync"

	"github.com/cohort-dev/cohort/clock"
	"github.com/cohort-dev/cohort/metrics"
)

// scenarioRun is one scenario of a run: its own run (executor, VUs,
// tickets, rate caps) and its figures.
type scenarioRun struct {
	sc       Scenario
	r        *run
	out      *Outcome // the executor's; its Total is not used
	total    *metrics.Aggregate
	interval *metrics.Aggregate
	started  bool // under mu of runScenarios
	abandon  func()
}

// runScenarios runs every scenario of cfg at once, each with its own
// executor from its start offset, over one lifecycle: one goroutine drains
// them all at every interval and calls Tick once with the whole run's
// snapshot (each scenario's part in it), and drains them once more when
// the last executor has returned. ctx ends them all (an interruption).
func runScenarios(ctx context.Context, cfg Config) (*Outcome, error) {
	if cfg.Pool == nil || cfg.Warm.Sessions > 0 || cfg.Steer != nil {
		return nil, errors.New("engine: scenarios need a Pool, and take no warm population or steering")
	}
	last := cfg.Scenarios[len(cfg.Scenarios)-1].Plan
	hard, abandon := context.WithCancel(context.Background())
	defer abandon()
	c := clock.Or(cfg.Clock)
	out := &Outcome{Total: metrics.NewAggregate(len(last.Series)), Started: c.Now()}
	out.Legend = &metrics.Legend{Series: last.Series, Checks: last.Checks, WarmTouch: -1,
		CheckScenarios: last.CheckScenarios, JourneyScenarios: last.JourneyScenarios}
	for _, j := range last.Journeys {
		out.Legend.Journeys = append(out.Legend.Journeys, j.Name)
	}
	runs := make([]*scenarioRun, len(cfg.Scenarios))
	for i, sc := range cfg.Scenarios {
		if sc.Plan == nil || sc.Users == nil || sc.Collector == nil {
			return nil, errors.New("engine: a scenario needs a Plan, Users and a Collector")
		}
		sub := cfg
		sub.Scenarios, sub.Plan, sub.Users, sub.Load, sub.Collector, sub.Tick = nil, sc.Plan, sc.Users, sc.Load, sc.Collector, nil
		// Each scenario abandons its own in-flight work when its graceful
		// stop runs out; an interruption abandons every scenario's.
		own, abandonOwn := context.WithCancel(hard)
		defer abandonOwn()
		r := newRun(sub, own)
		r.scenario, r.legend = true, out.Legend
		runs[i] = &scenarioRun{sc: sc, r: r, abandon: abandonOwn, total: metrics.NewAggregate(len(last.Series)),
			interval: metrics.NewAggregate(len(last.Series)),
			out:      &Outcome{Total: metrics.NewAggregate(0), Started: out.Started, Legend: out.Legend}}
	}
	out.Legend.Instances = cfg.Scenarios[0].Collector.InstanceNames
	global := metrics.NewAggregate(len(last.Series))
	if cfg.KeepRaw {
		global.KeepRaw()
		for _, s := range runs {
			s.sc.Collector.KeepRaw()
			s.interval.KeepRaw()
		}
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, s := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if !clock.Sleep(ctx, c, s.sc.StartAfter) {
				return // the run ended before the scenario's turn
			}
			mu.Lock()
			s.started = true
			mu.Unlock()
			executorOf(s.r).drive(ctx, s.out, s.abandon)
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	drainAll := func(global *metrics.Aggregate) {
		mu.Lock()
		defer mu.Unlock()
		drainScenarios(cfg, c, out, runs, global)
	}
	tick := c.NewTicker(cfg.Interval)
	defer tick.Stop()
	for running := true; running; {
		select {
		case <-tick.C():
			drainAll(global)
		case <-done:
			running = false
		}
	}
	drainAll(global)
	out.Interrupted = ctx.Err() != nil
	out.Duration = c.Now().Sub(out.Started)
	for _, s := range runs {
		out.MaxVUs += s.r.maxVUs
		out.NeverLoggedIn += int(s.r.neverIn.Load())
		out.Scenarios = append(out.Scenarios, ScenarioOutcome{Name: s.sc.Name, Started: s.started, Total: s.total,
			MaxVUs: s.r.maxVUs, NeverLoggedIn: int(s.r.neverIn.Load())})
	}
	return out, nil
}

// drainScenarios drains every scenario into its own figures and the
// run's, and calls Tick with the whole run's snapshot.
func drainScenarios(cfg Config, c clock.Clock, out *Outcome, runs []*scenarioRun, global *metrics.Aggregate) {
	t := metrics.Snapshot{Elapsed: c.Now().Sub(out.Started), Started: out.Started, Interval: global, Total: out.Total, Legend: out.Legend}
	for _, s := range runs {
		s.sc.Collector.Drain(s.interval)
		s.total.Merge(s.interval)
		global.Merge(s.interval)
		vus, in := int(s.r.active.Load()), int(s.r.loggedIn.Load())
		t.VUs += vus
		t.LoggedIn += in
		t.Scenarios = append(t.Scenarios, metrics.ScenarioSnapshot{Name: s.sc.Name, Started: s.started,
			VUs: vus, LoggedIn: in, Interval: s.interval, Total: s.total})
	}
	out.Total.Merge(global)
	out.Total.Opened = cfg.Pool.Opened()
	out.Total.BytesSent, out.Total.BytesReceived = cfg.Pool.Bytes()
	if cfg.Tick != nil {
		cfg.Tick(t)
	}
	global.Reset()
	for _, s := range runs {
		s.interval.Reset()
	}
}
