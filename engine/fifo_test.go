package engine

import "testing"

// TestFIFOKeepsOrderAcrossGrowth pops part of the queue so that the ring
// wraps, then grows it: the order must survive both.
func TestFIFOKeepsOrderAcrossGrowth(t *testing.T) {
	var q fifo[int]
	next, want := 0, 0
	push := func(n int) {
		for range n {
			q.push(next)
			next++
		}
	}
	pop := func(n int) {
		t.Helper()
		for range n {
			v, ok := q.pop()
			if !ok || v != want {
				t.Fatalf("pop %d: %d (%v), want %d", want, v, ok, want)
			}
			want++
		}
	}
	push(60)
	pop(50)  // the head is well into the ring
	push(40) // wraps, then grows from 64 to 128
	v, present, popped := q.popIf(func(v int) bool { return v > 1000 })
	if !present || popped || v != want {
		t.Fatalf("popIf refused: %d %v %v, want %d left in place", v, present, popped, want)
	}
	pop(50)
	if _, ok := q.pop(); ok {
		t.Fatal("the queue should be empty")
	}
}
