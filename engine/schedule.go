package engine

import (
	"time"

	"github.com/cohort-dev/cohort/profiles"
)

// Shape is a closed-model load shape: the VU count starts at Start and
// moves linearly to each stage's target over the stage's duration.
type Shape struct {
	Start  int
	Stages []profiles.Stage
}

// ShapeOf returns the shape of a profile's load.
func ShapeOf(l profiles.Load) Shape {
	if l.Executor == profiles.RampingVUs {
		return Shape{Start: l.StartVUs, Stages: l.Stages}
	}
	return Shape{Start: l.VUs, Stages: []profiles.Stage{{Duration: l.Duration, Target: l.VUs}}}
}

// Duration is the shape's length; zero for a constant shape bounded only by
// iterations.
func (s Shape) Duration() time.Duration {
	var d time.Duration
	for _, st := range s.Stages {
		d += st.Duration.D()
	}
	return d
}

// Max is the largest VU count the shape reaches.
func (s Shape) Max() int {
	m := s.Start
	for _, st := range s.Stages {
		m = max(m, st.Target)
	}
	return m
}

// VUsAt is how many VUs should run at elapsed: a pure function of the
// shape, so it is tested without clocks. Counts are rounded down while
// ramping, so a VU starts once its whole share of the ramp has elapsed.
func (s Shape) VUsAt(elapsed time.Duration) int {
	from := s.Start
	for _, st := range s.Stages {
		d := st.Duration.D()
		if elapsed < d {
			return from + int(float64(st.Target-from)*float64(elapsed)/float64(d))
		}
		elapsed -= d
		from = st.Target
	}
	return from
}
