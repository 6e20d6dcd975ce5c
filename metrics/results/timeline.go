package results

import (
	"github.com/cohort-dev/cohort/metrics"

	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// MaxPoints bounds a timeline: a long run gets wider points instead of
// more of them.
const MaxPoints = 600

// Timeline is a run's figures over time, one point per interval, kept in
// the result so that a report can be drawn later from the file alone, and
// so that the timelines of several segments merge by interval.
type Timeline struct {
	IntervalS float64 `json:"interval_s"`
	Points    []Point `json:"points"`
}

// Point is one interval of a run. Histograms are HdrHistogram V2
// compressed, at 2 significant digits (1%): enough for a chart, and cheap
// to make every second.
type Point struct {
	T           float64 `json:"t"` // seconds from the start, at the interval's end
	VUs         int     `json:"vus"`
	LoggedIn    int     `json:"logged_in"`
	Requests    int64   `json:"requests"`
	Failures    int64   `json:"failures"`
	Iterations  int64   `json:"iterations"`
	Dropped     int64   `json:"dropped"`
	Logins      int64   `json:"logins"`
	SessionLost int64   `json:"sessions_lost"`
	// Relogins counts the VUs' logins that replaced a lost session.
	Relogins int64 `json:"relogins,omitempty"`
	// WarmHeld is how many warm sessions were logged in at the interval's
	// end, and WarmWanted how many the population was asked to hold then;
	// WarmLost and WarmRelogins count the warm sessions a touch found
	// gone in the interval, and those logged in again.
	WarmHeld     int   `json:"warm_held,omitempty"`
	WarmWanted   int   `json:"warm_wanted,omitempty"`
	WarmLost     int64 `json:"warm_sessions_lost,omitempty"`
	WarmRelogins int64 `json:"warm_relogins,omitempty"`
	// CookieMax is the largest Cookie header (bytes) a session had after a
	// response changed its cookies in the interval; 0 if none did.
	CookieMax int64                  `json:"cookie_header_bytes_max,omitempty"`
	Latency   string                 `json:"latency,omitempty"`
	Reused    string                 `json:"reused,omitempty"`
	New       string                 `json:"new,omitempty"`
	Login     string                 `json:"login,omitempty"`
	ByName    map[string]PointSeries `json:"by_name,omitempty"`
}

// PointSeries is one request series in one interval.
type PointSeries struct {
	Requests int64  `json:"requests"`
	Failures int64  `json:"failures"`
	Latency  string `json:"latency,omitempty"`
}

// TimelineRecorder folds the engine's drains into timeline points.
type TimelineRecorder struct {
	series  []metrics.SeriesInfo
	every   time.Duration
	pending *metrics.Aggregate
	// The warm population's part of the pending point: only its counts
	// are kept (its touches are not the VUs' requests), and the sessions
	// held at the last snapshot.
	warmLost, warmRelogins int64
	warmHeld, warmWanted   int
	since                  time.Duration
	tl                     Timeline
	// coarse are the point's histograms at 2 digits (all, reused, new,
	// one series), made once and reset for each point: a point is made
	// while the open model's dispatcher waits, so it allocates little.
	coarse [4]*hdr.Histogram
}

// NewTimelineRecorder makes points of at least every (rounded up so that
// a run of the planned length has at most MaxPoints).
func NewTimelineRecorder(series []metrics.SeriesInfo, planned time.Duration) *TimelineRecorder {
	every := time.Second
	if planned > MaxPoints*time.Second {
		every = (planned/MaxPoints + time.Second - 1).Truncate(time.Second)
	}
	return &TimelineRecorder{series: series, every: every, pending: metrics.NewAggregate(len(series)),
		tl: Timeline{IntervalS: every.Seconds()}}
}

// Add folds the interval of a snapshot into the timeline.
func (t *TimelineRecorder) Add(s metrics.Snapshot) {
	t.pending.Merge(s.Interval)
	if s.Warm != nil {
		t.warmLost += s.Warm.Sessions.SessionsLost
		t.warmRelogins += s.Warm.Sessions.Relogins
	}
	t.warmHeld, t.warmWanted = s.WarmHeld, s.WarmWanted
	// Drains come about every second; a tenth of slack keeps a drain that
	// is a hair early from waiting for the next.
	if s.Elapsed-t.since < t.every-t.every/10 {
		return
	}
	t.flush(s.Elapsed, s.VUs, s.LoggedIn)
}

// Finish closes the last, partial point and returns the timeline. The
// warm sessions held there are those of the last snapshot: the run's end
// stops the warm population's workers, it does not log their sessions
// out.
func (t *TimelineRecorder) Finish(elapsed time.Duration, vus, loggedIn int) Timeline {
	if n, _ := t.pending.Requests(); n > 0 || t.pending.Iterations > 0 || t.warmLost > 0 || t.warmRelogins > 0 || len(t.tl.Points) == 0 {
		t.flush(elapsed, vus, loggedIn)
	}
	return t.tl
}

func (t *TimelineRecorder) flush(elapsed time.Duration, vus, loggedIn int) {
	a := t.pending
	p := Point{T: round3(elapsed.Seconds()), VUs: vus, LoggedIn: loggedIn, Iterations: a.Iterations,
		Dropped: a.Dropped, Logins: a.Sessions.Logins, SessionLost: a.Sessions.SessionsLost,
		Relogins: a.Sessions.Relogins, WarmHeld: t.warmHeld, WarmWanted: t.warmWanted, WarmLost: t.warmLost, WarmRelogins: t.warmRelogins,
		ByName: map[string]PointSeries{}}
	p.Requests, p.Failures = a.Requests()
	if t.coarse[0] == nil {
		for i := range t.coarse {
			t.coarse[i] = coarseHist()
		}
	}
	all, reused, fresh, one := t.coarse[0], t.coarse[1], t.coarse[2], t.coarse[3]
	for _, h := range t.coarse {
		h.Reset()
	}
	for i := range a.Series {
		s := &a.Series[i]
		if s.Count == 0 {
			continue
		}
		// Merging records each bucket's lowest value: a finer histogram
		// merged into a coarse one is coarsened.
		merge(all, s.Hists[metrics.HistLatency])
		merge(reused, s.Hists[metrics.HistReused])
		merge(fresh, s.Hists[metrics.HistNew])
		one.Reset()
		merge(one, s.Hists[metrics.HistLatency])
		key := t.series[i].Key()
		p.ByName[key] = PointSeries{Requests: s.Count, Failures: s.Failures, Latency: encodeHist(one)}
	}
	p.Latency, p.Reused, p.New = encodeHist(all), encodeHist(reused), encodeHist(fresh)
	one.Reset()
	merge(one, a.Login)
	p.Login = encodeHist(one)
	if a.CookieHeader != nil {
		p.CookieMax = a.CookieHeader.Max()
	}
	t.tl.Points = append(t.tl.Points, p)
	t.since = elapsed
	a.Reset()
	t.warmLost, t.warmRelogins = 0, 0
}

func coarseHist() *hdr.Histogram { return metrics.NewCoarseHistogram() }

// merge adds h, if there is one, to into.
func merge(into, h *hdr.Histogram) {
	if h != nil {
		into.Merge(h)
	}
}

func encodeHist(h *hdr.Histogram) string {
	if h == nil || h.TotalCount() == 0 {
		return ""
	}
	b, err := h.Encode(hdr.V2CompressedEncodingCookieBase)
	if err != nil {
		return ""
	}
	return string(b)
}

// DecodeHist reads a timeline histogram; "" gives nil.
func DecodeHist(s string) (*hdr.Histogram, error) {
	if s == "" {
		return nil, nil
	}
	return hdr.Decode([]byte(s))
}
