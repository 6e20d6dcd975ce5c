package engine

import (
	"testing"

	"github.com/cohort-dev/cohort/profiles"
)

func TestSegmentShares(t *testing.T) {
	for _, n := range []int{1, 2, 3, 7} {
		for _, count := range []int{0, 1, 2, 5, 10, 50, 101} {
			sum, lo, hi := 0, count, 0
			for i := 1; i <= n; i++ {
				share := Segment{i, n}.Share(count)
				sum += share
				lo, hi = min(lo, share), max(hi, share)
			}
			if sum != count || hi-lo > 1 {
				t.Errorf("%d split %d ways: sum %d, shares from %d to %d", count, n, sum, lo, hi)
			}
		}
	}
	owners := map[int64]int{}
	for i := 1; i <= 3; i++ {
		for k := range int64(30) {
			if (Segment{i, 3}).Owns(k) {
				owners[k]++
			}
		}
	}
	for k := range int64(30) {
		if owners[k] != 1 {
			t.Fatalf("arrival %d owned %d times", k, owners[k])
		}
	}
}

func TestParseSegment(t *testing.T) {
	for _, bad := range []string{"", "1", "0/3", "4/3", "a/b", "1/0", "-1/2", "1/3/4"} {
		if _, err := ParseSegment(bad); err == nil {
			t.Errorf("ParseSegment(%q) accepted", bad)
		}
	}
	if s, err := ParseSegment("2/3"); err != nil || s != (Segment{2, 3}) {
		t.Fatalf("%v %v", s, err)
	}
}

func TestSegmentScale(t *testing.T) {
	st, _ := profiles.ParseStages("10s:10,10s:10,5s:0")
	l := profiles.Load{Executor: profiles.RampingVUs, StartVUs: 2, Stages: st, Iterations: 100}
	var vus, iters, start int
	for i := 1; i <= 3; i++ {
		s := Segment{i, 3}.Scale(l)
		vus += int(s.Stages[0].Target)
		iters += s.Iterations
		start += s.StartVUs
	}
	if vus != 10 || iters != 100 || start != 2 || l.Stages[0].Target != 10 {
		t.Fatalf("segments add up to %d VUs, %d iterations, %d start VUs (the original was changed: %v)", vus, iters, start, l.Stages[0].Target != 10)
	}
}
