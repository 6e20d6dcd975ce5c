package engine

import (
	"context"
	"sync"
	"time"

	"github.com/cohort-dev/cohort/clock"
)

// The login rate a run finds itself (login_rate: auto). Logins start at
// autoStart a second; each autoWindow the rate is judged on the logins
// that ended in it:
//
//   - one failed as an overloaded server's do (a timeout, a reset, a 5xx,
//     a 429), or their mean took more than autoSlower times the mean of
//     the first window (and autoSlack more at least): the rate is halved (multiplicative decrease), and
//     the doubling of the start is over. autoSlowRun such slow logins in
//     a row, over autoSlowFor at least, halve it at once, without waiting
//     for the window's end;
//   - else, with logins waiting for their turn: doubled while the start
//     lasts (a slow start, as TCP's), then raised by a tenth of the rate
//     the last cut halved, autoStart at least (additive increase);
//   - a window in which no login ended while some were under way counts
//     as slow: a server that answers nothing is no reason to send more.
//
// A login that began before the last cut is not judged: the cut answered
// what it shows already (one cut a round of feedback, as TCP halves once
// a round trip), else a queue the server still works off would cut the
// rate again and again.
const (
	autoStart  = 10.0
	autoMin    = 1.0
	autoMax    = 100000.0
	autoWindow = time.Second
	autoSlower = 2.0
	// autoSlack is the least a login must slow by to count as slower: a
	// login of half a millisecond on loopback that takes one is no queue.
	autoSlack = 10 * time.Millisecond
	// autoSlowRun logins in a row slower than autoSlower times the first
	// window's mean, ending over autoSlowFor at least, cut the rate at
	// once: a queue that lasts, not a pause (the collector's, the
	// server's) that delays every login in flight at once.
	autoSlowRun = 3
	autoSlowFor = 50 * time.Millisecond
)

// autoLogins grants login turns at the rate it finds. The VUs waiting for
// a turn are a queue, not timers: a rate that rises is felt at once by
// every waiter (a token bucket's reservations would keep the delays of
// the rate they were made at), and 100k waiting VUs hold no goroutine.
type autoLogins struct {
	clock clock.Clock
	wake  chan struct{}

	// wanted: logins always wait (the session pool's new users): the
	// rate rises whenever the logins keep up.
	wanted bool

	mu        sync.Mutex
	queue     []func() bool // turns wanted; false: the turn was not used
	rate      float64
	next      time.Time // when the next turn may be granted
	slow      bool      // still doubling
	step      float64   // the additive increase: a tenth of the rate cut last
	base      time.Duration
	winEnd    time.Time
	n, bad    int
	sum       time.Duration
	slowRun   int       // logins in a row slower than autoSlower × base
	slowSince time.Time // when the first of them ended
	ended     int       // logins that ended in the window, judged or not
	lastCut   time.Time
	running   int // granted, not yet ended
	// peak and cuts are what the run reports: the highest rate reached,
	// and how many times it was halved.
	peak float64
	cuts int
}

func newAutoLogins(c clock.Clock) *autoLogins {
	return &autoLogins{clock: c, wake: make(chan struct{}, 1), rate: autoStart, slow: true, peak: autoStart}
}

// enqueue asks for a turn: turn is called when it comes, and says
// whether it was taken (a VU stopped while it waited takes none).
func (a *autoLogins) enqueue(turn func() bool) {
	a.mu.Lock()
	a.queue = append(a.queue, turn)
	a.mu.Unlock()
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

// wait takes a turn, blocking until it comes or ctx ends.
func (a *autoLogins) wait(ctx context.Context) error {
	granted := make(chan struct{})
	var mu sync.Mutex
	gone := false
	a.enqueue(func() bool {
		mu.Lock()
		defer mu.Unlock()
		if gone {
			return false
		}
		close(granted)
		return true
	})
	select {
	case <-granted:
		return nil
	case <-ctx.Done():
		mu.Lock()
		defer mu.Unlock()
		select {
		case <-granted:
			a.done(0, false, true) // granted as it ended: give it back
		default:
			gone = true
		}
		return ctx.Err()
	}
}

// run grants the turns until ctx ends.
func (a *autoLogins) run(ctx context.Context) {
	timer := a.clock.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		turn, wait := a.take(a.clock.Now())
		switch {
		case turn != nil:
			if turn() {
				a.granted()
			}
			continue
		case wait > 0:
			timer.Reset(wait)
			select {
			case <-timer.C():
			case <-a.wake:
			case <-ctx.Done():
				return
			}
		default:
			select {
			case <-a.wake:
			case <-ctx.Done():
				return
			}
		}
	}
}

