// Package capacity owns the capacity search (--find-capacity): it turns a
// profile's load into steps of rising load, steers a run from one level to
// the next, judges each step on its own, and says which level held last
// and where latency began to climb. What it finds is metrics.Capacity, a
// part of the result file.
package capacity

import (
	"math"
	"time"

	"github.com/cohort-dev/cohort/metrics"
)

// Plan says how a capacity search steps the load.
type Plan struct {
	Vary             string
	Start, Step, Max float64
	StepLen, Settle  time.Duration
	Interval         time.Duration // how often the run is drained
	Thresholds       []metrics.Threshold
	Series           []metrics.SeriesInfo
	Checks           []string
}

// Levels returns the levels of the search, Start to Max by Step.
func (p *Plan) Levels() []float64 {
	var out []float64
	for i := 0; ; i++ {
		l := p.Start + float64(i)*p.Step
		if l > p.Max+p.Step*1e-9 {
			return out
		}
		out = append(out, l)
	}
}

// Duration is how long the whole search runs if nothing breaks.
func (p *Plan) Duration() time.Duration {
	return time.Duration(len(p.Levels())) * p.StepLen
}

// Search follows a run interval by interval: it gathers each
// step's measurements, judges the step on the thresholds when it ends, and
// says which level the load should have. It is pure bookkeeping: the run
// calls Observe after every drain.
type Search struct {
	plan   Plan
	levels []float64
	step   int // the step being measured
	agg    *metrics.Aggregate
	warm   *metrics.Aggregate // the warm population's figures of the step
	judged time.Duration
	done   bool
	result metrics.Capacity
}

// New starts a search at its first level.
func New(p Plan) *Search {
	return &Search{plan: p, levels: p.Levels(), agg: metrics.NewAggregate(len(p.Series)), warm: metrics.NewAggregate(len(p.Series)),
		result: metrics.Capacity{Vary: p.Vary, Steps: []metrics.CapacityStep{}}}
}

// Level is the load level wanted now.
func (s *Search) Level() float64 {
	return s.levels[min(s.step, len(s.levels)-1)]
}

// Observe takes the interval that ended at elapsed (the VUs' figures and
// the warm population's, nil without one), with the logged-in and warm
// sessions at that moment. It reports false once the search is over: a
// step broke a threshold, or the last step was judged.
func (s *Search) Observe(elapsed time.Duration, interval, warmInterval *metrics.Aggregate, loggedIn, warm int) bool {
	if s.done {
		return false
	}
	// The interval belongs to the step its middle falls in.
	mid := elapsed - s.plan.Interval/2
	at := int(mid / s.plan.StepLen)
	for at > s.step && !s.done {
		s.judge(loggedIn, warm)
	}
	if s.done {
		return false
	}
	if mid-time.Duration(s.step)*s.plan.StepLen >= s.plan.Settle {
		s.agg.Merge(interval)
		if warmInterval != nil {
			s.warm.Merge(warmInterval)
		}
		s.judged += s.plan.Interval
	}
	if elapsed >= time.Duration(s.step+1)*s.plan.StepLen && s.judged > 0 {
		s.judge(loggedIn, warm)
	}
	return !s.done
}

// judge closes the current step and moves to the next level, or ends the
// search.
func (s *Search) judge(loggedIn, warm int) {
	p := &s.plan
	reqs, fails := s.agg.Requests()
	lat := metrics.LatencyOf(s.agg.AllLatency(p.Series))
	st := metrics.CapacityStep{Level: s.Level(), Passed: true, MeasuredS: s.judged.Seconds(), Requests: reqs,
		Failures: fails, Latency: lat, Logins: s.agg.Sessions.Logins, LostSessions: s.agg.Sessions.SessionsLost,
		LoggedIn: loggedIn, Warm: warm, WarmLost: s.warm.Sessions.SessionsLost, Thresholds: []metrics.ThresholdResult{}}
	if secs := s.judged.Seconds(); secs > 0 {
		st.RPS = round3(float64(reqs) / secs)
	}
	st.FailureRatio = round3(ratio(fails, reqs))
	for _, t := range p.Thresholds {
		v, ok := t.EvalOn(s.agg, s.warm, p.Series, p.Checks, s.judged)
		st.Thresholds = append(st.Thresholds, metrics.ThresholdResult{Expr: t.Source, OK: ok, Value: v})
		st.Passed = st.Passed && ok
	}
	if s.judged == 0 {
		st.Passed = false // nothing was measured: the step cannot pass
	}
	s.result.Steps = append(s.result.Steps, st)
	s.agg.Reset()
	s.warm.Reset()
	s.judged = 0
	if !st.Passed {
		s.result.FirstFailing = st.Level
		s.done = true
		return
	}
	s.result.LastPassing = st.Level
	s.step++
	if s.step == len(s.levels) {
		s.done = true
	}
}

// Finish judges a step the run's end cut short, if it measured anything,
// and returns the outcome.
func (s *Search) Finish(loggedIn, warm int) metrics.Capacity {
	if !s.done && s.judged > 0 {
		s.judge(loggedIn, warm)
	}
	s.result.Knee = knee(s.result.Steps)
	return s.result
}

// knee is the highest passing level whose p95 stayed within metrics.KneeFactor
// times the first step's.
func knee(steps []metrics.CapacityStep) float64 {
	if len(steps) == 0 || !steps[0].Passed {
		return 0
	}
	base := math.Max(steps[0].Latency.P95, 0.001)
	k := 0.0
	for _, st := range steps {
		if !st.Passed || st.Latency.P95 > metrics.KneeFactor*base {
			break
		}
		k = st.Level
	}
	return k
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

func ratio(k, n int64) float64 {
	if n == 0 {
		return 0
	}
	return float64(k) / float64(n)
}
