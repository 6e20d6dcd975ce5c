package main

import (
	"fmt"

	"github.com/cohort-dev/cohort/metrics"
	"github.com/cohort-dev/cohort/metrics/results"
	"github.com/cohort-dev/cohort/profiles"
	"github.com/cohort-dev/cohort/virtualuser"
)

// thresholds gathers the profile's thresholds and the --threshold flags.
func (f *runFlags) thresholds(p *profiles.Profile) ([]results.Threshold, error) {
	var out []results.Threshold
	for i, spec := range p.Thresholds {
		t, err := results.ParseThreshold(spec.Expr)
		if err != nil {
			return nil, p.Errorf(fmt.Sprintf("thresholds[%d]", i), "%v", err)
		}
		t.AbortOnFail, t.Delay = spec.AbortOnFail, spec.Delay.D()
		out = append(out, t)
	}
	for _, s := range f.thresholdFlags {
		t, err := results.ParseThreshold(s)
		if err != nil {
			return nil, usagef("--threshold: %v", err)
		}
		out = append(out, t)
	}
	return out, nil
}

// checkThresholds refuses a threshold that names a request, group,
// method or check the plan does not have: ts holds the profile's
// thresholds first, then the --threshold flags, as thresholds made them.
func checkThresholds(p *profiles.Profile, plan *virtualuser.Plan, ts []results.Threshold) error {
	for i, t := range ts {
		err := t.Check(metrics.Legend{Series: plan.Series, Checks: plan.Checks, Journeys: journeyNames(plan), JourneyScenarios: plan.JourneyScenarios})
		switch {
		case err == nil:
		case i < len(p.Thresholds):
			return p.Errorf(fmt.Sprintf("thresholds[%d]", i), "%v", err)
		default:
			return usagef("--threshold: %v", err)
		}
	}
	return nil
}

// judge evaluates every threshold on the run's final snapshot.
func judge(ts []results.Threshold, final metrics.Snapshot) ([]results.ThresholdResult, bool) {
	out := []results.ThresholdResult{}
	all := true
	for _, t := range ts {
		r := t.Judge(final)
		out = append(out, r)
		all = all && r.OK
	}
	return out, all
}

// abortWatch returns a sink of the run's snapshots that evaluates the
// abort-on-fail thresholds on the run so far and calls abort when one
// fails.
func abortWatch(ts []results.Threshold, abort func(results.Threshold, float64)) func(metrics.Snapshot) {
	var watched []results.Threshold
	for _, t := range ts {
		if t.AbortOnFail {
			watched = append(watched, t)
		}
	}
	fired := false
	return func(snap metrics.Snapshot) {
		if fired {
			return
		}
		for _, t := range watched {
			if snap.Elapsed < t.Delay {
				continue
			}
			// A scenario's threshold waits for the scenario to start:
			// until then it has nothing to fail on.
			if r := t.Judge(snap); r.NotJudged == "" && !r.OK {
				fired = true
				abort(t, r.Value)
				return
			}
		}
	}
}