// take pops the next turn if its time has come; else it says how long
// until then (0: nobody waits).
func (a *autoLogins) take(now time.Time) (func() bool, time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.judge(now)
	if len(a.queue) == 0 {
		return nil, 0
	}
	if now.Before(a.next) {
		return nil, a.next.Sub(now)
	}
	turn := a.queue[0]
	a.queue[0] = nil
	a.queue = a.queue[1:]
	return turn, 0
}

// granted spaces the next turn after one was taken.
func (a *autoLogins) granted() {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.clock.Now()
	if a.next.Before(now) {
		a.next = now
	}
	a.next = a.next.Add(time.Duration(float64(time.Second) / a.rate))
	a.running++
}

// done is told how each login went: how long it took, whether it worked,
// and whether it failed as an overloaded server's logins do. cancelled
// marks a turn given back unused.
func (a *autoLogins) done(d time.Duration, overloaded, cancelled bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.running--
	if cancelled {
		return
	}
	now := a.clock.Now()
	a.ended++
	if now.Add(-d).Before(a.lastCut) {
		// It began before the last cut: what it shows, the cut has
		// answered already (one cut for each round of feedback, as TCP
		// halves once a round trip).
		a.judge(now)
		return
	}
	a.n++
	a.sum += d
	if overloaded {
		a.bad++
	}
	if a.base > 0 && d > a.slowAt() {
		// A queue is building: back off now, not at the window's end,
		// once a few logins in a row show it.
		if a.slowRun == 0 {
			a.slowSince = now
		}
		if a.slowRun++; a.slowRun >= autoSlowRun && now.Sub(a.slowSince) >= autoSlowFor {
			a.cut(now)
			return
		}
	} else {
		a.slowRun = 0
	}
	a.judge(now)
}

// slowAt is how long a login takes that is slower than the first ones:
// autoSlower times their mean, and autoSlack more at least.
func (a *autoLogins) slowAt() time.Duration {
	return max(time.Duration(autoSlower*float64(a.base)), a.base+autoSlack)
}

// cut halves the rate and starts a new window.
func (a *autoLogins) cut(now time.Time) {
	a.step = max(autoStart, a.rate/10)
	a.rate = max(autoMin, a.rate/2)
	a.slow = false
	a.cuts++
	a.n, a.bad, a.sum, a.slowRun, a.ended = 0, 0, 0, 0, 0
	a.winEnd, a.lastCut = now.Add(autoWindow), now
}

// judge sets the rate once a window is over.
func (a *autoLogins) judge(now time.Time) {
	if a.winEnd.IsZero() {
		a.winEnd = now.Add(autoWindow)
		return
	}
	if now.Before(a.winEnd) {
		return
	}
	waiting := len(a.queue) > 0 || a.wanted
	switch {
	case a.ended == 0 && a.running > 0, a.bad > 0, a.base > 0 && a.n > 0 && a.sum/time.Duration(a.n) > a.slowAt():
		a.cut(now)
		return
	case a.n > 0 && waiting:
		if a.base == 0 {
			a.base = a.sum / time.Duration(a.n)
		}
		if a.slow {
			a.rate *= 2
		} else {
			a.rate += a.step
		}
		a.rate = min(a.rate, autoMax)
		a.peak = max(a.peak, a.rate)
	case a.n > 0 && a.base == 0:
		a.base = a.sum / time.Duration(a.n)
	}
	a.n, a.bad, a.sum, a.ended = 0, 0, 0, 0
	a.winEnd = now.Add(autoWindow)
}

// AutoRate is what login_rate: auto did: the rate at the end, the
// highest it reached, and how many times it was halved.
type AutoRate struct {
	Final, Peak float64
	Cuts        int
}

// loginDone is the VUs' hook: each login's time and outcome.
func (a *autoLogins) loginDone(d time.Duration, ok, overloaded bool) {
	a.done(d, overloaded, false)
}

// judgeNow judges the window if it is over (the session pool, which
// spaces its own arrivals, asks before each).
func (a *autoLogins) judgeNow() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.judge(a.clock.Now())
}

// stats returns the rate now, the highest reached and the cuts.
func (a *autoLogins) stats() (now, peak float64, cuts int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.rate, a.peak, a.cuts
}
