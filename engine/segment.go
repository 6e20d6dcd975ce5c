package engine

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/cohort-dev/cohort/profiles"
)

// Segment is instance I (from 1) of N of a distributed run. Each instance
// takes a deterministic, disjoint share of the load, so that N instances
// together run exactly the profile's load.
type Segment struct {
	I, N int
}

// Whole is the segment of a run on one process.
var Whole = Segment{1, 1}

// ParseSegment reads "i/n".
func ParseSegment(s string) (Segment, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 1 || i > n {
		return Segment{}, fmt.Errorf("%q: want i/n with 1 <= i <= n, e.g. 2/3", s)
	}
	return Segment{i, n}, nil
}

// String writes the segment as i/n.
func (s Segment) String() string { return fmt.Sprintf("%d/%d", s.I, s.N) }

// Share is this segment's part of a count: the counts of the N segments
// differ by at most one and add up to count exactly.
func (s Segment) Share(count int) int {
	if s.N <= 1 {
		return count
	}
	return count*s.I/s.N - count*(s.I-1)/s.N
}

// Owns reports whether the k-th arrival (from 0) of an open-model
// schedule is this segment's: arrivals are dealt round-robin.
func (s Segment) Owns(k int64) bool {
	return s.N <= 1 || k%int64(s.N) == int64(s.I-1)
}

// Scale returns the load this segment runs: its share of the VUs (at every
// stage) and of the iterations. An open model keeps the global schedule
// (the segment takes every N-th arrival) and its share of the VU pool.
func (s Segment) Scale(l profiles.Load) profiles.Load {
	if s.N <= 1 {
		return l
	}
	l.Stages = append([]profiles.Stage(nil), l.Stages...)
	if l.Open() || l.Executor == profiles.SessionPool {
		l.PreAllocatedVUs = max(s.Share(l.PreAllocatedVUs), 1)
		l.MaxVUs = max(s.Share(l.MaxVUs), l.PreAllocatedVUs)
		return l // iterations bound the global arrival index
	}
	l.VUs = s.Share(l.VUs)
	l.StartVUs = s.Share(l.StartVUs)
	for i := range l.Stages {
		l.Stages[i].Target = float64(s.Share(int(l.Stages[i].Target)))
	}
	if l.Iterations > 0 && l.Executor != profiles.PerVUIterations { // per VU: each keeps its count
		l.Iterations = s.Share(l.Iterations)
	}
	return l
}
