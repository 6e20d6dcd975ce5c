package engine

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cohort-dev/cohort/metrics"
	"github.com/cohort-dev/cohort/virtualuser"
)

// Warm is a run's warm population: sessions logged in and kept alive
// beside the VUs, so that the session store holds a real site's
// population while the VUs do the measured work.
type Warm struct {
	// Sessions is how many sessions to hold; 0 means none.
	Sessions int
	// TouchEvery is how often each session sends Touch.
	TouchEvery time.Duration
	Touch      *virtualuser.Step
	// Workers is how many goroutines log in and touch the sessions.
	Workers int
	// Collector receives the warm sessions' logins and touches, apart
	// from the VUs' figures.
	Collector *metrics.Collector
}

// warmRetry is how long a warm session whose login failed waits before
// trying again.
const warmRetry = time.Second

// warmSession is one warm session between its turns.
type warmSession struct {
	sess *virtualuser.Session
	due  int64 // Unix nanoseconds of its next turn
}

// warmPool keeps the warm population: a dispatcher hands sessions whose
// turn has come to a few workers; the sessions wait as data in a queue
// ordered by due time. Every turn sets the next one TouchEvery later, so
// a FIFO stays in order and no session needs a timer of its own.
type warmPool struct {
	r    *run
	cfg  Warm
	jobs chan *warmSession
	grow chan struct{} // a nudge when want rises

	want atomic.Int64 // the population wanted (capacity steps raise it)
	held atomic.Int64 // sessions logged in now

	queue fifo[*warmSession] // in order of due time
	made  int                // sessions made so far (dispatcher only)

	wg sync.WaitGroup
}

func (r *run) startWarm(ctx context.Context) *warmPool {
	w := &warmPool{r: r, cfg: r.cfg.Warm, jobs: make(chan *warmSession), grow: make(chan struct{}, 1)}
	w.want.Store(int64(w.cfg.Sessions))
	w.wg.Add(1 + w.cfg.Workers)
	go w.dispatch(ctx)
	for i := range w.cfg.Workers {
		go w.work(ctx, i)
	}
	return w
}

// setWant changes the population wanted; a larger one is logged in.
func (w *warmPool) setWant(n int) {
	w.want.Store(int64(n))
	select {
	case w.grow <- struct{}{}:
	default:
	}
}

// stop ends the workers. Warm sessions are not logged out: a population of
// a million would take as long again; the server expires them.
func (w *warmPool) stop() { w.wg.Wait() }

// next pops the session whose turn has come, or says how long until the
// first one's turn (0: the queue is empty).
func (w *warmPool) next(now int64) (*warmSession, time.Duration) {
	ws, present, popped := w.queue.popIf(func(ws *warmSession) bool { return ws.due <= now })
	switch {
	case popped:
		return ws, 0
	case present:
		return nil, time.Duration(ws.due - now)
	}
	return nil, 0
}

func (w *warmPool) dispatch(ctx context.Context) {
	defer w.wg.Done()
	defer close(w.jobs)
	timer := w.r.clock.NewTimer(time.Hour)
	defer timer.Stop()
	for ctx.Err() == nil {
		ws, wait := w.next(w.r.clock.Now().UnixNano())
		if ws == nil && w.made < int(w.want.Load()) {
			ws = w.newSession()
		}
		if ws != nil {
			select {
			case w.jobs <- ws:
			case <-ctx.Done():
			}
			continue
		}
		if wait == 0 {
			wait = time.Hour // nothing queued: wait for a nudge
		}
		timer.Reset(wait)
		select {
		case <-timer.C():
		case <-w.grow:
		case <-ctx.Done():
		}
	}
}

// newSession makes the next warm session, or nil when the users are all
// taken (the population stays where it is).
func (w *warmPool) newSession() *warmSession {
	user, err := w.r.cfg.Users.Acquire()
	if err != nil {
		w.want.Store(int64(w.made))
		return nil
	}
	w.made++
	return &warmSession{sess: virtualuser.NewSession(w.r.cfg.Plan, user, w.r.clock)}
}

// work logs in or touches each session handed to it, then queues it for
// its next turn.
func (w *warmPool) work(ctx context.Context, i int) {
	defer w.wg.Done()
	rt := w.r.cfg.Pool.ForVU()
	defer w.r.cfg.Pool.Release(rt)
	rec := w.cfg.Collector.NewRecorder()
	defer rec.Flush()
	v := virtualuser.NewVU(-1-i, w.r.cfg.Plan, rt, nil, rec, &w.r.hooks)
	for ws := range w.jobs {
		v.Bind(ws.sess)
		was := ws.sess.LoggedIn
		if was {
			v.Touch(ctx, w.cfg.Touch)
		} else {
			v.Login(ctx)
		}
		rec.Flush()
		ws.sess.Jar.Compact() // its next turn is minutes away
		// Held follows the session even when the run is ending: a loss
		// seen by the last touch is a session no longer held.
		in := ws.sess.LoggedIn
		switch {
		case in && !was:
			w.held.Add(1)
		case !in && was:
			w.held.Add(-1)
		}
		if ctx.Err() != nil {
			continue // the dispatcher is closing the queue
		}
		next := w.cfg.TouchEvery
		if !in {
			next = warmRetry
		}
		ws.due = w.r.clock.Now().Add(next).UnixNano()
		w.queue.push(ws)
	}
}
