// Package capacity owns the capacity search (--find-capacity): it turns a
// profile's load into steps of rising load, steers a run from one level to
// the next, judges each step on its own, and says which level held last
// and where latency began to climb. What it finds is results.Capacity, a
// part of the result file.
package capacity

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cohort-dev/cohort/metrics"
	"github.com/cohort-dev/cohort/metrics/results"
	"github.com/cohort-dev/cohort/profiles"
)

// Plan says how a capacity search steps the load.
type Plan struct {
	Vary             string
	Start, Step, Max float64
	StepLen, Settle  time.Duration
	Interval         time.Duration // how often the run is drained
	// VUs and Warm are the VUs and warm sessions the run holds beside the
	// level (when the level is something else): each step must keep them
	// too.
	VUs, Warm  int
	Thresholds []results.Threshold
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

// wanted is what level asks the run to hold: VUs logged in and warm
// sessions (0: not part of the search).
func (p *Plan) wanted(level float64) (vus, warm int) {
	vus, warm = p.VUs, p.Warm
	switch p.Vary {
	case profiles.VaryVUs:
		vus = int(level)
	case profiles.VaryWarm:
		warm = int(level)
	}
	return vus, warm
}

// Search follows a run interval by interval: it gathers each step's
// measurements, judges the step when it ends, and says which level the
// load should have. It is pure bookkeeping: the run calls Observe after
// every drain.
type Search struct {
	plan   Plan
	levels []float64
	step   int // the step being measured
	cur    stepFigures
	legend *metrics.Legend // of the run's figures, from its snapshots
	done   bool
	result results.Capacity
}

// stepFigures are what a step measured so far.
type stepFigures struct {
	judged      *metrics.Aggregate // the judged part, after the settling time
	judgedWarm  *metrics.Aggregate
	whole       *metrics.Aggregate // the whole step
	wholeWarm   *metrics.Aggregate
	judgedFor   time.Duration
	leastIn     int // the fewest VUs logged in at a judged interval
	leastWarm   int // the fewest warm sessions held at a judged interval
	loggedIn    int // at the step's last interval
	warm        int
	intervalsIn int // judged intervals seen
}

func newStepFigures(n int) stepFigures {
	return stepFigures{judged: metrics.NewAggregate(n), judgedWarm: metrics.NewAggregate(n),
		whole: metrics.NewAggregate(n), wholeWarm: metrics.NewAggregate(n)}
}

func (f *stepFigures) reset() {
	for _, a := range []*metrics.Aggregate{f.judged, f.judgedWarm, f.whole, f.wholeWarm} {
		a.Reset()
	}
	f.judgedFor, f.intervalsIn = 0, 0
}

// New starts a search at its first level.
func New(p Plan) *Search {
	return &Search{plan: p, levels: p.Levels(), cur: newStepFigures(0),
		result: results.Capacity{Vary: p.Vary, Steps: []results.CapacityStep{}}}
}

// Level is the load level wanted now.
func (s *Search) Level() float64 {
	return s.levels[min(s.step, len(s.levels)-1)]
}

// Observe takes the run's snapshot after a drain: the interval that ended
// then (the VUs' figures and the warm population's), with the logged-in
// and warm sessions at that moment. It reports false once the search is
// over: a step failed, or the last step was judged.
func (s *Search) Observe(snap metrics.Snapshot) bool {
	if s.done {
		return false
	}
	s.legend = snap.Legend
	elapsed := snap.Elapsed
	// The interval belongs to the step its middle falls in.
	mid := elapsed - s.plan.Interval/2
	at := int(mid / s.plan.StepLen)
	for at > s.step && !s.done {
		s.judge()
	}
	if s.done {
		return false
	}
	s.cur.add(snap, mid-time.Duration(s.step)*s.plan.StepLen >= s.plan.Settle, s.plan.Interval)
	if elapsed >= time.Duration(s.step+1)*s.plan.StepLen && s.cur.judgedFor > 0 {
		s.judge()
	}
	return !s.done
}

// add takes one interval into the step; judged says it is past the
// settling time.
func (f *stepFigures) add(snap metrics.Snapshot, judged bool, d time.Duration) {
	interval, warmInterval, loggedIn, warm := snap.Interval, snap.Warm, snap.LoggedIn, snap.WarmHeld
	f.whole.Merge(interval)
	if warmInterval != nil {
		f.wholeWarm.Merge(warmInterval)
	}
	f.loggedIn, f.warm = loggedIn, warm
	if !judged {
		return
	}
	f.judged.Merge(interval)
	if warmInterval != nil {
		f.judgedWarm.Merge(warmInterval)
	}
	if f.intervalsIn == 0 || loggedIn < f.leastIn {
		f.leastIn = loggedIn
	}
	if f.intervalsIn == 0 || warm < f.leastWarm {
		f.leastWarm = warm
	}
	f.intervalsIn++
	f.judgedFor += d
}

// judge closes the current step and moves to the next level, or ends the
// search.
func (s *Search) judge() {
	st := s.stepResult()
	s.result.Steps = append(s.result.Steps, st)
	s.cur.reset()
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

// stepResult is what the current step measured, and its verdict.
func (s *Search) stepResult() results.CapacityStep {
	p, f := &s.plan, &s.cur
	var series []metrics.SeriesInfo
	if s.legend != nil {
		series = s.legend.Series
	}
	reqs, fails := f.judged.Requests()
	vus, warm := p.wanted(s.Level())
	st := results.CapacityStep{Level: s.Level(), StartS: (time.Duration(s.step) * p.StepLen).Seconds(), MeasuredS: f.judgedFor.Seconds(), Requests: reqs,
		Failures: fails, Latency: results.LatencyOf(f.judged.AllLatency(series)),
		Logins: f.whole.Sessions.Logins, LoginFailures: f.whole.Sessions.LoginFailures,
		WarmLogins: f.wholeWarm.Sessions.Logins, WarmLoginFailures: f.wholeWarm.Sessions.LoginFailures,
		LostSessions: f.judged.Sessions.SessionsLost, WarmLost: f.judgedWarm.Sessions.SessionsLost,
		LoggedIn: f.loggedIn, Warm: f.warm, LeastLoggedIn: f.leastIn, LeastWarm: f.leastWarm,
		VUsWanted: vus, WarmWanted: warm, Thresholds: []results.ThresholdResult{}}
	if secs := f.judgedFor.Seconds(); secs > 0 {
		st.RPS = round3(float64(reqs) / secs)
	}
	st.FailureRatio = round3(ratio(fails, reqs))
	st.FailuresByReason, st.FailuresByStatus = failuresOf(f.judged)
	var why []string
	if notHeld := s.notHeld(&st); notHeld != "" {
		why = append(why, notHeld)
	}
	st.Held = len(why) == 0
	for _, t := range p.Thresholds {
		v, ok := t.EvalOn(metrics.Snapshot{Total: f.judged, WarmTotal: f.judgedWarm, Elapsed: f.judgedFor, Legend: s.legend})
		st.Thresholds = append(st.Thresholds, results.ThresholdResult{Expr: t.Source, OK: ok, Value: v})
		if !ok {
			why = append(why, fmt.Sprintf("%s: %g", t.Source, v))
		}
	}
	if f.judgedFor == 0 {
		why = append(why, "nothing was measured") // the step cannot pass
	}
	st.Passed = len(why) == 0
	st.Reason = strings.Join(why, "; ")
	return st
}

// notHeld says how the step fell short of its level, or "": fewer VUs
// logged in, or fewer warm sessions held, than the level asks for at some
// interval of the judged part, or logins failing while the login rate is
// the level.
func (s *Search) notHeld(st *results.CapacityStep) string {
	var short []string
	if st.VUsWanted > 0 && st.LeastLoggedIn < st.VUsWanted {
		short = append(short, fmt.Sprintf("%d of %d VUs logged in", st.LeastLoggedIn, st.VUsWanted))
	}
	if st.WarmWanted > 0 && st.LeastWarm < st.WarmWanted {
		short = append(short, fmt.Sprintf("%d of %d warm sessions held", st.LeastWarm, st.WarmWanted))
	}
	failed := st.LoginFailures + st.WarmLoginFailures
	if s.plan.Vary == profiles.VaryLoginRate && failed > 0 && len(short) == 0 {
		short = append(short, "logins failed at this rate")
	}
	if len(short) == 0 {
		return ""
	}
	if failed > 0 {
		short = append(short, fmt.Sprintf("%d logins failed%s", failed, loginStatuses(s.legend, s.cur.whole, s.cur.wholeWarm)))
	}
	return "level not held: " + strings.Join(short, ", ")
}

// loginStatuses lists the statuses the failed login requests of aggs got:
// ": 500", ": 500 (58), 403 (2)".
func loginStatuses(legend *metrics.Legend, aggs ...*metrics.Aggregate) string {
	var series []metrics.SeriesInfo
	if legend != nil {
		series = legend.Series
	}
	counts := map[int]int64{}
	for _, a := range aggs {
		for i := range a.Series {
			if i < len(series) && series[i].Group == "login" {
				for code, n := range a.Series[i].FailedStatus() {
					counts[code] += n
				}
			}
		}
	}
	codes := slices.SortedFunc(maps.Keys(counts), func(x, y int) int { return cmp.Or(cmp.Compare(counts[y], counts[x]), cmp.Compare(x, y)) })
	switch len(codes) {
	case 0:
		return ""
	case 1:
		return ": " + statusName(codes[0])
	}
	var parts []string
	for _, c := range codes {
		parts = append(parts, fmt.Sprintf("%s (%d)", statusName(c), counts[c]))
	}
	return ": " + strings.Join(parts, ", ")
}

func statusName(code int) string {
	if code == 0 {
		return "no response"
	}
	return strconv.Itoa(code)
}

// failuresOf splits an aggregate's failed requests by reason and status.
func failuresOf(a *metrics.Aggregate) (byReason, byStatus map[string]int64) {
	for i := range a.Series {
		sa := &a.Series[i]
		if sa.Failures == 0 {
			continue
		}
		if byReason == nil {
			byReason, byStatus = map[string]int64{}, map[string]int64{}
		}
		for r, n := range sa.Reasons {
			if n > 0 {
				byReason[metrics.Reason(r).String()] += n
			}
		}
		for code, n := range sa.FailedStatus() {
			byStatus[strconv.Itoa(code)] += n
		}
	}
	return byReason, byStatus
}

// Finish judges a step the run's end cut short, if it measured anything,
// and returns the outcome.
func (s *Search) Finish() results.Capacity {
	if !s.done && s.cur.judgedFor > 0 {
		s.judge()
	}
	s.result.Knee = knee(s.result.Steps)
	return s.result
}

// knee is the highest passing level before the first two steps in a row
// whose p95 exceeds KneeFactor times the baseline, the median p95 of the
// (up to) three lightest steps: one noisy step neither moves the baseline
// nor ends the knee.
func knee(steps []results.CapacityStep) float64 {
	if len(steps) == 0 || !steps[0].Passed {
		return 0
	}
	var first []float64
	for _, st := range steps[:min(3, len(steps))] {
		first = append(first, st.Latency.P95)
	}
	slices.Sort(first)
	limit := results.KneeFactor * math.Max(first[len(first)/2], 0.001)
	over := func(i int) bool { return i >= len(steps) || !steps[i].Passed || steps[i].Latency.P95 > limit }
	k := 0.0
	for i, st := range steps {
		if !st.Passed || (over(i) && (over(i+1) || i == len(steps)-1)) {
			break
		}
		if !over(i) {
			k = st.Level
		}
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
