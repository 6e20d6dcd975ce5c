package results

import (
	"github.com/cohort-dev/cohort/metrics"

	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Threshold is a pass/fail criterion on a run's figures, in the syntax k6
// users know: METRIC{tag:value,...}: AGGREGATION OP NUMBER, e.g.
// "http_req_duration{name:list-orders}: p(99)<500".
type Threshold struct {
	Source string
	Metric string
	Tags   map[string]string
	Agg    string  // p, avg, min, max, med, count, rate
	P      float64 // the percentile, for Agg "p"
	Op     string
	Bound  float64
	// AbortOnFail stops the run as soon as the threshold fails, once Delay
	// has passed since the start.
	AbortOnFail bool
	Delay       time.Duration
	// OnWarm says the metric is the warm population's ("warm_" before a
	// metric name): it is read from the warm sessions' figures.
	OnWarm bool
}

// notWarm are the metrics a warm population has no share of.
var notWarm = []string{"checks", "iterations", "dropped_iterations", "scheduler_lag", "first_request_duration", "journey_duration", "journeys_failed"}

// metricKind says what a threshold metric measures.
type metricKind int

const (
	trendKind   metricKind = iota // durations in ms: p(N), avg, min, max, med, count
	ratioKind                     // a share of failures or passes: rate
	counterKind                   // events: count, rate (per second)
)

// thresholdMetrics are the metrics a threshold may name.
var thresholdMetrics = map[string]metricKind{
	"http_req_duration": trendKind, "http_req_blocked": trendKind, "http_req_connecting": trendKind,
	"http_req_tls_handshaking": trendKind, "http_req_sending": trendKind, "http_req_waiting": trendKind,
	"http_req_receiving": trendKind, "login_duration": trendKind, "first_request_duration": trendKind,
	"scheduler_lag":   trendKind,
	"http_req_failed": ratioKind, "login_failed": ratioKind, "checks": ratioKind,
	"journey_duration": trendKind, "journeys_failed": ratioKind,
	"http_reqs": counterKind, "iterations": counterKind, "dropped_iterations": counterKind,
	"sessions_lost": counterKind, "relogins": counterKind, "logins": counterKind,
}

var phaseOfMetric = map[string]metrics.Hist{
	"http_req_duration": metrics.HistLatency, "http_req_blocked": metrics.HistBlocked, "http_req_connecting": metrics.HistConnect,
	"http_req_tls_handshaking": metrics.HistTLS, "http_req_sending": metrics.HistSending, "http_req_waiting": metrics.HistTTFB,
	"http_req_receiving": metrics.HistReceiving,
}

var (
	thresholdRE = regexp.MustCompile(`^\s*([a-z_]+)\s*(?:\{([^}]*)\})?\s*:\s*(p\(\s*[0-9.]+\s*\)|avg|min|max|med|count|rate)\s*(<=|>=|==|!=|<|>)\s*(-?[0-9.]+(?:e-?[0-9]+)?)\s*$`)
	tagNames    = []string{"name", "group", "method", "reused", "journey", "scenario"}
)

// ParseThreshold reads one threshold; the error says what is wrong in
// words a user can act on.
func ParseThreshold(s string) (Threshold, error) {
	m := thresholdRE.FindStringSubmatch(s)
	if m == nil {
		return Threshold{}, fmt.Errorf("%q: want METRIC{tag:value}: AGGREGATION OP NUMBER, e.g. \"http_req_duration{name:login-submit}: p(99)<500\"", s)
	}
	t := Threshold{Source: strings.TrimSpace(s), Metric: m[1], Tags: map[string]string{}, Op: m[4]}
	if rest, ok := strings.CutPrefix(t.Metric, "warm_"); ok && !slices.Contains(notWarm, rest) {
		if _, known := thresholdMetrics[rest]; known {
			t.Metric, t.OnWarm = rest, true
		}
	}
	kind, ok := thresholdMetrics[t.Metric]
	if !ok {
		names := make([]string, 0, len(thresholdMetrics))
		for n := range thresholdMetrics {
			names = append(names, n)
		}
		slices.Sort(names)
		return t, fmt.Errorf("%q: unknown metric %q (known: %s; and warm_ before a session or request metric, for the warm population)", s, t.Metric, strings.Join(names, ", "))
	}
	if m[2] != "" {
		for _, kv := range strings.Split(m[2], ",") {
			k, v, ok := strings.Cut(kv, ":")
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			if !ok || v == "" || !slices.Contains(tagNames, k) {
				return t, fmt.Errorf("%q: tag %q: want name:VALUE, group:VALUE, method:VALUE, reused:true|false, journey:NAME or scenario:NAME", s, kv)
			}
			t.Tags[k] = v
		}
	}
	agg := m[3]
	if strings.HasPrefix(agg, "p(") {
		p, err := strconv.ParseFloat(strings.TrimSpace(agg[2:len(agg)-1]), 64)
		if err != nil || p < 0 || p > 100 {
			return t, fmt.Errorf("%q: %s: a percentile is between 0 and 100", s, agg)
		}
		agg, t.P = "p", p
	}
	t.Agg = agg
	allowed := map[metricKind][]string{
		trendKind:   {"p", "avg", "min", "max", "med", "count"},
		ratioKind:   {"rate"},
		counterKind: {"count", "rate"},
	}[kind]
	if !slices.Contains(allowed, agg) {
		return t, fmt.Errorf("%q: %s takes %s, not %s", s, t.Metric, strings.Join(allowed, ", "), m[3])
	}
	bound, err := strconv.ParseFloat(m[5], 64)
	if err != nil {
		return t, fmt.Errorf("%q: %q is not a number", s, m[5])
	}
	t.Bound = bound
	return t, nil
}

// Judge evaluates the threshold on a snapshot. A threshold on a scenario
// that had not started by then is not judged (and not passed): the figures
// would be nobody's, and 0 passes p(95)<500 as surely as it fails
// iterations>10.
func (t Threshold) Judge(s metrics.Snapshot) ThresholdResult {
	if why := t.unjudged(s); why != "" {
		return ThresholdResult{Expr: t.Source, NotJudged: why}
	}
	v, ok := t.EvalOn(s)
	return ThresholdResult{Expr: t.Source, OK: ok, Value: v}
}

// unjudged says why the snapshot holds nothing to judge the threshold
// on; "" when it does.
func (t Threshold) unjudged(s metrics.Snapshot) string {
	name, ok := t.Tags["scenario"]
	if !ok {
		return ""
	}
	for _, sc := range s.Scenarios {
		if sc.Name == name {
			if sc.Started {
				return ""
			}
			return "scenario " + name + " never started"
		}
	}
	return "the run has no scenario " + name
}

// EvalOn evaluates the threshold on what a snapshot holds: the run's
// figures so far (Total), or the warm population's (WarmTotal; nil: none,
// and the value is 0) for a warm_ metric, over Elapsed.
func (t Threshold) EvalOn(s metrics.Snapshot) (float64, bool) {
	a := s.Total
	if name, ok := t.Tags["scenario"]; ok {
		// The scenario's own figures: its sessions and iterations as well
		// as its requests (its series; the others' are empty there).
		a = metrics.NewAggregate(0)
		for _, sc := range s.Scenarios {
			if sc.Name == name && sc.Total != nil {
				a = sc.Total
			}
		}
	}
	if t.OnWarm {
		a = s.WarmTotal
		if a == nil {
			a = metrics.NewAggregate(0)
		}
	}
	if isJourneyMetric(t.Metric) {
		var names []string
		if s.Legend != nil {
			names = s.Legend.Journeys
		}
		v := t.journeyValue(a, names)
		return v, compare(v, t.Op, t.Bound)
	}
	var series []metrics.SeriesInfo
	var checks []string
	if s.Legend != nil {
		series, checks = s.Legend.Series, s.Legend.Checks
	}
	return t.Eval(a, series, checks, s.Elapsed)
}

// Eval computes the threshold's value over a run's aggregate and says
// whether it holds. A threshold over nothing (no requests of that name)
// has value 0 and is judged on it, as k6 does.
func (t Threshold) Eval(a *metrics.Aggregate, series []metrics.SeriesInfo, checks []string, d time.Duration) (float64, bool) {
	v := t.value(a, series, checks, d)
	return v, compare(v, t.Op, t.Bound)
}

func compare(v float64, op string, bound float64) bool {
	switch op {
	case "<":
		return v < bound
	case "<=":
		return v <= bound
	case ">":
		return v > bound
	case ">=":
		return v >= bound
	case "==":
		return v == bound
	}
	return v != bound
}

func (t Threshold) value(a *metrics.Aggregate, series []metrics.SeriesInfo, checks []string, d time.Duration) float64 {
	perSecond := func(n int64) float64 {
		if t.Agg == "rate" {
			if d <= 0 {
				return 0
			}
			return float64(n) / d.Seconds()
		}
		return float64(n)
	}
	switch t.Metric {
	case "login_duration":
		return t.fromHist(a.Login)
	case "first_request_duration":
		return t.fromHist(a.First)
	case "scheduler_lag":
		return t.fromHist(a.Lag)
	case "login_failed":
		return ratio(a.Sessions.LoginFailures, a.Sessions.Logins+a.Sessions.LoginFailures)
	case "checks":
		var pass, fail int64
		for i := range a.Checks {
			if name, ok := t.Tags["name"]; ok && (i >= len(checks) || checks[i] != name) {
				continue
			}
			pass += a.Checks[i].Pass
			fail += a.Checks[i].Fail
		}
		return ratio(pass, pass+fail)
	case "iterations":
		return perSecond(a.Iterations)
	case "dropped_iterations":
		return perSecond(a.Dropped)
	case "sessions_lost":
		return perSecond(a.Sessions.SessionsLost)
	case "relogins":
		return perSecond(a.Sessions.Relogins)
	case "logins":
		return perSecond(a.Sessions.Logins)
	}
	var count, failures int64
	h := metrics.NewHistogram()
	kind := phaseOfMetric[t.Metric]
	if r, ok := t.Tags["reused"]; ok && t.Metric == "http_req_duration" {
		kind = map[string]metrics.Hist{"true": metrics.HistReused, "false": metrics.HistNew}[r]
	}
	for i := range a.Series {
		if i >= len(series) || !t.matches(series[i]) {
			continue
		}
		s := &a.Series[i]
		count += s.Count
		failures += s.Failures
		if x := s.Hists[kind]; x != nil {
			h.Merge(x)
		}
	}
	switch t.Metric {
	case "http_req_failed":
		return ratio(failures, count)
	case "http_reqs":
		return perSecond(count)
	}
	return t.fromHist(h)
}

func isJourneyMetric(m string) bool { return m == "journey_duration" || m == "journeys_failed" }

// journeyValue is a journey metric's value: over the journey the tag
// names, or over every journey.
func (t Threshold) journeyValue(a *metrics.Aggregate, names []string) float64 {
	want, one := t.Tags["journey"]
	h := metrics.NewHistogram()
	var count, failed int64
	for i := range a.Journeys {
		if one && (i >= len(names) || names[i] != want) {
			continue
		}
		ja := &a.Journeys[i]
		count += ja.Count
		failed += ja.Failed
		if ja.Latency != nil {
			h.Merge(ja.Latency)
		}
	}
	if t.Metric == "journeys_failed" {
		return ratio(failed, count)
	}
	return t.fromHist(h)
}

func (t Threshold) matches(s metrics.SeriesInfo) bool {
	for k, v := range t.Tags {
		switch k {
		case "name":
			if s.Name != v {
				return false
			}
		case "group":
			if s.Group != v {
				return false
			}
		case "method":
			if !strings.EqualFold(s.Method, v) {
				return false
			}
		case "scenario":
			if s.Scenario != v {
				return false
			}
		}
	}
	return true
}

func ratio(k, n int64) float64 {
	if n == 0 {
		return 0
	}
	return float64(k) / float64(n)
}

// fromHist reads an aggregation of a histogram of microseconds, in ms.
func (t Threshold) fromHist(h *hdr.Histogram) float64 {
	if h == nil || h.TotalCount() == 0 {
		return 0
	}
	ms := func(us int64) float64 { return round3(float64(us) / 1000) }
	switch t.Agg {
	case "p":
		return ms(metrics.Percentile(h, t.P))
	case "med":
		return ms(metrics.Percentile(h, 50))
	case "avg":
		return round3(h.Mean() / 1000)
	case "min":
		return ms(h.Min())
	case "max":
		return ms(h.Max())
	case "count":
		return float64(h.TotalCount())
	}
	return math.NaN()
}

// Check refuses a threshold that names what the run does not have: a
// request name, group or method of no request, a reused value other than
// true or false, or a check the plan does not define. Such a threshold is
// judged on nothing, passes as 0, and says nothing; a typo in a CI gate
// must fail before the run, not pass after it.
//
// The legend is the plan's: its series, checks and journeys, with the
// scenario of each journey when the run has scenarios.
func (t Threshold) Check(l metrics.Legend) error {
	series := l.Series
	if r, ok := t.Tags["reused"]; ok && r != "true" && r != "false" {
		return fmt.Errorf("%q: reused:%s: want reused:true or reused:false", t.Source, r)
	}
	if name, ok := t.Tags["scenario"]; ok {
		var names []string
		for _, s := range series {
			if s.Scenario != "" && !slices.Contains(names, s.Scenario) {
				names = append(names, s.Scenario)
			}
		}
		if !slices.Contains(names, name) {
			return fmt.Errorf("%q: no scenario named %q (scenarios: %s)", t.Source, name, listOrNone(names))
		}
		if t.OnWarm {
			return fmt.Errorf("%q: the warm population is no scenario's", t.Source)
		}
		if isJourneyMetric(t.Metric) {
			return t.checkJourney(journeysOf(l, name), "scenario "+name)
		}
		if len(t.Tags) == 1 {
			return nil // any metric, on the scenario's own figures
		}
	}
	if isJourneyMetric(t.Metric) {
		return t.checkJourney(l.Journeys, "the mix")
	}
	if _, ok := t.Tags["journey"]; ok {
		return fmt.Errorf("%q: journey: goes with journey_duration and journeys_failed", t.Source)
	}
	_, perRequest := phaseOfMetric[t.Metric]
	perRequest = perRequest || t.Metric == "http_req_failed" || t.Metric == "http_reqs"
	if _, ok := t.Tags["scenario"]; !perRequest && t.Metric != "checks" && len(t.Tags) > 0 && !(ok && len(t.Tags) == 1) {
		return fmt.Errorf("%q: %s is not split by request: it takes no tags", t.Source, t.Metric)
	}
	if t.Metric == "checks" {
		if name, ok := t.Tags["name"]; ok && !slices.Contains(l.Checks, name) {
			return fmt.Errorf("%q: no check named %q (checks: %s)", t.Source, name, listOrNone(l.Checks))
		}
		return nil
	}
	known := map[string][]string{}
	for _, s := range series {
		for k, v := range map[string]string{"name": s.Name, "group": s.Group, "method": strings.ToUpper(s.Method)} {
			if !slices.Contains(known[k], v) {
				known[k] = append(known[k], v)
			}
		}
	}
	for _, k := range []string{"name", "group", "method"} {
		v, ok := t.Tags[k]
		if !ok {
			continue
		}
		if k == "method" {
			v = strings.ToUpper(v)
		}
		if !slices.Contains(known[k], v) {
			return fmt.Errorf("%q: no request has %s %q (%ss: %s)", t.Source, k, t.Tags[k], k, listOrNone(known[k]))
		}
	}
	for _, s := range series {
		if t.matches(s) {
			return nil
		}
	}
	if len(t.Tags) > 0 && len(series) > 0 {
		return fmt.Errorf("%q: no request has all of %s", t.Source, tagList(t.Tags))
	}
	return nil
}

// journeysOf names the journeys of one scenario.
func journeysOf(l metrics.Legend, scenario string) []string {
	var names []string
	for i, j := range l.Journeys {
		if i < len(l.JourneyScenarios) && l.JourneyScenarios[i] == scenario {
			names = append(names, j)
		}
	}
	return names
}

// checkJourney refuses a journey threshold with other tags than journey:,
// or naming no journey of where (the mix, or a scenario).
func (t Threshold) checkJourney(journeys []string, where string) error {
	for k := range t.Tags {
		if k != "journey" && k != "scenario" {
			return fmt.Errorf("%q: %s takes only journey:NAME and scenario:NAME", t.Source, t.Metric)
		}
	}
	if len(journeys) == 0 {
		return fmt.Errorf("%q: %s has no journey", t.Source, where)
	}
	if name, ok := t.Tags["journey"]; ok && !slices.Contains(journeys, name) {
		return fmt.Errorf("%q: no journey named %q (journeys: %s)", t.Source, name, listOrNone(journeys))
	}
	return nil
}

func listOrNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

func tagList(tags map[string]string) string {
	var parts []string
	for _, k := range tagNames {
		if v, ok := tags[k]; ok {
			parts = append(parts, k+":"+v)
		}
	}
	return strings.Join(parts, ", ")
}
