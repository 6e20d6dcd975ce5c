package capacity

import (
	"fmt"
	"time"

	"github.com/cohort-dev/cohort/metrics"
	"github.com/cohort-dev/cohort/metrics/results"
	"github.com/cohort-dev/cohort/profiles"
)

// Reshape turns a profile's load into a capacity search: it fills in the
// search's defaults from the load, and sets the load to start at the first
// level and last as long as every level would.
func Reshape(p *profiles.Profile) error {
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
		if l.LoginRateAuto {
			return p.Errorf("capacity.vary", "stepping the login rate needs it fixed: login_rate is auto (give a number, or vary another quantity)")
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
	plan := Plan{Start: c.Start, Step: c.Step, Max: c.Max, StepLen: c.StepDuration.D()}
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
	return checkWindow(p)
}

// MinJudged is the least of a step that can be judged: the run is drained
// once a second, and a step is judged on whole intervals.
const MinJudged = time.Second

// checkWindow makes sure each step is judged on at least one interval,
// and that its judged part can see a warm session
// the store lost: a session is found gone only when it is next touched, so
// every warm session must be touched at least once in the judged part. An
// unset touch_every is set to the judged part's length; one set longer is
// refused, saying which values to change.
func checkWindow(p *profiles.Profile) error {
	c := p.Capacity
	judged := c.StepDuration.D() - c.Settle.D()
	if judged < MinJudged {
		return p.Errorf("capacity.settle", "leaves %v of a %v step to judge: a step is judged on the run's 1 s intervals, so give it at least %v after its settling time",
			judged, c.StepDuration.D(), MinJudged)
	}
	s := &p.Sessions
	if s.Warm == 0 {
		return nil
	}
	if s.TouchEvery.D() <= judged {
		return nil
	}
	if p.Where("sessions.touch_every").Line == 0 {
		s.TouchEvery = profiles.Duration(judged)
		return nil
	}
	return p.Errorf("sessions.touch_every", "%v is longer than the %v each capacity step is judged on (capacity.step_duration %v less settle %v): "+
		"a warm session lost during a step would go unseen; make touch_every at most %v, or step_duration at least %v",
		s.TouchEvery.D(), judged, c.StepDuration.D(), c.Settle.D(), judged, c.Settle.D()+s.TouchEvery.D())
}

// PlanOf is the search a profile, reshaped, asks for, judged on
// thresholds, with the run drained every interval.
func PlanOf(p *profiles.Profile, thresholds []results.Threshold, interval time.Duration) Plan {
	c := p.Capacity
	plan := Plan{Vary: c.Vary, Start: c.Start, Step: c.Step, Max: c.Max,
		StepLen: c.StepDuration.D(), Settle: c.Settle.D(), Interval: interval,
		Warm: p.Sessions.Warm, Thresholds: thresholds}
	if p.Load.Executor == profiles.ConstantVUs {
		plan.VUs = p.Load.VUs
	}
	return plan
}

// Steer is the engine's steering for a search: after every drain it
// hands the search the run's snapshot and sets the level the search
// wants.
func Steer(s *Search) func(metrics.Snapshot) (float64, bool) {
	return func(snap metrics.Snapshot) (float64, bool) {
		more := s.Observe(snap)
		return s.Level(), more
	}
}

// Describe says what a search will do, for the run's first line.
func Describe(c profiles.CapacitySpec) string {
	return fmt.Sprintf("capacity search: %s from %g to %g by %g, %v per step (the first %v not judged)",
		c.Vary, c.Start, c.Max, c.Step, c.StepDuration.D(), c.Settle.D())
}
