package prom

import (
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/cohort-dev/cohort/metrics"
)

var series = []metrics.SeriesInfo{{Name: "login", Method: "POST", Group: "login"}, {Name: "list", Method: "GET", Group: "mix"}}

func interval() *metrics.Aggregate {
	a := metrics.NewAggregate(len(series))
	for i := range 100 {
		s := metrics.Sample{Kind: metrics.KindRequest, Series: 1, Status: 200, Duration: time.Duration(i+1) * time.Millisecond,
			TTFB: time.Millisecond, Flags: metrics.Reused}
		if i%10 == 0 {
			s.Status, s.Flags, s.Reason = 503, metrics.Failed, metrics.ReasonStatus
		}
		a.Add(&s)
	}
	a.Add(&metrics.Sample{Kind: metrics.KindLogin, Duration: 5 * time.Millisecond})
	a.Add(&metrics.Sample{Kind: metrics.KindSessionLost})
	return a
}

func TestExporterSeries(t *testing.T) {
	e := New(series, "t1", "2/3")
	e.Observe(metrics.Snapshot{VUs: 7, LoggedIn: 6, Interval: interval(), Total: &metrics.Aggregate{Opened: 10}})
	e.Observe(metrics.Snapshot{VUs: 5, LoggedIn: 5, Interval: interval(), Total: &metrics.Aggregate{Opened: 12}})
	families, err := e.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]float64{}
	native := false
	for _, f := range families {
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["testid"] != "t1" || labels["segment"] != "2/3" {
				t.Fatalf("%s lacks testid/segment: %v", f.GetName(), labels)
			}
			switch {
			case m.GetCounter() != nil:
				byName[f.GetName()+"/"+labels["status"]+labels["reason"]+labels["result"]] += m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				byName[f.GetName()] = m.GetGauge().GetValue()
			case m.GetHistogram() != nil:
				h := m.GetHistogram()
				if h.GetSchema() != 0 || len(h.GetPositiveSpan()) > 0 {
					native = native || len(h.GetPositiveSpan()) > 0
				}
				if f.GetName() == "cohort_http_request_duration_seconds" && labels["name"] == "list" && labels["reused"] == "true" {
					if h.GetSampleCount() != 180 || len(h.GetBucket()) == 0 {
						t.Fatalf("duration histogram: count %d, %d classic buckets", h.GetSampleCount(), len(h.GetBucket()))
					}
				}
			}
		}
	}
	want := map[string]float64{
		"cohort_http_requests_total/200": 180, "cohort_http_requests_total/503": 20,
		"cohort_http_request_failures_total/status": 20, "cohort_logins_total/ok": 2,
		"cohort_sessions_lost_total/": 2, "cohort_connections_opened_total/": 12,
		"cohort_vus": 5, "cohort_sessions_active": 5,
	}
	for k, v := range want {
		if byName[k] != v {
			t.Errorf("%s = %v, want %v", k, byName[k], v)
		}
	}
	if !native {
		t.Fatal("no native histogram buckets exposed")
	}
}

func TestListenAddr(t *testing.T) {
	cases := map[string]string{"9464": "127.0.0.1:9464", ":9464": "127.0.0.1:9464", "0.0.0.0:9464": "0.0.0.0:9464", "localhost:1": "localhost:1"}
	for in, want := range cases {
		if got, err := ListenAddr(in); err != nil || got != want {
			t.Errorf("ListenAddr(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "x", "host:port", "1.2.3.4"} {
		if _, err := ListenAddr(bad); err == nil {
			t.Errorf("ListenAddr(%q) accepted", bad)
		}
	}
}

func TestServeMetrics(t *testing.T) {
	e := New(series, "t2", "1/1")
	e.Observe(metrics.Snapshot{VUs: 1, Interval: interval(), Total: metrics.NewAggregate(0)})
	s, err := Listen("127.0.0.1:0", e)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(t.Context())
	resp, err := http.Get(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `cohort_http_requests_total{method="GET",name="list",reused="true",scenario="",segment="1/1",status="200",testid="t2"} 90`) {
		t.Fatalf("metrics page:\n%s", body)
	}
}

// TestSeriesKnownBeforeTheRunStartAtZero: a counter made on first use
// first appears at its first value, and rate() never sees that rise; every
// series whose labels are known before the run is there, at 0, from the
// first scrape.
func TestSeriesKnownBeforeTheRunStartAtZero(t *testing.T) {
	e := New(series, "t3", "1/1")
	families, err := e.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			zero := m.GetCounter().GetValue() == 0 && m.GetHistogram().GetSampleCount() == 0
			if zero {
				have[f.GetName()+" "+labels["result"]+labels["name"]+labels["reused"]+labels["reason"]+labels["phase"]] = true
			}
		}
	}
	for _, want := range []string{
		"cohort_logins_total ok", "cohort_logins_total failed", "cohort_warm_logins_total ok", "cohort_warm_touches_total failed",
		"cohort_http_request_duration_seconds logintrue", "cohort_http_request_duration_seconds listfalse",
		"cohort_http_request_failures_total listtimeout", "cohort_http_request_failures_total loginconnection_refused",
		"cohort_http_request_phase_seconds ttfb", "cohort_login_duration_seconds ",
	} {
		if !have[want] {
			t.Errorf("no %q at 0 before the run", want)
		}
	}
}

