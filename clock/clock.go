// Package clock is the one source of time of a run: what time it is,
// timers, tickers and calls after a delay. The engine and the virtual
// users take a Clock instead of calling the time package, so that a test
// can run them on a Fake clock that moves only when told: a run of an
// hour takes no time, and every duration it measures is exact, however
// busy the machine is.
package clock

import (
	"context"
	"time"
)

// Clock tells the time and makes timers.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// NewTimer returns a timer that sends the time on its channel once d
	// has passed.
	NewTimer(d time.Duration) Timer
	// AfterFunc calls f in its own goroutine once d has passed. The
	// returned timer has no channel.
	AfterFunc(d time.Duration, f func()) Timer
	// NewTicker returns a ticker that sends the time every d; a tick the
	// receiver is not ready for is dropped, as time.Ticker does.
	NewTicker(d time.Duration) Ticker
}

// Timer is a time.Timer of some clock. Stop and Reset behave as Go 1.23's:
// after either returns, no stale time is received from C.
type Timer interface {
	// C is the channel the time is sent on; nil for AfterFunc timers.
	C() <-chan time.Time
	// Stop prevents the timer from firing; it reports whether it was
	// pending.
	Stop() bool
	// Reset makes the timer fire d from now; it reports whether it was
	// pending.
	Reset(d time.Duration) bool
}

// Ticker is a time.Ticker of some clock.
type Ticker interface {
	C() <-chan time.Time
	Stop()
	Reset(d time.Duration)
}

// Real is the system's clock.
var Real Clock = system{}

// Or returns c, or Real when c is nil: a nil Clock in a configuration
// means the system's.
func Or(c Clock) Clock {
	if c == nil {
		return Real
	}
	return c
}

// Sleep waits d on c, or until ctx ends; it reports false when ctx ended
// first.
func Sleep(ctx context.Context, c Clock, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := c.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C():
		return true
	case <-ctx.Done():
		return false
	}
}

type system struct{}

func (system) Now() time.Time                 { return time.Now() }
func (system) NewTimer(d time.Duration) Timer { return systemTimer{time.NewTimer(d)} }
func (system) AfterFunc(d time.Duration, f func()) Timer {
	return systemTimer{time.AfterFunc(d, f)}
}
func (system) NewTicker(d time.Duration) Ticker { return systemTicker{time.NewTicker(d)} }

type systemTimer struct{ t *time.Timer }

func (s systemTimer) C() <-chan time.Time        { return s.t.C }
func (s systemTimer) Stop() bool                 { return s.t.Stop() }
func (s systemTimer) Reset(d time.Duration) bool { return s.t.Reset(d) }

type systemTicker struct{ t *time.Ticker }

func (s systemTicker) C() <-chan time.Time   { return s.t.C }
func (s systemTicker) Stop()                 { s.t.Stop() }
func (s systemTicker) Reset(d time.Duration) { s.t.Reset(d) }
