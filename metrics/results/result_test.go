package results

import (
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cohort-dev/cohort/metrics"
)

var testSeries = []metrics.SeriesInfo{{Name: "login", Method: "POST", Group: "login"}, {Name: "list", Method: "GET", Group: "mix"}}

// TestLatencyBlocksUseTheReferencePercentiles: the latency blocks of the
// result (and so the summary, the HTML report and compare) read
// metrics.Percentile.
func TestLatencyBlocksUseTheReferencePercentiles(t *testing.T) {
	h := metrics.NewHistogram()
	for range 158 {
		metrics.RecordDuration(h, 3*time.Millisecond)
	}
	metrics.RecordDuration(h, 400*time.Millisecond)
	metrics.RecordDuration(h, 500*time.Millisecond)
	l := LatencyOf(h)
	if l.P99 != round3(float64(metrics.Percentile(h, 99))/1000) || l.P99 < 400 || l.P50 != round3(float64(metrics.Percentile(h, 50))/1000) {
		t.Fatalf("latency block p50 %v p99 %v: not the reference percentiles", l.P50, l.P99)
	}
}

func TestResultRoundTrip(t *testing.T) {
	a := metrics.NewAggregate(2)
	for i := range 100 {
		s := metrics.Sample{Kind: metrics.KindRequest, Series: 1, Status: 200, Duration: time.Duration(i+1) * time.Millisecond,
			Connect: time.Millisecond, TTFB: time.Duration(i+1) * 500 * time.Microsecond}
		if i == 0 {
			s.Flags = metrics.FirstAfterLogin
		} else {
			s.Flags = metrics.Reused
		}
		a.Add(&s)
	}
	a.Add(&metrics.Sample{Kind: metrics.KindIteration})
	r := NewResult(Meta{Profile: "p", Segment: "1/1", StartedAt: time.Unix(0, 0), Duration: 10 * time.Second, VUsMax: 3}, testSeries, a)
	q := r.Requests[1]
	// HDR histograms keep 3 significant digits: 50 ms reads as 50 ms +- 0.1%.
	if q.Count != 100 || q.RPS != 10 || !near(q.Latency.P50, 50) || !near(q.Latency.Max, 100) || q.Status["200"] != 100 {
		t.Fatalf("request block %+v", q)
	}
	if q.ByConnection["new"].Count != 1 || q.ByConnection["reused"].Count != 99 || q.BySession["first"].Count != 1 {
		t.Fatalf("by connection %+v, by session %+v", q.ByConnection, q.BySession)
	}
	if q.Phases["connect"].Count != 100 || !near(q.Phases["ttfb"].P50, 25) {
		t.Fatalf("phases %+v", q.Phases)
	}
	path := filepath.Join(t.TempDir(), "r.json")
	if err := r.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	back, err := ReadResult(path)
	if err != nil {
		t.Fatal(err)
	}
	h, err := back.Histogram("mix/list/latency")
	if err != nil || h.TotalCount() != 100 || !near(float64(h.ValueAtQuantile(99))/1000, 99) {
		t.Fatalf("histogram: %v", err)
	}
	if back.Totals.Requests != 100 || back.Totals.Iterations != 1 {
		t.Fatalf("totals %+v", back.Totals)
	}
}

func TestReadResultRefusesForeignFiles(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]string{
		"not json":      "hello",
		"wrong schema":  `{"schema":"k6/v1"}`,
		"bad histogram": `{"schema":"cohort.result/v1","histograms":{"all":"HISTFAAAbroken"}}`,
	}
	for name, content := range cases {
		path := filepath.Join(dir, name+".json")
		WriteFileAtomic(path, []byte(content))
		if _, err := ReadResult(path); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// BenchmarkRecord is the hot path: a VU recording one request sample.
func near(got, want float64) bool { return math.Abs(got-want) <= want/1000 }

// TestHgrmUnits checks the units of .hgrm files: durations in
// milliseconds, sizes in bytes (a 43-byte Cookie header is not 0.043).
func TestHgrmUnits(t *testing.T) {
	a := metrics.NewAggregate(2)
	a.Add(&metrics.Sample{Kind: metrics.KindRequest, Series: 1, Status: 200, Duration: 7 * time.Millisecond})
	s := metrics.CookieSizes(43, 32) // Cookie header, session cookie sizes
	a.Add(&s)
	r := NewResult(Meta{Profile: "p", Duration: time.Second}, testSeries, a)
	for key, want := range map[string]string{
		"cookie_header_bytes": "#[Max     =       43.000", "session_cookie_bytes": "#[Max     =       32.000",
		"all": "#[Max     =        7.003"} { // 7 ms, the top of its bucket
		var b strings.Builder
		if err := r.WriteHgrm(&b, key); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), want) {
			t.Errorf("%s.hgrm, want %q:\n%s", key, want, b.String())
		}
	}
}

// TestProtocolsAreCounted: the result and summary say which protocol
// answered, and a merge of results keeps the counts.
func TestProtocolsAreCounted(t *testing.T) {
	a := metrics.NewAggregate(len(testSeries))
	for i := range 4 {
		s := metrics.Sample{Kind: metrics.KindRequest, Series: 1, Status: 200, Duration: time.Millisecond}
		if i > 0 {
			s.Flags = metrics.HTTP2
		}
		a.Add(&s)
	}
	a.Add(&metrics.Sample{Kind: metrics.KindRequest, Series: 1, Flags: metrics.Failed, Reason: metrics.ReasonRefused})
	r := NewResult(Meta{Profile: "p", Segment: "1/1", Duration: time.Second}, testSeries, a)
	if p := r.Connections.Protocols; len(p) != 2 || p[ProtoHTTP1] != 1 || p[ProtoHTTP2] != 3 {
		t.Fatalf("protocols %v, want 1 over HTTP/1.1 and 3 over HTTP/2 (the refused one over none)", p)
	}
	var b strings.Builder
	WriteSummary(&b, r)
	if !strings.Contains(b.String(), "answered over HTTP/1.1 25%, HTTP/2 75%\n") {
		t.Errorf("summary does not give the protocols:\n%s", b.String())
	}
	m, err := Merge([]string{"a"}, []*Result{r}, true)
	if err != nil {
		t.Fatal(err)
	}
	if p := m.Connections.Protocols; p[ProtoHTTP1] != 1 || p[ProtoHTTP2] != 3 {
		t.Errorf("merged protocols %v", p)
	}
}
