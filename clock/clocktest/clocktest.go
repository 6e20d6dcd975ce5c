// Package clocktest drives a clock.Fake for tests: inside a
// testing/synctest bubble, it moves the fake time to the next timer each
// time every goroutine of the bubble is blocked, so that code under test
// runs as fast as it can compute and sees every wait end on time.
package clocktest

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/cohort-dev/cohort/clock"
)

// Epoch is the fake time tests start at.
var Epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Limit is how far the fake time may move before Do gives up: no run of
// the suite lasts an hour of fake time.
const Limit = time.Hour

// Do runs f in a goroutine of the current bubble and drives c until f
// returns, then returns what f returned. It must be called inside
// synctest.Test. The test fails, instead of hanging, if everything waits
// while nothing is due on c (a wait on something other than c: the real
// clock, a channel nobody will send on), or if the fake time passes
// Limit.
func Do[T any](t testing.TB, c *clock.Fake, f func() T) T {
	t.Helper()
	var got T
	done := make(chan struct{})
	go func() {
		defer close(done)
		got = f()
	}()
	start := c.Now()
	for {
		synctest.Wait()
		select {
		case <-done:
			return got
		default:
		}
		if c.Now().Sub(start) > Limit {
			t.Fatalf("clocktest: the fake time passed %v and the code under test has not returned", Limit)
		}
		if !c.AdvanceToNext() {
			t.Fatalf("clocktest: every goroutine waits and nothing is due on the fake clock (at %v): a wait on another clock, or a deadlock",
				c.Now().Sub(start))
		}
	}
}

// Run is Do for a function with no result.
func Run(t testing.TB, c *clock.Fake, f func()) {
	t.Helper()
	Do(t, c, func() struct{} { f(); return struct{}{} })
}
