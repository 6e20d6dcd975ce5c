package engine

import "sync"

// fifo is a first-in, first-out queue safe for concurrent use: a ring that
// doubles when full, so that a steady queue (a warm population, a pool of
// idle sessions) allocates nothing once grown.
type fifo[T any] struct {
	mu   sync.Mutex
	ring []T
	head int
	n    int
}

func (q *fifo[T]) push(v T) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.n == len(q.ring) {
		grown := make([]T, max(2*len(q.ring), 64))
		for i := range q.n {
			grown[i] = q.ring[(q.head+i)%len(q.ring)]
		}
		q.ring, q.head = grown, 0
	}
	q.ring[(q.head+q.n)%len(q.ring)] = v
	q.n++
}

// popIf removes and returns the first element if ok says so (ok sees it
// first); first is the element either way, and present says there was one.
func (q *fifo[T]) popIf(ok func(T) bool) (first T, present, popped bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.n == 0 {
		return first, false, false
	}
	first = q.ring[q.head]
	if ok != nil && !ok(first) {
		return first, true, false
	}
	var zero T
	q.ring[q.head] = zero // let the queue forget it
	q.head = (q.head + 1) % len(q.ring)
	q.n--
	return first, true, true
}

// pop removes and returns the first element, if there is one.
func (q *fifo[T]) pop() (T, bool) {
	v, _, popped := q.popIf(nil)
	return v, popped
}
