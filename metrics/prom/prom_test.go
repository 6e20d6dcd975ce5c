package prom

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

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
	e.Observe(Update{VUs: 7, LoggedIn: 6, Interval: interval(), Opened: 10})
	e.Observe(Update{VUs: 5, LoggedIn: 5, Interval: interval(), Opened: 12})
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
				if f.GetName() == "cohort_http_request_duration_seconds" && labels["reused"] == "true" {
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
	e.Observe(Update{VUs: 1, Interval: interval()})
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
	if !strings.Contains(string(body), `cohort_http_requests_total{method="GET",name="list",reused="true",segment="1/1",status="200",testid="t2"} 90`) {
		t.Fatalf("metrics page:\n%s", body)
	}
}
