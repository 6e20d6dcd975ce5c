package engine

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cohort-dev/cohort/clock"
	"github.com/cohort-dev/cohort/clock/clocktest"
)

// TestAutoLoginsSteers walks the controller of login_rate: auto through
// each of its rules, on a fake clock.
func TestAutoLoginsSteers(t *testing.T) {
	fc := clock.NewFake(clocktest.Epoch)
	a := newAutoLogins(fc)
	a.enqueue(func() bool { return true }) // logins keep waiting
	login := func(d time.Duration) {
		a.granted()
		a.done(d, false, false)
	}
	steps := []struct {
		name string
		do   func()
		rate float64
		cuts int
		slow bool
	}{
		{"the first window opens", func() { login(10 * time.Millisecond) }, 10, 0, true},
		{"it was as fast as can be: doubled (slow start)", func() { fc.Advance(time.Second); login(10 * time.Millisecond) }, 20, 0, true},
		{"again", func() { fc.Advance(time.Second); login(12 * time.Millisecond) }, 40, 0, true},
		{"two slow logins are not yet a queue", func() { login(25 * time.Millisecond); login(25 * time.Millisecond) }, 40, 0, true},
		{"a fast one ends the run of slow ones", func() { login(10 * time.Millisecond) }, 40, 0, true},
		{"three slow at one moment: a pause, not a queue", func() {
			login(25 * time.Millisecond)
			login(25 * time.Millisecond)
			login(25 * time.Millisecond)
		}, 40, 0, true},
		{"slow for 50 ms: halved at once, the start is over", func() {
			fc.Advance(30 * time.Millisecond)
			login(25 * time.Millisecond)
			fc.Advance(30 * time.Millisecond)
			login(25 * time.Millisecond)
		}, 20, 1, false},
		{"a window as fast as the first: additive increase", func() { fc.Advance(time.Second); login(10 * time.Millisecond) }, 30, 1, false},
		{"one timed out: halved at the window's end", func() {
			a.granted()
			a.done(time.Second, true, false)
			fc.Advance(time.Second)
			login(10 * time.Millisecond)
		}, 15, 2, false},
		{"a window in which nothing ended, some under way: halved", func() {
			a.granted()
			fc.Advance(time.Second)
			a.take(fc.Now())
		}, 7.5, 3, false},
	}
	for _, s := range steps {
		s.do()
		rate, _, cuts := a.stats()
		if rate != s.rate || cuts != s.cuts || a.slow != s.slow {
			t.Fatalf("%s: rate %v, cuts %d, slow start %v; want %v, %d, %v", s.name, rate, cuts, a.slow, s.rate, s.cuts, s.slow)
		}
	}
	if _, peak, _ := a.stats(); peak != 40 {
		t.Fatalf("peak %v, want 40", peak)
	}
}

// TestAutoLoginsGrantsAtTheRate: turns come 1/rate apart, and a waiter
// that gives up takes none.
func TestAutoLoginsGrantsAtTheRate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fc := clock.NewFake(clocktest.Epoch)
		a := newAutoLogins(fc)
		ctx, stop := context.WithCancel(context.Background())
		granting := make(chan struct{})
		go func() { a.run(ctx); close(granting) }()
		at := clocktest.Do(t, fc, func() []time.Duration {
			var at []time.Duration
			for k := range 4 {
				if k == 3 {
					// The next turn is 100 ms away: one who gives up
					// before it takes none.
					gone, give := context.WithCancel(context.Background())
					give()
					if a.wait(gone) == nil {
						t.Error("a cancelled wait took a turn")
					}
				}
				if err := a.wait(context.Background()); err != nil {
					t.Error(err)
				}
				at = append(at, fc.Now().Sub(clocktest.Epoch))
			}
			return at
		})
		want := []time.Duration{0, 100 * time.Millisecond, 200 * time.Millisecond, 300 * time.Millisecond}
		for i := range want {
			if at[i] != want[i] {
				t.Fatalf("turns at %v, want %v (10/s)", at, want)
			}
		}
		stop()
		<-granting
	})
}
