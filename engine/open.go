package engine

import (
	"context"
	"sync"
	"time"

	"github.com/cohort-dev/cohort/clock"
	"github.com/cohort-dev/cohort/metrics"
)

// slot is an open-model VU as the dispatcher sees it: where to send the
// due time of its next iteration.
type slot struct {
	work chan time.Time
}

// driveOpen runs an arrival-rate schedule: iterations start when they are
// due, whatever the server does, on whichever VU is free. Latency counts
// from the due time, so a stalled server shows in the percentiles instead
// of slowing the load down (no coordinated omission).
func (r *run) driveOpen(ctx context.Context, out *Outcome, abandon func()) bool {
	l := r.cfg.Load
	arrivals := ArrivalsOf(l)
	idle := make(chan *slot, l.MaxVUs)
	var slots []*slot
	start := func(first time.Time, ready *sync.WaitGroup) {
		s := &slot{work: make(chan time.Time, 1)}
		if !first.IsZero() {
			s.work <- first
		}
		slots = append(slots, s)
		r.nextID++
		r.active.Add(1)
		r.wg.Add(1)
		go r.openVU(r.nextID, s, idle, ready)
	}
	if !r.preallocate(ctx, l.PreAllocatedVUs, start) {
		r.closeSlots(slots, abandon)
		r.finalDrain(out)
		return true
	}
	out.Started = r.clock.Now()
	interrupted := r.drainWhile(out, func() bool { return r.dispatch(ctx, out, arrivals, idle, start, &slots) })
	r.closeSlots(slots, abandon)
	r.finalDrain(out)
	return interrupted || ctx.Err() != nil
}

// drainWhile runs dispatch in a goroutine of its own and drains the run at
// every interval until it returns, then returns what it returned. A drain
// merges and resets the interval's histograms, milliseconds of work at
// many VUs: done by the dispatcher, every arrival due meanwhile would start
// that late (scheduler lag p99 3.7 ms at 20,000/s against 0.75 ms without
// drains). The drain yields between histograms, so that on one core the
// dispatcher's due timer runs in between.
func (r *run) drainWhile(out *Outcome, dispatch func() bool) bool {
	done := make(chan bool, 1)
	go func() { done <- dispatch() }()
	every := r.clock.NewTicker(r.cfg.Interval)
	defer every.Stop()
	for {
		select {
		case interrupted := <-done:
			return interrupted
		case <-every.C():
			r.drain(r.interval, out)
		}
	}
}

// preallocate starts n VUs and waits until each has logged in (or failed
// to), so that the schedule starts with a warm pool.
func (r *run) preallocate(ctx context.Context, n int, start func(time.Time, *sync.WaitGroup)) bool {
	var ready sync.WaitGroup
	ready.Add(n)
	for range n {
		start(time.Time{}, &ready)
	}
	done := make(chan struct{})
	go func() { ready.Wait(); close(done) }()
	select {
	case <-done:
		r.maxVUs = n
		return true
	case <-ctx.Done():
		return false
	}
}

// dispatch hands each arrival to a free VU, adds VUs up to max_vus, and
// drops the arrivals no VU can take.
func (r *run) dispatch(ctx context.Context, out *Outcome, arrivals Arrivals, idle chan *slot,
	start func(time.Time, *sync.WaitGroup), slots *[]*slot) bool {
	rec := r.cfg.Collector.NewRecorder() // this goroutine's own
	defer rec.Flush()
	timer := r.clock.NewTimer(time.Hour)
	defer timer.Stop()
	flushed := r.clock.Now()
	limit := int64(r.cfg.Load.Iterations)
	for n := int64(0); limit == 0 || n < limit; n++ {
		if !r.cfg.Segment.Owns(n) {
			continue // another instance's arrival
		}
		offset, ok := arrivals.At(n)
		if !ok {
			// The schedule lasts its duration, not until its last
			// arrival: a rate over the run is counted over the time
			// it was asked for (10/s for 2 s is 20 in 2 s, not in 1.9).
			end := out.Started.Add(ShapeOf(r.cfg.Load).Duration())
			rec.Flush()
			return !r.sleepUntil(ctx, end, timer)
		}
		due := out.Started.Add(offset)
		if now := r.clock.Now(); now.Sub(flushed) >= r.cfg.Interval/dispatchFlushes {
			rec.Flush() // its lag samples reach the interval's drain
			flushed = now
		}
		if !r.sleepUntil(ctx, due, timer) {
			return true
		}
		rec.Add(metrics.Sample{Kind: metrics.KindLag, Duration: r.clock.Now().Sub(due)})
		select {
		case s := <-idle:
			s.work <- due
		default:
			if len(*slots) < r.cfg.Load.MaxVUs {
				start(due, nil)
				r.maxVUs = max(r.maxVUs, len(*slots))
			} else {
				rec.Add(metrics.Sample{Kind: metrics.KindDropped})
			}
		}
	}
	return false
}

// dispatchFlushes is how many times an interval the dispatcher hands its
// samples (lag, drops) to the collector: each drain finds them at most a
// tenth of an interval late.
const dispatchFlushes = 10

// sleepUntil waits until due; false if ctx ended first.
func (r *run) sleepUntil(ctx context.Context, due time.Time, timer clock.Timer) bool {
	for wait := due.Sub(r.clock.Now()); wait > 0; wait = due.Sub(r.clock.Now()) {
		timer.Reset(wait)
		select {
		case <-timer.C():
		case <-ctx.Done():
			return false
		}
	}
	return true
}

// sleepDraining waits until due, draining the run at every interval
// meanwhile; false if ctx ended first. rec is the caller's own recorder,
// flushed before each drain. The session pool drains as it dispatches:
// its drains steer its login rate, which it reads.
func (r *run) sleepDraining(ctx context.Context, due time.Time, timer clock.Timer, drainEvery clock.Ticker,
	rec *metrics.Recorder, out *Outcome) bool {
	for wait := due.Sub(r.clock.Now()); wait > 0; wait = due.Sub(r.clock.Now()) {
		timer.Reset(wait)
		select {
		case <-timer.C():
		case <-drainEvery.C():
			rec.Flush()
			r.drain(r.interval, out)
		case <-ctx.Done():
			return false
		}
	}
	return true
}

// closeSlots ends every VU after its iteration, waiting up to the
// graceful stop before abandoning what is in flight.
func (r *run) closeSlots(slots []*slot, abandon func()) {
	for _, s := range slots {
		close(s.work)
	}
	r.awaitVUs(abandon)
}

// openVU is an open-model VU: it runs the iterations it is handed, each
// measured from its due time, and waits in the idle pool in between.
func (r *run) openVU(id int, s *slot, idle chan *slot, ready *sync.WaitGroup) {
	defer r.wg.Done()
	defer r.active.Add(-1)
	v, g, release, err := r.setUpVU(id)
	if err != nil {
		if ready != nil {
			ready.Done()
		}
		return
	}
	defer release()
	if ready != nil {
		v.Login(r.hard)
		g.update()
		v.Close() // flush the login
		// Idle before ready: the first arrival may be due the moment the
		// last VU is ready, and must find it free (idle holds MaxVUs, so
		// the send never waits).
		idle <- s
		ready.Done()
	}
	for due := range s.work {
		v.Iterate(r.hard, due)
		g.update()
		v.Close() // flush: an idle VU holds nothing back
		if r.hard.Err() != nil {
			return
		}
		idle <- s
	}
	v.Logout(r.hard)
}
