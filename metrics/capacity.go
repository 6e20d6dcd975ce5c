package metrics

import (
	"math"
	"time"
)

// CapacityStep is one load level of a capacity search and how the run did
// at it, judged on the step after its settling time.
type CapacityStep struct {
	Level  float64 `json:"level"`
	Passed bool    `json:"passed"`
	// MeasuredS is how long the step was judged on (its length less the
	// settling time, in whole intervals).
	MeasuredS    float64 `json:"measured_s"`
	Requests     int64   `json:"requests"`
	RPS          float64 `json:"rps"`
	Failures     int64   `json:"failures"`
	FailureRatio float64 `json:"failure_ratio"`
	Latency      Latency `json:"latency_ms"`
	Logins       int64   `json:"logins"`
	LostSessions int64   `json:"sessions_lost"`
	// WarmLost counts warm sessions found gone during the step (expired or
	// evicted by the store).
	WarmLost int64 `json:"warm_sessions_lost"`
	// LoggedIn and Warm are the VUs' logged-in sessions and the warm
	// sessions held at the step's end.
	LoggedIn   int               `json:"logged_in"`
	Warm       int               `json:"warm"`
	Thresholds []ThresholdResult `json:"thresholds"`
}

// Capacity is the outcome of a capacity search: the load stepped up until
// a threshold broke.
type Capacity struct {
	// Vary names what was stepped: vus, warm_sessions or login_rate.
	Vary string `json:"vary,omitempty"`
	// LastPassing is the highest level at which every threshold held (0:
	// none did); FirstFailing the level that broke one (0: none broke up
	// to the search's maximum).
	LastPassing  float64 `json:"last_passing"`
	FirstFailing float64 `json:"first_failing,omitempty"`
	// Knee is the highest level whose p95 stayed within KneeFactor times
	// the p95 of the first (lightest) step: where latency starts to climb,
	// often before a threshold breaks.
	Knee  float64        `json:"knee,omitempty"`
	Steps []CapacityStep `json:"steps"`
}

// KneeFactor is how far p95 may rise over the lightest step's before the
// load is past the knee.
const KneeFactor = 2

// CapacityPlan says how a capacity search steps the load.
type CapacityPlan struct {
	Vary             string
	Start, Step, Max float64
	StepLen, Settle  time.Duration
	Interval         time.Duration // how often the run is drained
	Thresholds       []Threshold
	Series           []SeriesInfo
	Checks           []string
}

// Levels returns the levels of the search, Start to Max by Step.
func (p *CapacityPlan) Levels() []float64 {
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
func (p *CapacityPlan) Duration() time.Duration {
	return time.Duration(len(p.Levels())) * p.StepLen
}

// CapacitySearch follows a run interval by interval: it gathers each
// step's measurements, judges the step on the thresholds when it ends, and
// says which level the load should have. It is pure bookkeeping: the run
// calls Observe after every drain.
type CapacitySearch struct {
	plan   CapacityPlan
	levels []float64
	step   int // the step being measured
	agg    *Aggregate
	warm   *Aggregate // the warm population's figures of the step
	judged time.Duration
	done   bool
	result Capacity
}

// NewCapacitySearch starts a search at its first level.
func NewCapacitySearch(p CapacityPlan) *CapacitySearch {
	return &CapacitySearch{plan: p, levels: p.Levels(), agg: NewAggregate(len(p.Series)), warm: NewAggregate(len(p.Series)),
		result: Capacity{Vary: p.Vary, Steps: []CapacityStep{}}}
}

// Level is the load level wanted now.
func (s *CapacitySearch) Level() float64 {
	return s.levels[min(s.step, len(s.levels)-1)]
}

// Observe takes the interval that ended at elapsed (the VUs' figures and
// the warm population's, nil without one), with the logged-in and warm
// sessions at that moment. It reports false once the search is over: a
// step broke a threshold, or the last step was judged.
func (s *CapacitySearch) Observe(elapsed time.Duration, interval, warmInterval *Aggregate, loggedIn, warm int) bool {
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
func (s *CapacitySearch) judge(loggedIn, warm int) {
	p := &s.plan
	reqs, fails := s.agg.Requests()
	lat := LatencyOf(s.agg.AllLatency(p.Series))
	st := CapacityStep{Level: s.Level(), Passed: true, MeasuredS: s.judged.Seconds(), Requests: reqs,
		Failures: fails, Latency: lat, Logins: s.agg.Sessions.Logins, LostSessions: s.agg.Sessions.SessionsLost,
		LoggedIn: loggedIn, Warm: warm, WarmLost: s.warm.Sessions.SessionsLost, Thresholds: []ThresholdResult{}}
	if secs := s.judged.Seconds(); secs > 0 {
		st.RPS = round3(float64(reqs) / secs)
	}
	st.FailureRatio = round3(ratio(fails, reqs))
	for _, t := range p.Thresholds {
		v, ok := t.EvalOn(s.agg, s.warm, p.Series, p.Checks, s.judged)
		st.Thresholds = append(st.Thresholds, ThresholdResult{Expr: t.Source, OK: ok, Value: v})
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
func (s *CapacitySearch) Finish(loggedIn, warm int) Capacity {
	if !s.done && s.judged > 0 {
		s.judge(loggedIn, warm)
	}
	s.result.Knee = knee(s.result.Steps)
	return s.result
}

// knee is the highest passing level whose p95 stayed within KneeFactor
// times the first step's.
func knee(steps []CapacityStep) float64 {
	if len(steps) == 0 || !steps[0].Passed {
		return 0
	}
	base := math.Max(steps[0].Latency.P95, 0.001)
	k := 0.0
	for _, st := range steps {
		if !st.Passed || st.Latency.P95 > KneeFactor*base {
			break
		}
		k = st.Level
	}
	return k
}
