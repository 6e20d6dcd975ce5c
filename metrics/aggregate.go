package metrics

import (
	"runtime"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram bounds: 1 µs to 60 s at 3 significant digits. Longer values are
// recorded as 60 s (and counted by the request's timeout anyway).
const (
	histMin     = 1
	histMax     = int64(60 * time.Second / time.Microsecond)
	histSigFigs = 3
)

func newHist() *hdr.Histogram { return hdr.New(histMin, histMax, histSigFigs) }

// NewHistogram returns an empty histogram with the bounds and precision of
// every latency histogram cohort keeps, in microseconds.
func NewHistogram() *hdr.Histogram { return newHist() }

// NewCoarseHistogram returns an empty histogram with the bounds of
// NewHistogram's at 2 significant digits (1%): a timeline's, enough for a
// chart and cheap to make every second.
func NewCoarseHistogram() *hdr.Histogram { return hdr.New(histMin, histMax, 2) }

// RecordDuration records d into h as cohort records a latency: in
// microseconds, clamped to the histogram's bounds.
func RecordDuration(h *hdr.Histogram, d time.Duration) { h.RecordValue(micros(d)) }

func micros(d time.Duration) int64 {
	us := int64(d / time.Microsecond)
	return min(max(us, histMin), histMax)
}

// Hist names the histograms kept per request series.
type Hist uint8

// Per-series histograms. Each is made on first use: a run without TLS
// never pays for a TLS histogram.
const (
	HistLatency Hist = iota
	HistReused
	HistNew
	HistBlocked
	HistConnect
	HistTLS
	HistSending
	HistTTFB
	HistReceiving
	HistFirst
	HistSteady
	numHists
)

// NumHists is how many histograms a series keeps: its Hists index.
const NumHists = numHists

var histNames = [numHists]string{"latency", "reused", "new", "blocked", "connect", "tls", "sending", "ttfb", "receiving", "first", "steady"}

// String names the histogram as results and keys do.
func (h Hist) String() string { return histNames[h] }

// SeriesInfo describes a request series: a login step, a mix entry, ...
type SeriesInfo struct {
	Name   string
	Method string
	// Group is login, mix, logout or refresh.
	Group string
	// Scenario is the scenario whose step it is ("" without scenarios).
	Scenario string
}

// Key names the series uniquely in a run: GROUP/NAME, and SCENARIO:
// before it in a run with scenarios (two scenarios may each have a
// "profile" request).
func (s SeriesInfo) Key() string { return SeriesKey(s.Scenario, s.Group, s.Name) }

// SeriesKey is SeriesInfo.Key of its parts.
func SeriesKey(scenario, group, name string) string {
	if scenario != "" {
		return scenario + ":" + group + "/" + name
	}
	return group + "/" + name
}

type statusCount struct {
	code   uint16
	reused bool
	n      int64
}

// StatusCount is the number of requests that got one status code on one
// kind of connection (code 0: no response).
type StatusCount struct {
	Code   int
	Reused bool
	N      int64
}

// SeriesAgg holds the figures of one request series.
type SeriesAgg struct {
	Count, Failures int64
	Reused, New     int64
	status          []statusCount
	failedStatus    []statusCount // the statuses of the failed requests (0: no response)
	Reasons         [numReasons]int64
	Hists           [numHists]*hdr.Histogram
}

func (s *SeriesAgg) record(h Hist, d time.Duration) {
	if s.Hists[h] == nil {
		s.Hists[h] = newHist()
	}
	s.Hists[h].RecordValue(micros(d))
}

func (s *SeriesAgg) addStatus(code uint16, reused bool, n int64) {
	s.status = addCount(s.status, code, reused, n)
}

// AddStatus counts n requests that got status code on a reused or new
// connection: for rebuilding an aggregate from a result file.
func (s *SeriesAgg) AddStatus(code uint16, reused bool, n int64) { s.addStatus(code, reused, n) }

// AddFailedStatus counts n failed requests that got status code.
func (s *SeriesAgg) AddFailedStatus(code uint16, n int64) {
	s.failedStatus = addCount(s.failedStatus, code, false, n)
}

// Merge adds o's figures to s.
func (s *SeriesAgg) Merge(o *SeriesAgg) { s.merge(o) }

// Status returns the count of each status code (0: no response).
func (s *SeriesAgg) Status() map[int]int64 {
	out := make(map[int]int64, len(s.status))
	for _, c := range s.status {
		out[int(c.code)] += c.n
	}
	return out
}

// FailedStatus returns the count of each status code among the failed
// requests (0: no response).
func (s *SeriesAgg) FailedStatus() map[int]int64 {
	out := make(map[int]int64, len(s.failedStatus))
	for _, c := range s.failedStatus {
		out[int(c.code)] += c.n
	}
	return out
}

func addCount(list []statusCount, code uint16, reused bool, n int64) []statusCount {
	for i := range list {
		if list[i].code == code && list[i].reused == reused {
			list[i].n += n
			return list
		}
	}
	return append(list, statusCount{code, reused, n})
}

// StatusCounts returns the counts by status code and connection reuse.
func (s *SeriesAgg) StatusCounts() []StatusCount {
	out := make([]StatusCount, len(s.status))
	for i, c := range s.status {
		out[i] = StatusCount{Code: int(c.code), Reused: c.reused, N: c.n}
	}
	return out
}

func (s *SeriesAgg) merge(o *SeriesAgg) {
	s.Count += o.Count
	s.Failures += o.Failures
	s.Reused += o.Reused
	s.New += o.New
	for _, c := range o.status {
		s.addStatus(c.code, c.reused, c.n)
	}
	for _, c := range o.failedStatus {
		s.failedStatus = addCount(s.failedStatus, c.code, false, c.n)
	}
	for i := range s.Reasons {
		s.Reasons[i] += o.Reasons[i]
	}
	for i, h := range o.Hists {
		if h == nil || h.TotalCount() == 0 {
			continue
		}
		if s.Hists[i] == nil {
			s.Hists[i] = newHist()
		}
		s.Hists[i].Merge(h)
		yield()
	}
}

// yield lets another goroutine run after a histogram's merge or reset (a
// few hundred microseconds each): a drain merges and resets dozens, and on
// one core (GOMAXPROCS 1) the open model's dispatcher, whose timer is due,
// would otherwise wait for the whole drain, its arrivals late by as much.
func yield() { runtime.Gosched() }

// resetHist empties h, skipping one already empty: a reset clears every
// bucket (hundreds of KiB at 3 digits up to an hour), recorded or not.
func resetHist(h *hdr.Histogram) {
	if h != nil && h.TotalCount() > 0 {
		h.Reset()
		yield()
	}
}

func (s *SeriesAgg) reset() {
	hists := s.Hists
	*s = SeriesAgg{status: s.status[:0], failedStatus: s.failedStatus[:0], Hists: hists}
	for _, h := range s.Hists {
		resetHist(h)
	}
}

// Sessions holds session lifecycle counts.
type Sessions struct {
	Logins, LoginFailures   int64
	Relogins, SessionsLost  int64
	Refreshes, RefreshFails int64
	Rotations, Issued       int64
	Logouts, LogoutFailures int64
	// Moved counts requests a session sent that another backend instance
	// answered than its previous one; MovedLost those of them that found
	// the session gone (a store the instances do not share).
	Moved, MovedLost int64
	// Discarded counts session states thrown away so that a login starts
	// afresh (a retry after a failed login, a re-login after a loss).
	Discarded int64
	// LoginsInterrupted counts login flows cut short by the end of the run.
	LoginsInterrupted int64
	// CookiesDropped counts the cookies sessions' jars refused or evicted,
	// by CookieDrop.
	CookiesDropped [NumCookieDrops]int64
}

func (s *Sessions) merge(o *Sessions) {
	for i, n := range o.CookiesDropped {
		s.CookiesDropped[i] += n
	}
	s.Discarded += o.Discarded
	s.LoginsInterrupted += o.LoginsInterrupted
	s.Moved += o.Moved
	s.MovedLost += o.MovedLost
	s.Logins += o.Logins
	s.LoginFailures += o.LoginFailures
	s.Relogins += o.Relogins
	s.SessionsLost += o.SessionsLost
	s.Refreshes += o.Refreshes
	s.RefreshFails += o.RefreshFails
	s.Rotations += o.Rotations
	s.Issued += o.Issued
	s.Logouts += o.Logouts
	s.LogoutFailures += o.LogoutFailures
}

// Aggregate is the sum of many samples. Aggregates merge: an interval's
// shards into the interval, intervals into the run, runs into one result.
type Aggregate struct {
	Series      []SeriesAgg
	Sessions    Sessions
	Login       *hdr.Histogram
	First       *hdr.Histogram
	Lag         *hdr.Histogram
	Iterations  int64
	Dropped     int64
	Interrupted int64
	// Opened counts TCP connections the run opened; the engine sets it
	// from its dialer, since no sample sees a connection being made.
	Opened int64
	// BytesSent and BytesReceived are what those connections moved on
	// the wire; the engine sets them from the pool at the end.
	BytesSent, BytesReceived int64
	// Checks counts passes and failures of each check, by check index.
	Checks []CheckAgg
	// Instances holds the requests each backend instance answered, by
	// instance index less one (Collector.InstanceIndex).
	Instances []InstanceAgg
	// CookieHeader and SessionCookie hold sizes in bytes, recorded when a
	// response changed a session's cookies; nil until one did.
	CookieHeader, SessionCookie *hdr.Histogram
	// HTTP1 and HTTP2 count the requests answered over each protocol.
	HTTP1, HTTP2 int64
	// Journeys are the mix's journeys, by journey index.
	Journeys []JourneyAgg
	// Raw holds the requests one by one, when KeepRaw asked for them
	// (--samples-raw): an interval's worth, since only the shards and the
	// interval aggregates keep them, and Reset empties it keeping its
	// memory.
	Raw     []RawRequest
	keepRaw bool
}

// RawRequest is one request as it was recorded, with when it ended.
type RawRequest struct {
	// End is when the request's body ended, in Unix nanoseconds on the
	// run's clock; it was due Sample.Duration before.
	End int64
	Sample
}

// KeepRaw makes a keep each request it is given (AddEnded, Merge) in Raw,
// besides its figures.
func (a *Aggregate) KeepRaw() { a.keepRaw = true }

// AddEnded records a sample that ended at end (Unix nanoseconds), and
// keeps it in Raw if a keeps requests.
func (a *Aggregate) AddEnded(s *Sample, end int64) {
	if a.keepRaw && s.Kind == KindRequest {
		a.Raw = append(a.Raw, RawRequest{End: end, Sample: *s})
	}
	a.Add(s)
}

// JourneyAgg is what one journey of the mix did.
type JourneyAgg struct {
	Count, Failed int64
	// Reasons counts the failed journeys by the reason of the step that
	// ended them.
	Reasons [numReasons]int64
	// Latency is the journeys' whole durations, failed ones too.
	Latency *hdr.Histogram
}

// Merge adds o's figures to ja.
func (ja *JourneyAgg) Merge(o *JourneyAgg) {
	ja.Count += o.Count
	ja.Failed += o.Failed
	for i, n := range o.Reasons {
		ja.Reasons[i] += n
	}
	mergeLazy(&ja.Latency, o.Latency)
}

// Journey returns the figures of journey i, made on first use.
func (a *Aggregate) Journey(i int) *JourneyAgg {
	for i >= len(a.Journeys) {
		a.Journeys = append(a.Journeys, JourneyAgg{})
	}
	return &a.Journeys[i]
}

// InstanceAgg is what one backend instance answered.
type InstanceAgg struct {
	Count, Failures int64
	Latency         *hdr.Histogram
}

// Merge adds o's figures to ia.
func (ia *InstanceAgg) Merge(o *InstanceAgg) { ia.merge(o) }

func (ia *InstanceAgg) merge(o *InstanceAgg) {
	ia.Count += o.Count
	ia.Failures += o.Failures
	if o.Latency != nil {
		if ia.Latency == nil {
			ia.Latency = newHist()
		}
		ia.Latency.Merge(o.Latency)
	}
}

// instance returns the aggregate of instance index i (from 1).
// Instance returns the figures of backend instance i (from 1), made on
// first use.
func (a *Aggregate) Instance(i uint8) *InstanceAgg { return a.instance(i) }

func (a *Aggregate) instance(i uint8) *InstanceAgg {
	for int(i) > len(a.Instances) {
		a.Instances = append(a.Instances, InstanceAgg{})
	}
	return &a.Instances[i-1]
}

// CheckAgg counts the outcomes of one check.
type CheckAgg struct {
	Pass, Fail int64
}

// NewAggregate returns an empty aggregate for n request series.
func NewAggregate(n int) *Aggregate {
	return &Aggregate{Series: make([]SeriesAgg, n), Login: newHist(), First: newHist(), Lag: newHist()}
}

// Add records one sample.
func (a *Aggregate) Add(s *Sample) {
	switch s.Kind {
	case KindRequest:
		a.addRequest(s)
	case KindLogin:
		if s.Flags&Failed != 0 {
			a.Sessions.LoginFailures++
		} else {
			a.Sessions.Logins++
			a.Login.RecordValue(micros(s.Duration))
		}
	case KindFirstRequest:
		a.First.RecordValue(micros(s.Duration))
	case KindLag:
		a.Lag.RecordValue(micros(s.Duration))
	case KindCheck:
		for int(s.Series) >= len(a.Checks) {
			a.Checks = append(a.Checks, CheckAgg{})
		}
		if s.Flags&Failed != 0 {
			a.Checks[s.Series].Fail++
		} else {
			a.Checks[s.Series].Pass++
		}
	case KindIteration:
		a.Iterations++
	case KindDropped:
		a.Dropped++
	case KindInterrupted:
		a.Interrupted++
	case KindCookies:
		if a.CookieHeader == nil {
			a.CookieHeader, a.SessionCookie = newHist(), newHist()
		}
		a.CookieHeader.RecordValue(max(int64(s.Duration), 1))
		if s.Connect > 0 {
			a.SessionCookie.RecordValue(int64(s.Connect))
		}
	case KindJourney:
		ja := a.Journey(int(s.Series))
		ja.Count++
		if s.Flags&Failed != 0 {
			ja.Failed++
			ja.Reasons[s.Reason]++
		}
		if ja.Latency == nil {
			ja.Latency = newHist()
		}
		ja.Latency.RecordValue(micros(s.Duration))
	case KindLoginInterrupted:
		a.Sessions.LoginsInterrupted++
	case KindCookiesDropped:
		if int(s.Series) < len(a.Sessions.CookiesDropped) {
			a.Sessions.CookiesDropped[s.Series] += int64(s.Duration)
		}
	case KindMoved:
		a.Sessions.Moved++
	case KindMovedLost:
		a.Sessions.MovedLost++
	case KindSessionLost:
		a.Sessions.SessionsLost++
	case KindRelogin:
		a.Sessions.Relogins++
	case KindRefresh:
		if s.Flags&Failed != 0 {
			a.Sessions.RefreshFails++
		} else {
			a.Sessions.Refreshes++
		}
	case KindRotation:
		a.Sessions.Rotations++
	case KindDiscarded:
		a.Sessions.Discarded++
	case KindIssued:
		a.Sessions.Issued++
	case KindLogout:
		if s.Flags&Failed != 0 {
			a.Sessions.LogoutFailures++
		} else {
			a.Sessions.Logouts++
		}
	}
}

func (a *Aggregate) addRequest(s *Sample) {
	if int(s.Series) >= len(a.Series) {
		return
	}
	sa := &a.Series[s.Series]
	sa.Count++
	sa.addStatus(s.Status, s.Flags&Reused != 0, 1)
	switch {
	case s.Status == 0: // no answer, no protocol
	case s.Flags&HTTP2 != 0:
		a.HTTP2++
	default:
		a.HTTP1++
	}
	if s.Flags&Failed != 0 {
		sa.Failures++
		sa.Reasons[s.Reason]++
		sa.failedStatus = addCount(sa.failedStatus, s.Status, false, 1)
	}
	sa.record(HistLatency, s.Duration)
	if s.Instance > 0 {
		ia := a.instance(s.Instance)
		ia.Count++
		if s.Flags&Failed != 0 {
			ia.Failures++
		}
		if ia.Latency == nil {
			ia.Latency = newHist()
		}
		ia.Latency.RecordValue(micros(s.Duration))
	}
	// A request without a response still went out on a connection, new
	// or reused, so every request is in exactly one of the two.
	if s.Flags&Reused != 0 {
		sa.Reused++
		sa.record(HistReused, s.Duration)
	} else {
		sa.New++
		sa.record(HistNew, s.Duration)
	}
	if s.Flags&FirstAfterLogin != 0 {
		sa.record(HistFirst, s.Duration)
	} else {
		sa.record(HistSteady, s.Duration)
	}
	if s.Blocked > 0 {
		sa.record(HistBlocked, s.Blocked)
	}
	if s.Connect > 0 {
		sa.record(HistConnect, s.Connect)
	}
	if s.TLS > 0 {
		sa.record(HistTLS, s.TLS)
	}
	if s.Sending > 0 {
		sa.record(HistSending, s.Sending)
	}
	if s.TTFB > 0 {
		sa.record(HistTTFB, s.TTFB)
	}
	if s.Receiving > 0 {
		sa.record(HistReceiving, s.Receiving)
	}
}

// Merge adds o into a. Both must describe the same series.
func (a *Aggregate) Merge(o *Aggregate) {
	for len(a.Series) < len(o.Series) {
		a.Series = append(a.Series, SeriesAgg{})
	}
	for i := range o.Series {
		a.Series[i].merge(&o.Series[i])
	}
	a.Sessions.merge(&o.Sessions)
	a.Login.Merge(o.Login)
	a.First.Merge(o.First)
	a.Lag.Merge(o.Lag)
	a.Iterations += o.Iterations
	a.HTTP1 += o.HTTP1
	a.HTTP2 += o.HTTP2
	for i := range o.Journeys {
		a.Journey(i).Merge(&o.Journeys[i])
	}
	a.Dropped += o.Dropped
	a.Interrupted += o.Interrupted
	a.Opened += o.Opened
	a.BytesSent += o.BytesSent
	a.BytesReceived += o.BytesReceived
	for len(a.Checks) < len(o.Checks) {
		a.Checks = append(a.Checks, CheckAgg{})
	}
	for i, c := range o.Checks {
		a.Checks[i].Pass += c.Pass
		a.Checks[i].Fail += c.Fail
	}
	for i := range o.Instances {
		a.instance(uint8(i + 1)).merge(&o.Instances[i])
	}
	mergeLazy(&a.CookieHeader, o.CookieHeader)
	mergeLazy(&a.SessionCookie, o.SessionCookie)
	if a.keepRaw {
		a.Raw = append(a.Raw, o.Raw...)
	}
}

// mergeLazy merges src into a histogram made only when there is data.
func mergeLazy(dst **hdr.Histogram, src *hdr.Histogram) {
	if src == nil || src.TotalCount() == 0 {
		return
	}
	if *dst == nil {
		*dst = newHist()
	}
	(*dst).Merge(src)
}

// Reset empties a, keeping its memory for reuse.
func (a *Aggregate) Reset() {
	for i := range a.Series {
		a.Series[i].reset()
	}
	a.Sessions = Sessions{}
	a.Raw = a.Raw[:0]
	resetHist(a.Login)
	resetHist(a.First)
	resetHist(a.Lag)
	a.Iterations, a.Dropped, a.Interrupted, a.Opened = 0, 0, 0, 0
	a.BytesSent, a.BytesReceived = 0, 0
	a.HTTP1, a.HTTP2 = 0, 0
	for i := range a.Journeys {
		ja := &a.Journeys[i]
		ja.Count, ja.Failed, ja.Reasons = 0, 0, [numReasons]int64{}
		resetHist(ja.Latency)
	}
	clear(a.Checks)
	for i := range a.Instances {
		ia := &a.Instances[i]
		ia.Count, ia.Failures = 0, 0
		resetHist(ia.Latency)
	}
	resetHist(a.CookieHeader)
	resetHist(a.SessionCookie)
}

// Requests returns the request and failure totals over every series.
func (a *Aggregate) Requests() (requests, failures int64) {
	for i := range a.Series {
		requests += a.Series[i].Count
		failures += a.Series[i].Failures
	}
	return requests, failures
}

// AllLatency merges the latency of every series of the given groups (all
// groups when none is given).
func (a *Aggregate) AllLatency(series []SeriesInfo, groups ...string) *hdr.Histogram {
	h := newHist()
	for i := range a.Series {
		if len(groups) > 0 && i < len(series) && !contains(groups, series[i].Group) {
			continue
		}
		if l := a.Series[i].Hists[HistLatency]; l != nil {
			h.Merge(l)
		}
	}
	return h
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
