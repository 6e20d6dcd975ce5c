// Package results makes what a run measured into what a user reads and
// keeps: the result file (its schema, reading it back, merging the results
// of a distributed run's segments exactly), thresholds and their verdict,
// the timeline, and the reporters (the summary, percentile files, the
// connection-mode table), all functions over a Result. The hot path that
// records the figures is metrics, a leaf this package builds on.
package results

import (
	"github.com/cohort-dev/cohort/findings"
	"github.com/cohort-dev/cohort/metrics"

	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Schema identifies the result file format.
const Schema = "cohort.result/v1"

// Latency is a latency block: counts and percentiles in milliseconds.
type Latency struct {
	Count int64   `json:"count"`
	Min   float64 `json:"min"`
	Mean  float64 `json:"mean"`
	P50   float64 `json:"p50"`
	P90   float64 `json:"p90"`
	P95   float64 `json:"p95"`
	P99   float64 `json:"p99"`
	P999  float64 `json:"p999"`
	Max   float64 `json:"max"`
}

// LatencyOf summarises a histogram of microseconds; nil gives zeros.
func LatencyOf(h *hdr.Histogram) Latency {
	if h == nil || h.TotalCount() == 0 {
		return Latency{}
	}
	ms := func(us int64) float64 { return round3(float64(us) / 1000) }
	return Latency{
		Count: h.TotalCount(),
		Min:   ms(h.Min()),
		Mean:  round3(h.Mean() / 1000),
		P50:   ms(metrics.Percentile(h, 50)),
		P90:   ms(metrics.Percentile(h, 90)),
		P95:   ms(metrics.Percentile(h, 95)),
		P99:   ms(metrics.Percentile(h, 99)),
		P999:  ms(metrics.Percentile(h, 99.9)),
		Max:   ms(h.Max()),
	}
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

// Totals are the run's headline counts.
type Totals struct {
	Requests    int64   `json:"requests"`
	Failures    int64   `json:"failures"`
	RPS         float64 `json:"rps"`
	Iterations  int64   `json:"iterations"`
	Dropped     int64   `json:"dropped_iterations"`
	Interrupted int64   `json:"interrupted_iterations"`
}

// ConnBlock is the count and latency of requests on one kind of connection.
type ConnBlock struct {
	Count   int64   `json:"count"`
	Latency Latency `json:"latency_ms"`
}

// RequestResult holds the figures of one request series.
type RequestResult struct {
	// Scenario is the scenario the request is of; absent without
	// scenarios.
	Scenario string           `json:"scenario,omitempty"`
	Name     string           `json:"name"`
	Method   string           `json:"method"`
	Group    string           `json:"group"`
	Count    int64            `json:"count"`
	Failures int64            `json:"failures"`
	RPS      float64          `json:"rps"`
	Status   map[string]int64 `json:"status"`
	Reasons  map[string]int64 `json:"failures_by_reason"`
	// FailedStatus counts the failed requests by the status they got ("0":
	// none); absent when none failed.
	FailedStatus map[string]int64     `json:"failures_by_status,omitempty"`
	Latency      Latency              `json:"latency_ms"`
	Phases       map[string]Latency   `json:"phases_ms"`
	ByConnection map[string]ConnBlock `json:"by_connection"`
	BySession    map[string]Latency   `json:"by_session_phase"`
}

// AutoLoginRate is what login_rate: auto did: the rate at the end and the
// highest it reached (logins per second; the sums of a distributed run's
// segments, each of which finds its own), and how many times it was
// halved.
type AutoLoginRate struct {
	Final float64 `json:"final_per_s"`
	Peak  float64 `json:"peak_per_s"`
	Cuts  int     `json:"cuts"`
}

// SessionResult holds the session lifecycle figures.
type SessionResult struct {
	Logins         int64   `json:"logins"`
	LoginFailures  int64   `json:"login_failures"`
	Login          Latency `json:"login_ms"`
	FirstRequest   Latency `json:"first_request_ms"`
	Relogins       int64   `json:"relogins"`
	SessionsLost   int64   `json:"sessions_lost"`
	Refreshes      int64   `json:"token_refreshes"`
	RefreshFails   int64   `json:"token_refresh_failures"`
	IDRotations    int64   `json:"id_rotations"`
	Logouts        int64   `json:"logouts"`
	LogoutFailures int64   `json:"logout_failures"`
	Issued         int64   `json:"issued"`
	Warm           int64   `json:"warm"`
	// Moved counts requests of a session answered by another backend
	// instance than its previous request; LostAfterMove those that found
	// the session gone. Both need the profile's instance_header.
	Moved         int64 `json:"moved,omitempty"`
	LostAfterMove int64 `json:"lost_after_move,omitempty"`
	// Discarded counts session states (cookies, session header, variables)
	// thrown away so that a login started afresh.
	Discarded int64 `json:"discarded"`
	// LoginsInterrupted counts login flows the end of the run cut short
	// (its graceful stop ran out): counted neither as logins nor as failed
	// ones.
	LoginsInterrupted int64 `json:"logins_interrupted,omitempty"`
	// NeverLoggedIn counts the VUs that tried to log in and never did.
	NeverLoggedIn int64 `json:"vus_never_logged_in,omitempty"`
	// LoginRate is what login_rate: auto found; absent without it.
	LoginRate *AutoLoginRate `json:"login_rate_auto,omitempty"`
	// CookieHeader and SessionCookie are the sizes of the Cookie header a
	// session sends and of its session cookie, in bytes, taken whenever a
	// response changed the session's cookies; absent if none did.
	CookieHeader  *SizeBlock `json:"cookie_header_bytes,omitempty"`
	SessionCookie *SizeBlock `json:"session_cookie_bytes,omitempty"`
	// CookiesDropped counts the cookies the sessions' jars refused or
	// evicted as a browser would, by reason (too_large, foreign_domain,
	// public_suffix, prefix, insecure, evicted); absent when none was.
	CookiesDropped map[string]int64 `json:"cookies_dropped,omitempty"`
}

// cookieDrops names the non-zero counts of drops.
func cookieDrops(d *[metrics.NumCookieDrops]int64) map[string]int64 {
	var m map[string]int64
	for i, n := range d {
		if n > 0 {
			if m == nil {
				m = map[string]int64{}
			}
			m[metrics.CookieDrop(i).String()] = n
		}
	}
	return m
}

// SizeBlock summarizes sizes in bytes.
type SizeBlock struct {
	Count int64   `json:"count"`
	Mean  float64 `json:"mean"`
	P50   int64   `json:"p50"`
	P95   int64   `json:"p95"`
	Max   int64   `json:"max"`
}

// SizeOf summarizes a histogram of sizes; nil when it is empty.
func SizeOf(h *hdr.Histogram) *SizeBlock {
	if h == nil || h.TotalCount() == 0 {
		return nil
	}
	return &SizeBlock{Count: h.TotalCount(), Mean: round3(h.Mean()), P50: metrics.Percentile(h, 50),
		P95: metrics.Percentile(h, 95), Max: h.Max()}
}

// ServerSessions is the server's own count of its sessions: how many it
// created, and why it dropped them (expired idle, or evicted to make room).
type ServerSessions struct {
	Live        int64 `json:"live"`
	Created     int64 `json:"created"`
	Expired     int64 `json:"expired"`
	Evicted     int64 `json:"evicted"`
	Invalidated int64 `json:"invalidated"`
	// Rejected counts new sessions a full store refused.
	Rejected int64 `json:"rejected,omitempty"`
}

// InstanceResult is what one backend instance answered (instance_header).
// JourneyResult is what one journey of the mix did: how many ran, how many
// a failed step ended (by the step's reason), and how long whole journeys
// took, their pauses between steps in it (k6's group_duration).
type JourneyResult struct {
	// Scenario is the scenario whose journey it is; absent without
	// scenarios.
	Scenario string           `json:"scenario,omitempty"`
	Name     string           `json:"name"`
	Count    int64            `json:"count"`
	Failed   int64            `json:"failed"`
	Reasons  map[string]int64 `json:"failures_by_reason,omitempty"`
	Duration Latency          `json:"duration_ms"`
}

// InstanceResult is what one backend instance answered.
type InstanceResult struct {
	Name     string  `json:"name"`
	Requests int64   `json:"requests"`
	Failures int64   `json:"failures"`
	RPS      float64 `json:"rps"`
	Latency  Latency `json:"latency_ms"`
}

// WarmResult is what the warm population did: sessions logged in and kept
// alive beside the VUs, counted apart from the VUs' figures.
type WarmResult struct {
	// Wanted is the population asked for; Held how many were logged in at
	// the end.
	Wanted        int64   `json:"wanted"`
	Held          int64   `json:"held"`
	Logins        int64   `json:"logins"`
	LoginFailures int64   `json:"login_failures"`
	Login         Latency `json:"login_ms"`
	// Touches are the requests that keep the sessions alive.
	Touches       int64   `json:"touches"`
	TouchFailures int64   `json:"touch_failures"`
	Touch         Latency `json:"touch_ms"`
	// Lost counts touches that found the session gone (expired or evicted
	// by the server); each is logged in again (Relogins).
	Lost     int64 `json:"sessions_lost"`
	Relogins int64 `json:"relogins"`
}

// SetWarm fills in what a warm population did, from its aggregate (the
// touch request is series touch), keeping its histograms for merges.
func (r *Result) SetWarm(wanted, held int, a *metrics.Aggregate, touch int) {
	w := &WarmResult{Wanted: int64(wanted), Held: int64(held), Logins: a.Sessions.Logins,
		LoginFailures: a.Sessions.LoginFailures, Login: LatencyOf(a.Login),
		Lost: a.Sessions.SessionsLost, Relogins: a.Sessions.Relogins}
	r.encode("warm_login", a.Login)
	if touch >= 0 && touch < len(a.Series) {
		t := &a.Series[touch]
		w.Touches, w.TouchFailures, w.Touch = t.Count, t.Failures, LatencyOf(t.Hists[metrics.HistLatency])
		r.encode("warm_touch", t.Hists[metrics.HistLatency])
	}
	r.Warm = w
	r.Sessions.Warm = w.Held
}

// warmAggregate rebuilds what thresholds read of the warm population from
// the result's warm block; nil without one.
func (r *Result) warmAggregate() (*metrics.Aggregate, error) {
	w := r.Warm
	if w == nil {
		return nil, nil
	}
	a := metrics.NewAggregate(0)
	a.Sessions = metrics.Sessions{Logins: w.Logins, LoginFailures: w.LoginFailures, SessionsLost: w.Lost, Relogins: w.Relogins}
	h, err := r.Histogram("warm_login")
	if err != nil || h == nil {
		return a, err
	}
	a.Login.Merge(h)
	return a, nil
}

// mergeWarm adds the warm blocks of parts into r: counts add up, latencies
// come from the parts' histograms merged.
func (r *Result) mergeWarm(parts []*Result) error {
	var w *WarmResult
	login, touch := metrics.NewHistogram(), metrics.NewHistogram()
	for _, p := range parts {
		pw := p.Warm
		if pw == nil {
			continue
		}
		if w == nil {
			w = &WarmResult{}
		}
		w.Wanted += pw.Wanted
		w.Held += pw.Held
		w.Logins += pw.Logins
		w.LoginFailures += pw.LoginFailures
		w.Touches += pw.Touches
		w.TouchFailures += pw.TouchFailures
		w.Lost += pw.Lost
		w.Relogins += pw.Relogins
		for _, k := range []struct {
			key  string
			into *hdr.Histogram
		}{{"warm_login", login}, {"warm_touch", touch}} {
			h, err := p.Histogram(k.key)
			if err != nil {
				return err
			}
			if h != nil {
				k.into.Merge(h)
			}
		}
	}
	if w == nil {
		return nil
	}
	w.Login, w.Touch = LatencyOf(login), LatencyOf(touch)
	r.encode("warm_login", login)
	r.encode("warm_touch", touch)
	r.Warm = w
	r.Sessions.Warm = w.Held
	return nil
}

// Connections counts connections.
type Connections struct {
	// Opened counts TCP connections made (including any a request did not
	// end up using).
	Opened int64 `json:"opened"`
	// BytesSent and BytesReceived are what the run's TCP connections
	// moved on the wire (TLS and headers included); 0 over the
	// simulated network.
	BytesSent      int64 `json:"bytes_sent"`
	BytesReceived  int64 `json:"bytes_received"`
	ReusedRequests int64 `json:"reused_requests"`
	NewRequests    int64 `json:"new_requests"`
	// Protocols counts the answered requests by protocol ("HTTP/1.1",
	// "HTTP/2"); absent when nothing was answered.
	Protocols map[string]int64 `json:"protocols,omitempty"`
}

// Protocol names, as results give them.
const (
	ProtoHTTP1 = "HTTP/1.1"
	ProtoHTTP2 = "HTTP/2"
)

func protocols(a *metrics.Aggregate) map[string]int64 {
	if a.HTTP1 == 0 && a.HTTP2 == 0 {
		return nil
	}
	m := map[string]int64{}
	if a.HTTP1 > 0 {
		m[ProtoHTTP1] = a.HTTP1
	}
	if a.HTTP2 > 0 {
		m[ProtoHTTP2] = a.HTTP2
	}
	return m
}

// ThresholdResult is one evaluated threshold.
type ThresholdResult struct {
	Expr  string  `json:"expr"`
	OK    bool    `json:"ok"`
	Value float64 `json:"value"`
	// NotJudged says why the run held nothing to judge the threshold on
	// (a scenario that never started); OK is false then, and Value 0.
	NotJudged string `json:"not_judged,omitempty"`
}

// CheckResult counts the outcomes of one check.
type CheckResult struct {
	// Scenario is the scenario whose check it is; absent without
	// scenarios.
	Scenario string  `json:"scenario,omitempty"`
	Name     string  `json:"name"`
	Passes   int64   `json:"passes"`
	Fails    int64   `json:"fails"`
	Rate     float64 `json:"rate"`
}

// Result is the document a run writes with --out.
type Result struct {
	Schema      string            `json:"schema"`
	Profile     string            `json:"profile"`
	Segment     string            `json:"segment"`
	StartedAt   time.Time         `json:"started_at"`
	DurationS   float64           `json:"duration_s"`
	Tags        map[string]string `json:"tags,omitempty"`
	VUsMax      int               `json:"vus_max"`
	Interrupted bool              `json:"interrupted,omitempty"`
	// Aborted says which threshold stopped the run early, if one did.
	Aborted string `json:"aborted,omitempty"`
	// NotCarriedOut says why the run measured nothing a verdict can rest
	// on (every request failed, no VU logged in); absent when it did.
	NotCarriedOut string `json:"not_carried_out,omitempty"`
	// SessionFindings are what the wire showed of the application's
	// session security (docs/findings.md), the most serious first; absent
	// with --findings=false.
	SessionFindings []findings.Finding `json:"session_findings,omitempty"`
	// MergedSegments lists the segments a merged result holds.
	MergedSegments []string        `json:"merged_segments,omitempty"`
	Totals         Totals          `json:"totals"`
	Latency        Latency         `json:"latency_ms"`
	Requests       []RequestResult `json:"requests"`
	Sessions       SessionResult   `json:"sessions"`
	Connections    Connections     `json:"connections"`
	// SchedulerLag is how late the open-model scheduler started
	// iterations; empty in a closed model.
	SchedulerLag Latency           `json:"scheduler_lag_ms"`
	Thresholds   []ThresholdResult `json:"thresholds"`
	Checks       []CheckResult     `json:"checks"`
	Capacity     Capacity          `json:"capacity"`
	// Warm is the warm population's block; absent without one.
	Warm *WarmResult `json:"warm_sessions,omitempty"`
	// Instances splits the requests by the backend instance that answered
	// them; absent without instance_header.
	Instances []InstanceResult `json:"instances,omitempty"`
	// Journeys are the mix's journeys, in the profile's order; absent
	// when it has none.
	Journeys []JourneyResult `json:"journeys,omitempty"`
	// Scenarios are the profile's scenarios, each its load and its own
	// population's figures; absent without scenarios.
	Scenarios []ScenarioResult `json:"scenarios,omitempty"`
	// Server is what the server says of its sessions, when it can be asked
	// (the built-in target run in-process); absent otherwise.
	Server *ServerSessions `json:"server,omitempty"`
	// Timeline holds the run's figures over time, for reports.
	Timeline *Timeline `json:"timeline,omitempty"`
	// Histograms holds every histogram, HdrHistogram V2 compressed and
	// base64-encoded, so that results merge exactly.
	Histograms map[string]string `json:"histograms"`
}

// Meta is what a Result says about its run besides the figures.
type Meta struct {
	Profile     string
	Segment     string
	StartedAt   time.Time
	Duration    time.Duration
	Tags        map[string]string
	VUsMax      int
	Interrupted bool
	// NeverLoggedIn counts the VUs whose every login failed.
	NeverLoggedIn int
	// LoginRate is what login_rate: auto found; nil without it.
	LoginRate *AutoLoginRate
	// Checks names the checks, by index.
	Checks []string
	// Instances names the backend instances, by index less one.
	Instances []string
	// Journeys names the mix's journeys, by index.
	Journeys []string
	// CheckScenarios and JourneyScenarios name the scenario of each check
	// and journey, by index; nil without scenarios.
	CheckScenarios, JourneyScenarios []string
}

// at is list[i], or "" past its end.
func at(list []string, i int) string {
	if i < len(list) {
		return list[i]
	}
	return ""
}

// qualified names a check or a journey uniquely in a run: SCENARIO:NAME
// with scenarios, NAME without.
func qualified(scenario, name string) string {
	if scenario != "" {
		return scenario + ":" + name
	}
	return name
}

// NewResult builds the result document of a run from its aggregate.
func NewResult(m Meta, series []metrics.SeriesInfo, a *metrics.Aggregate) *Result {
	secs := m.Duration.Seconds()
	rate := func(n int64) float64 {
		if secs <= 0 {
			return 0
		}
		return round3(float64(n) / secs)
	}
	r := &Result{
		Schema: Schema, Profile: m.Profile, Segment: m.Segment, StartedAt: m.StartedAt.UTC(),
		DurationS: round3(secs), Tags: m.Tags, VUsMax: m.VUsMax, Interrupted: m.Interrupted,
		Thresholds: []ThresholdResult{}, Checks: []CheckResult{}, Capacity: Capacity{Steps: []CapacityStep{}},
		Histograms: map[string]string{},
	}
	reqs, fails := a.Requests()
	r.Totals = Totals{Requests: reqs, Failures: fails, RPS: rate(reqs), Iterations: a.Iterations,
		Dropped: a.Dropped, Interrupted: a.Interrupted}
	all := a.AllLatency(series)
	r.Latency = LatencyOf(all)
	r.encode("all", all)
	for i := range a.Series {
		r.Requests = append(r.Requests, r.requestResult(series[i], &a.Series[i], rate))
		r.Connections.ReusedRequests += a.Series[i].Reused
		r.Connections.NewRequests += a.Series[i].New
	}
	r.Connections.Opened = a.Opened
	r.Connections.BytesSent, r.Connections.BytesReceived = a.BytesSent, a.BytesReceived
	r.Connections.Protocols = protocols(a)
	s := a.Sessions
	r.Sessions = SessionResult{
		Logins: s.Logins, LoginFailures: s.LoginFailures, Login: LatencyOf(a.Login),
		FirstRequest: LatencyOf(a.First), Relogins: s.Relogins, SessionsLost: s.SessionsLost,
		Refreshes: s.Refreshes, RefreshFails: s.RefreshFails, IDRotations: s.Rotations,
		Logouts: s.Logouts, LogoutFailures: s.LogoutFailures, Issued: s.Issued,
		Moved: s.Moved, LostAfterMove: s.MovedLost, NeverLoggedIn: int64(m.NeverLoggedIn), Discarded: s.Discarded,
		CookieHeader: SizeOf(a.CookieHeader), SessionCookie: SizeOf(a.SessionCookie),
		CookiesDropped: cookieDrops(&s.CookiesDropped), LoginsInterrupted: s.LoginsInterrupted,
		LoginRate: m.LoginRate,
	}
	r.encode("cookie_header_bytes", a.CookieHeader)
	r.encode("session_cookie_bytes", a.SessionCookie)
	for i, name := range m.Instances {
		if i >= len(a.Instances) {
			break
		}
		ia := &a.Instances[i]
		r.Instances = append(r.Instances, InstanceResult{Name: name, Requests: ia.Count, Failures: ia.Failures,
			RPS: rate(ia.Count), Latency: LatencyOf(ia.Latency)})
		r.encode("instance:"+name, ia.Latency)
	}
	for i, name := range m.Journeys {
		var ja metrics.JourneyAgg
		if i < len(a.Journeys) {
			ja = a.Journeys[i]
		}
		jr := JourneyResult{Scenario: at(m.JourneyScenarios, i), Name: name, Count: ja.Count, Failed: ja.Failed, Duration: LatencyOf(ja.Latency)}
		for why, n := range ja.Reasons {
			if n > 0 {
				if jr.Reasons == nil {
					jr.Reasons = map[string]int64{}
				}
				jr.Reasons[metrics.Reason(why).String()] = n
			}
		}
		r.Journeys = append(r.Journeys, jr)
		r.encode("journey:"+qualified(jr.Scenario, name), ja.Latency)
	}
	r.encode("login", a.Login)
	r.encode("first_request", a.First)
	for i, name := range m.Checks {
		var c metrics.CheckAgg
		if i < len(a.Checks) {
			c = a.Checks[i]
		}
		r.Checks = append(r.Checks, CheckResult{Scenario: at(m.CheckScenarios, i), Name: name, Passes: c.Pass, Fails: c.Fail, Rate: round3(ratio(c.Pass, c.Pass+c.Fail))})
	}
	r.SchedulerLag = LatencyOf(a.Lag)
	r.encode("scheduler_lag", a.Lag)
	return r
}

func (r *Result) requestResult(info metrics.SeriesInfo, s *metrics.SeriesAgg, rate func(int64) float64) RequestResult {
	rr := RequestResult{
		Scenario: info.Scenario, Name: info.Name, Method: info.Method, Group: info.Group, Count: s.Count, Failures: s.Failures,
		RPS: rate(s.Count), Status: map[string]int64{}, Reasons: map[string]int64{},
		Latency:      LatencyOf(s.Hists[metrics.HistLatency]),
		Phases:       map[string]Latency{},
		ByConnection: map[string]ConnBlock{},
		BySession:    map[string]Latency{},
	}
	for code, n := range s.Status() {
		rr.Status[strconv.Itoa(code)] = n
	}
	for i, n := range s.Reasons {
		if n > 0 {
			rr.Reasons[metrics.Reason(i).String()] = n
		}
	}
	if s.Failures > 0 {
		rr.FailedStatus = map[string]int64{}
		for code, n := range s.FailedStatus() {
			rr.FailedStatus[strconv.Itoa(code)] = n
		}
	}
	for _, h := range []metrics.Hist{metrics.HistBlocked, metrics.HistConnect, metrics.HistTLS, metrics.HistSending, metrics.HistTTFB, metrics.HistReceiving} {
		rr.Phases[h.String()] = LatencyOf(s.Hists[h])
	}
	rr.ByConnection["reused"] = ConnBlock{Count: s.Reused, Latency: LatencyOf(s.Hists[metrics.HistReused])}
	rr.ByConnection["new"] = ConnBlock{Count: s.New, Latency: LatencyOf(s.Hists[metrics.HistNew])}
	if info.Group == "mix" { // only the mix has a first request after login
		rr.BySession["first"] = LatencyOf(s.Hists[metrics.HistFirst])
		rr.BySession["steady"] = LatencyOf(s.Hists[metrics.HistSteady])
	}
	for h, hist := range s.Hists {
		r.encode(info.Key()+"/"+metrics.Hist(h).String(), hist)
	}
	return rr
}

func (r *Result) encode(key string, h *hdr.Histogram) {
	if h == nil || h.TotalCount() == 0 {
		return
	}
	b, err := h.Encode(hdr.V2CompressedEncodingCookieBase)
	if err == nil {
		r.Histograms[key] = string(b)
	}
}

// Histogram decodes one of the result's histograms, or returns nil.
func (r *Result) Histogram(key string) (*hdr.Histogram, error) {
	s, ok := r.Histograms[key]
	if !ok {
		return nil, nil
	}
	h, err := hdr.Decode([]byte(s))
	if err != nil {
		return nil, fmt.Errorf("histogram %q: %v", key, err)
	}
	return h, nil
}

// HistogramKeys returns the names of the result's histograms, sorted.
func (r *Result) HistogramKeys() []string {
	keys := make([]string, 0, len(r.Histograms))
	for k := range r.Histograms {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// WriteFile writes the result as indented JSON, atomically: a reader sees
// the old file or the whole new one, never a part.
func (r *Result) WriteFile(path string) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return WriteFileAtomic(path, append(data, '\n'))
}

// ReadResult reads a result file, refusing anything that is not one.
func ReadResult(path string) (*Result, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return DecodeResult(path, data)
}

// DecodeResult decodes a result document; name is used in errors.
func DecodeResult(path string, data []byte) (*Result, error) {
	var r Result
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%s: not a cohort result file: %v", path, err)
	}
	if r.Schema != Schema {
		return nil, fmt.Errorf("%s: field schema: %q is not %q", path, r.Schema, Schema)
	}
	for _, k := range r.HistogramKeys() {
		if _, err := r.Histogram(k); err != nil {
			return nil, fmt.Errorf("%s: field histograms: %v", path, err)
		}
	}
	return &r, nil
}
