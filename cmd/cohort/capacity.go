package main

import (
	"fmt"
	"time"

	"github.com/cohort-dev/cohort/engine"
	"github.com/cohort-dev/cohort/metrics"
	"github.com/cohort-dev/cohort/profiles"
)

// reshapeForCapacity turns a profile's load into a capacity search
// (--find-capacity): it fills in the search's defaults from the load, and
// sets the load to start at the first level and last as long as every
// level would.
func reshapeForCapacity(p *profiles.Profile) error {
	c := &p.Capacity
	l := &p.Load
	from := 10.0
	switch c.Vary {
	case profiles.VaryVUs:
		if l.Open() || l.Executor == profiles.SessionPool {
			return p.Errorf("capacity.vary", "stepping VUs needs a closed model (constant-vus or ramping-vus), not %s", l.Executor)
		}
		if l.VUs > 0 {
			from = float64(l.VUs)
		}
	case profiles.VaryWarm:
		if l.Open() || l.Executor == profiles.RampingVUs {
			return p.Errorf("capacity.vary", "stepping warm sessions needs constant-vus or session-pool, not %s", l.Executor)
		}
		from = 1000
		if p.Sessions.Warm > 0 {
			from = float64(p.Sessions.Warm)
		}
	case profiles.VaryLoginRate:
		if l.Open() || l.Executor == profiles.RampingVUs {
			return p.Errorf("capacity.vary", "stepping the login rate needs constant-vus or session-pool, not %s", l.Executor)
		}
		if l.LoginRate > 0 {
			from = l.LoginRate
		}
	}
	if c.Start == 0 {
		c.Start = from
	}
	if c.Step == 0 {
		c.Step = c.Start
	}
	if c.Max == 0 {
		c.Max = 10 * c.Start
	}
	if c.Max < c.Start {
		return p.Errorf("capacity.max", "%v is below start %v", c.Max, c.Start)
	}
	plan := metrics.CapacityPlan{Start: c.Start, Step: c.Step, Max: c.Max, StepLen: c.StepDuration.D()}
	l.Duration = profiles.Duration(plan.Duration())
	l.Iterations = 0
	switch c.Vary {
	case profiles.VaryVUs:
		l.Executor, l.VUs, l.Stages = profiles.ConstantVUs, int(c.Start), nil
	case profiles.VaryWarm:
		p.Sessions.Warm = int(c.Start)
	case profiles.VaryLoginRate:
		l.LoginRate = c.Start
	}
	return nil
}

// capacityPlan is the search a prepared run carries out.
func (p *prepared) capacityPlan() metrics.CapacityPlan {
	c := p.profile.Capacity
	return metrics.CapacityPlan{Vary: c.Vary, Start: c.Start, Step: c.Step, Max: c.Max,
		StepLen: c.StepDuration.D(), Settle: c.Settle.D(), Interval: time.Second,
		Thresholds: p.thresholds, Series: p.plan.Series, Checks: p.plan.Checks}
}

// steerOf returns the engine's steering for a search.
func steerOf(s *metrics.CapacitySearch) func(engine.Tick) (float64, bool) {
	return func(t engine.Tick) (float64, bool) {
		more := s.Observe(t.Elapsed, t.Interval, t.Warm, t.LoggedIn, t.WarmHeld)
		return s.Level(), more
	}
}

// describeCapacity says what a search will do, for the run's first line.
func describeCapacity(c profiles.CapacitySpec) string {
	return fmt.Sprintf("capacity search: %s from %g to %g by %g, %v per step (the first %v not judged)",
		c.Vary, c.Start, c.Max, c.Step, c.StepDuration.D(), c.Settle.D())
}
