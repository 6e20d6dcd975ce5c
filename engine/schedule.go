package engine

import (
	"math"
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
	switch l.Executor {
	case profiles.RampingVUs:
		return Shape{Start: l.StartVUs, Stages: l.Stages}
	case profiles.ConstantArrivalRate, profiles.RampingArrivalRate:
		return Shape{Start: l.PeakVUs(), Stages: []profiles.Stage{{Duration: profiles.Duration(ArrivalsOf(l).Duration()), Target: float64(l.PeakVUs())}}}
	}
	return Shape{Start: l.VUs, Stages: []profiles.Stage{{Duration: l.Duration, Target: float64(l.VUs)}}}
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
		m = max(m, int(st.Target))
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
		to := int(st.Target)
		if elapsed < d {
			return from + int(float64(to-from)*float64(elapsed)/float64(d))
		}
		elapsed -= d
		from = to
	}
	return from
}

// Arrivals is an open-model schedule: the arrival rate (iterations per
// second) starts at Start and moves linearly to each stage's target.
type Arrivals struct {
	Start  float64
	Stages []RateStage
}

// RateStage moves the rate linearly to Target (per second) over Duration.
type RateStage struct {
	Duration time.Duration
	Target   float64
}

// ArrivalsOf returns the schedule of an open-model load, rates converted
// from per time_unit to per second.
func ArrivalsOf(l profiles.Load) Arrivals {
	unit := l.TimeUnit.D()
	if unit <= 0 {
		unit = time.Second
	}
	perSec := func(r float64) float64 { return r * float64(time.Second) / float64(unit) }
	if l.Executor == profiles.ConstantArrivalRate {
		r := perSec(l.Rate)
		return Arrivals{Start: r, Stages: []RateStage{{Duration: l.Duration.D(), Target: r}}}
	}
	a := Arrivals{Start: perSec(l.StartRate)}
	for _, s := range l.Stages {
		a.Stages = append(a.Stages, RateStage{Duration: s.Duration.D(), Target: perSec(s.Target)})
	}
	return a
}

// Duration is the schedule's length.
func (a Arrivals) Duration() time.Duration {
	var d time.Duration
	for _, s := range a.Stages {
		d += s.Duration
	}
	return d
}

// At is when iteration n (from 0) is due, from the start of the schedule:
// the moment the integral of the rate reaches n. It reports false when
// the schedule ends first. It is a pure function, so the scheduler is
// tested without a clock.
func (a Arrivals) At(n int64) (time.Duration, bool) {
	left := float64(n) // iterations still to pass
	var offset time.Duration
	from := a.Start
	for _, s := range a.Stages {
		secs := s.Duration.Seconds()
		area := (from + s.Target) / 2 * secs
		if left < area || (left == 0 && secs > 0) {
			return offset + time.Duration(solveRamp(from, s.Target, secs, left)*float64(time.Second)), true
		}
		left -= area
		offset += s.Duration
		from = s.Target
	}
	return 0, false
}

// solveRamp finds t in [0, d] at which a rate moving linearly from r0 to
// r1 over d seconds has summed to m: r0 t + (r1-r0) t^2 / 2d = m.
func solveRamp(r0, r1, d, m float64) float64 {
	if m <= 0 {
		return 0
	}
	a := (r1 - r0) / (2 * d)
	if math.Abs(a) < 1e-12 {
		return m / r0
	}
	disc := r0*r0 + 4*a*m
	if disc < 0 {
		disc = 0
	}
	return (-r0 + math.Sqrt(disc)) / (2 * a)
}
