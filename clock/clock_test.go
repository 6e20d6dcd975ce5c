package clock

import (
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// fired returns what arrived on c, or false if nothing had.
func fired(c <-chan time.Time) (time.Time, bool) {
	select {
	case v := <-c:
		return v, true
	default:
		return time.Time{}, false
	}
}

func TestFakeTimersFireInOrderAndOnTime(t *testing.T) {
	f := NewFake(epoch)
	late := f.NewTimer(3 * time.Second)
	early := f.NewTimer(time.Second)
	same := f.NewTimer(time.Second) // due with early, set after it
	f.Advance(999 * time.Millisecond)
	if _, ok := fired(early.C()); ok {
		t.Fatal("a 1 s timer fired at 999 ms")
	}
	f.Advance(time.Millisecond)
	for name, tm := range map[string]Timer{"early": early, "same": same} {
		if at, ok := fired(tm.C()); !ok || !at.Equal(epoch.Add(time.Second)) {
			t.Fatalf("%s: fired %v at %v, want at 1 s", name, ok, at)
		}
	}
	if !f.AdvanceToNext() || !f.Now().Equal(epoch.Add(3*time.Second)) {
		t.Fatalf("AdvanceToNext went to %v, want 3 s", f.Now().Sub(epoch))
	}
	if _, ok := fired(late.C()); !ok {
		t.Fatal("the 3 s timer did not fire")
	}
	if f.AdvanceToNext() {
		t.Fatal("AdvanceToNext with nothing pending reported a timer")
	}
}

func TestFakeTimerStopAndReset(t *testing.T) {
	f := NewFake(epoch)
	tm := f.NewTimer(time.Second)
	if !tm.Stop() || tm.Stop() {
		t.Fatal("Stop: want true for a pending timer, then false")
	}
	f.Advance(2 * time.Second)
	if _, ok := fired(tm.C()); ok {
		t.Fatal("a stopped timer fired")
	}
	// Fired but not received, then reset: the stale time is gone.
	tm.Reset(time.Second)
	f.Advance(time.Second)
	if tm.Reset(time.Second) {
		t.Fatal("Reset of a timer that had fired reported it pending")
	}
	if _, ok := fired(tm.C()); ok {
		t.Fatal("a stale time was left on the channel after Reset")
	}
	f.Advance(time.Second)
	if at, ok := fired(tm.C()); !ok || !at.Equal(epoch.Add(4*time.Second)) {
		t.Fatalf("after Reset: fired %v at %v, want at 4 s", ok, at.Sub(epoch))
	}
}

func TestFakeTickerDropsTicksNobodyTook(t *testing.T) {
	f := NewFake(epoch)
	k := f.NewTicker(100 * time.Millisecond)
	f.Advance(350 * time.Millisecond) // ticks at 100, 200, 300: one kept
	if at, ok := fired(k.C()); !ok || !at.Equal(epoch.Add(100*time.Millisecond)) {
		t.Fatalf("first tick %v at %v, want the one at 100 ms", ok, at.Sub(epoch))
	}
	if _, ok := fired(k.C()); ok {
		t.Fatal("more than one tick waited on the channel")
	}
	f.Advance(50 * time.Millisecond)
	if at, ok := fired(k.C()); !ok || !at.Equal(epoch.Add(400*time.Millisecond)) {
		t.Fatalf("tick %v at %v, want 400 ms", ok, at.Sub(epoch))
	}
	k.Reset(time.Second)
	f.Advance(999 * time.Millisecond)
	if _, ok := fired(k.C()); ok {
		t.Fatal("a reset ticker kept its old period")
	}
	k.Stop()
	if f.Pending() != 0 {
		t.Fatalf("%d timers pending after Stop", f.Pending())
	}
}

func TestFakeAfterFunc(t *testing.T) {
	f := NewFake(epoch)
	var calls atomic.Int32
	done := make(chan struct{}, 2)
	call := func() { calls.Add(1); done <- struct{}{} }
	f.AfterFunc(time.Second, call)
	stopped := f.AfterFunc(time.Second, call)
	stopped.Stop()
	if stopped.C() != nil {
		t.Fatal("an AfterFunc timer has a channel")
	}
	f.Advance(time.Second)
	<-done
	f.Advance(time.Hour)
	if n := calls.Load(); n != 1 {
		t.Fatalf("%d calls, want the one not stopped", n)
	}
}

func TestSleep(t *testing.T) {
	f := NewFake(epoch)
	var ended chan bool
	synctest.Test(t, func(t *testing.T) {
		ended = make(chan bool)
		go func() { ended <- Sleep(context.Background(), f, time.Minute) }()
		synctest.Wait() // the sleeper has set its timer
		f.Advance(time.Minute - 1)
		synctest.Wait()
		select {
		case <-ended:
			t.Fatal("Sleep ended before its time")
		default:
		}
		f.Advance(1)
		if !<-ended {
			t.Fatal("Sleep reported a cancellation")
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if Sleep(ctx, f, time.Minute) || Sleep(ctx, Real, 0) {
		t.Fatal("Sleep on an ended context reported a full wait")
	}
	if f.Pending() != 0 {
		t.Fatal("Sleep left a timer behind")
	}
}

func TestRealIsTheSystemClock(t *testing.T) {
	if Or(nil) != Real {
		t.Fatal("Or(nil) is not Real")
	}
	before := time.Now()
	if now := Real.Now(); now.Before(before) {
		t.Fatal("Real.Now is behind time.Now")
	}
	tm := Real.NewTimer(time.Hour)
	if !tm.Stop() {
		t.Fatal("a real timer was not pending")
	}
}
