package main

import (
	"fmt"

	"github.com/cohort-dev/cohort/metrics"
	"github.com/cohort-dev/cohort/profiles"
	"github.com/cohort-dev/cohort/virtualuser"
)

// thresholds gathers the profile's thresholds and the --threshold flags.
func (f *runFlags) thresholds(p *profiles.Profile) ([]metrics.Threshold, error) {
	var out []metrics.Threshold
	for i, spec := range p.Thresholds {
		t, err := metrics.ParseThreshold(spec.Expr)
		if err != nil {
			return nil, p.Errorf(fmt.Sprintf("thresholds[%d]", i), "%v", err)
		}
		t.AbortOnFail, t.Delay = spec.AbortOnFail, spec.Delay.D()
		out = append(out, t)
	}
	for _, s := range f.thresholdFlags {
		t, err := metrics.ParseThreshold(s)
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
func checkThresholds(p *profiles.Profile, plan *virtualuser.Plan, ts []metrics.Threshold) error {
	for i, t := range ts {
		err := t.Check(plan.Series, plan.Checks)
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
func judge(ts []metrics.Threshold, final metrics.Snapshot) ([]metrics.ThresholdResult, bool) {
	results := []metrics.ThresholdResult{}
	all := true
	for _, t := range ts {
		v, ok := t.EvalOn(final)
		results = append(results, metrics.ThresholdResult{Expr: t.Source, OK: ok, Value: v})
		all = all && ok
	}
	return results, all
}

// abortWatch returns a sink of the run's snapshots that evaluates the
// abort-on-fail thresholds on the run so far and calls abort when one
// fails.
func abortWatch(ts []metrics.Threshold, abort func(metrics.Threshold, float64)) func(metrics.Snapshot) {
	var watched []metrics.Threshold
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
			if v, ok := t.EvalOn(snap); !ok {
				fired = true
				abort(t, v)
				return
			}
		}
	}
}