// quantile is Prometheus' histogram_quantile over classic buckets: the
// rank's bucket, interpolated linearly inside it.
func quantile(q float64, h *dto.Histogram) float64 {
	rank := q * float64(h.GetSampleCount())
	lower, below := 0.0, uint64(0)
	for _, b := range h.GetBucket() {
		if float64(b.GetCumulativeCount()) >= rank {
			inside := float64(b.GetCumulativeCount() - below)
			return lower + (b.GetUpperBound()-lower)*(rank-float64(below))/inside
		}
		lower, below = b.GetUpperBound(), b.GetCumulativeCount()
	}
	return math.Inf(1)
}

// TestClassicBucketsReadLikeHDR: percentiles Prometheus computes from the
// classic buckets are within 10% of HDR's, at p50, p95 and p99, for a
// latency spread over two decades; the native buckets hold every value.
func TestClassicBucketsReadLikeHDR(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 8))
	a := metrics.NewAggregate(len(series))
	for range 20000 {
		d := time.Duration(2 * math.Exp(0.8*rng.NormFloat64()) * float64(time.Millisecond))
		a.Add(&metrics.Sample{Kind: metrics.KindRequest, Series: 1, Status: 200, Duration: d, Flags: metrics.Reused})
	}
	e := New(series, "t4", "1/1")
	e.Observe(metrics.Snapshot{Interval: a, Total: a})
	var h *dto.Histogram
	families, _ := e.Registry().Gather()
	for _, f := range families {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if f.GetName() == "cohort_http_request_duration_seconds" && l.GetName() == "name" && l.GetValue() == "list" &&
					m.GetHistogram().GetSampleCount() > 0 {
					h = m.GetHistogram()
				}
			}
		}
	}
	if h == nil || h.GetSampleCount() != 20000 {
		t.Fatal("no duration histogram of 20000 values")
	}
	hdrHist := a.Series[1].Hists[metrics.HistLatency]
	for _, q := range []float64{0.5, 0.95, 0.99} {
		want := float64(metrics.Percentile(hdrHist, 100*q)) / 1e6
		if got := quantile(q, h); math.Abs(got-want) > 0.1*want {
			t.Errorf("p%g: Prometheus would read %.3f ms, HDR %.3f ms: more than 10%% apart", 100*q, got*1000, want*1000)
		}
	}
	var native int64
	count := int64(0)
	for _, d := range h.GetPositiveDelta() {
		count += d
		native += count
	}
	if uint64(native)+h.GetZeroCount() != h.GetSampleCount() {
		t.Fatalf("the native buckets hold %d values of %d", native, h.GetSampleCount())
	}
}

// TestJourneySeries: journeys are counted by name and result, with their
// durations, and every journey of the legend has its series from the start.
func TestJourneySeries(t *testing.T) {
	e := New(series, "t1", "")
	a := metrics.NewAggregate(len(series))
	for i := range 3 {
		s := metrics.Sample{Kind: metrics.KindJourney, Series: 0, Duration: time.Second}
		if i == 0 {
			s.Flags, s.Reason = metrics.Failed, metrics.ReasonStatus
		}
		a.Add(&s)
	}
	e.Observe(metrics.Snapshot{Interval: a, Total: a, Legend: &metrics.Legend{Series: series, Journeys: []string{"checkout", "browse"}}})
	families, err := e.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			switch f.GetName() {
			case "cohort_journeys_total":
				got[labels["journey"]+"/"+labels["result"]] = m.GetCounter().GetValue()
			case "cohort_journey_duration_seconds":
				got[labels["journey"]+"/duration"] = float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	want := map[string]float64{"checkout/ok": 2, "checkout/failed": 1, "checkout/duration": 3, "browse/ok": 0, "browse/failed": 0, "browse/duration": 0}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s = %v (present %v), want %v", k, g, ok, v)
		}
	}
}
