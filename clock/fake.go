package clock

import (
	"container/heap"
	"sync"
	"time"
)

// Fake is a clock that moves only when told (Advance, AdvanceToNext).
// Timers due at the same instant fire in the order they were set, so a
// test that drives a run on it sees the same run every time. It is safe
// for concurrent use.
type Fake struct {
	mu    sync.Mutex
	now   time.Time
	seq   uint64
	queue fakeQueue
}

// NewFake returns a fake clock showing start.
func NewFake(start time.Time) *Fake { return &Fake{now: start} }

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// NewTimer returns a timer firing when the fake time reaches now+d.
func (f *Fake) NewTimer(d time.Duration) Timer {
	t := &fakeTimer{f: f, c: make(chan time.Time, 1), index: -1}
	t.Reset(d)
	return t
}

// AfterFunc calls fn in a goroutine of its own when the fake time reaches
// now+d.
func (f *Fake) AfterFunc(d time.Duration, fn func()) Timer {
	t := &fakeTimer{f: f, fn: fn, index: -1}
	t.Reset(d)
	return t
}

// NewTicker returns a ticker firing every d of fake time.
func (f *Fake) NewTicker(d time.Duration) Ticker {
	if d <= 0 {
		panic("clock: non-positive interval for NewTicker")
	}
	t := &fakeTimer{f: f, c: make(chan time.Time, 1), period: d, index: -1}
	t.Reset(d)
	return fakeTicker{t}
}

// Advance moves the time forward by d, firing every timer due on the way
// in order of due time.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	until := f.now.Add(d)
	f.mu.Unlock()
	for f.fireNext(until, false) {
	}
	f.mu.Lock()
	if until.After(f.now) {
		f.now = until
	}
	f.mu.Unlock()
}

// AdvanceToNext moves the time to the next instant a timer is due and
// fires every timer due then; false when no timer is pending.
func (f *Fake) AdvanceToNext() bool {
	next, ok := f.Next()
	if !ok {
		return false
	}
	for f.fireNext(next, true) {
	}
	return true
}

// Next returns when the earliest pending timer is due; false when none is.
func (f *Fake) Next() (time.Time, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.queue) == 0 {
		return time.Time{}, false
	}
	return f.queue[0].when, true
}

// Pending returns how many timers and tickers are set.
func (f *Fake) Pending() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.queue)
}

// fireNext fires the earliest timer due by until, moving the time to its
// due time; false when none is due. With only, it fires only timers due
// exactly at until.
func (f *Fake) fireNext(until time.Time, only bool) bool {
	f.mu.Lock()
	if len(f.queue) == 0 {
		f.mu.Unlock()
		return false
	}
	t := f.queue[0]
	if t.when.After(until) || (only && !t.when.Equal(until)) {
		f.mu.Unlock()
		return false
	}
	heap.Pop(&f.queue)
	if t.when.After(f.now) {
		f.now = t.when
	}
	now := f.now
	if t.period > 0 {
		t.when = t.when.Add(t.period)
		f.push(t)
	}
	// Fired under the lock, so that a Stop or Reset that returns after
	// this leaves nothing stale on the channel.
	switch {
	case t.fn != nil:
		go t.fn()
	default:
		select {
		case t.c <- now:
		default: // a tick nobody took yet: dropped, as time.Ticker does
		}
	}
	f.mu.Unlock()
	return true
}

func (f *Fake) push(t *fakeTimer) {
	f.seq++
	t.seq = f.seq
	heap.Push(&f.queue, t)
}

type fakeTimer struct {
	f      *Fake
	when   time.Time
	seq    uint64
	period time.Duration
	c      chan time.Time
	fn     func()
	index  int // in the queue; -1 when not set
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }

func (t *fakeTimer) Stop() bool {
	t.f.mu.Lock()
	defer t.f.mu.Unlock()
	return t.stopLocked()
}

func (t *fakeTimer) stopLocked() bool {
	pending := t.index >= 0
	if pending {
		heap.Remove(&t.f.queue, t.index)
	}
	if t.c != nil {
		select {
		case <-t.c: // Go 1.23 timers: nothing stale after Stop or Reset
		default:
		}
	}
	return pending
}

func (t *fakeTimer) Reset(d time.Duration) bool {
	t.f.mu.Lock()
	defer t.f.mu.Unlock()
	pending := t.stopLocked()
	t.when = t.f.now.Add(max(d, 0))
	t.f.push(t)
	return pending
}

type fakeTicker struct{ t *fakeTimer }

func (k fakeTicker) C() <-chan time.Time { return k.t.c }
func (k fakeTicker) Stop()               { k.t.Stop() }
func (k fakeTicker) Reset(d time.Duration) {
	if d <= 0 {
		panic("clock: non-positive interval for Ticker.Reset")
	}
	k.t.f.mu.Lock()
	k.t.period = d
	k.t.f.mu.Unlock()
	k.t.Reset(d)
}

// fakeQueue orders timers by due time, then by when they were set.
type fakeQueue []*fakeTimer

func (q fakeQueue) Len() int { return len(q) }
func (q fakeQueue) Less(i, j int) bool {
	if !q[i].when.Equal(q[j].when) {
		return q[i].when.Before(q[j].when)
	}
	return q[i].seq < q[j].seq
}
func (q fakeQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index, q[j].index = i, j
}
func (q *fakeQueue) Push(x any) {
	t := x.(*fakeTimer)
	t.index = len(*q)
	*q = append(*q, t)
}
func (q *fakeQueue) Pop() any {
	old := *q
	t := old[len(old)-1]
	old[len(old)-1] = nil
	t.index = -1
	*q = old[:len(old)-1]
	return t
}
