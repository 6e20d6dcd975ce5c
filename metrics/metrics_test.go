package metrics

import (
	"math"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var testSeries = []SeriesInfo{{Name: "login", Method: "POST", Group: "login"}, {Name: "list", Method: "GET", Group: "mix"}}

func TestRecorderFlushesIntoCollector(t *testing.T) {
	c := NewCollector(testSeries, 3)
	var wg sync.WaitGroup
	for vu := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := c.NewRecorder()
			for i := range 1000 {
				s := Sample{Kind: KindRequest, Series: 1, Status: 200, Duration: time.Duration(i+1) * time.Millisecond}
				if i%10 == 0 {
					s.Status, s.Flags, s.Reason = 503, Failed, ReasonStatus
				}
				if i%2 == 0 {
					s.Flags |= Reused
				}
				r.Add(s)
			}
			r.Add(Sample{Kind: KindLogin, Duration: time.Duration(vu+1) * time.Millisecond})
			r.Flush()
		}()
	}
	wg.Wait()
	a := NewAggregate(len(testSeries))
	c.Drain(a)
	s := a.Series[1]
	if s.Count != 8000 || s.Failures != 800 || s.Reasons[ReasonStatus] != 800 || s.Reused != 4000 || s.New != 4000 {
		t.Fatalf("series %+v", s)
	}
	if st := s.Status(); st[200] != 7200 || st[503] != 800 {
		t.Fatalf("statuses %v", st)
	}
	if a.Sessions.Logins != 8 || a.Login.TotalCount() != 8 {
		t.Fatalf("logins %d", a.Sessions.Logins)
	}
	// A second drain finds nothing: the shards were emptied.
	b := NewAggregate(len(testSeries))
	c.Drain(b)
	if n, _ := b.Requests(); n != 0 {
		t.Fatalf("second drain found %d requests", n)
	}
}

func TestMergeIsExact(t *testing.T) {
	parts := []*Aggregate{NewAggregate(2), NewAggregate(2)}
	whole := NewAggregate(2)
	for i := range 2000 {
		s := Sample{Kind: KindRequest, Series: 1, Status: 200, Duration: time.Duration(i*37%1999+1) * 100 * time.Microsecond}
		parts[i%2].Add(&s)
		whole.Add(&s)
	}
	merged := NewAggregate(2)
	merged.Merge(parts[0])
	merged.Merge(parts[1])
	a, b := merged.Series[1].Hists[HistLatency], whole.Series[1].Hists[HistLatency]
	for _, q := range []float64{50, 90, 99, 99.9, 100} {
		if a.ValueAtQuantile(q) != b.ValueAtQuantile(q) {
			t.Fatalf("p%v: merged %d, whole %d", q, a.ValueAtQuantile(q), b.ValueAtQuantile(q))
		}
	}
}

func TestResultRoundTrip(t *testing.T) {
	a := NewAggregate(2)
	for i := range 100 {
		s := Sample{Kind: KindRequest, Series: 1, Status: 200, Duration: time.Duration(i+1) * time.Millisecond,
			Connect: time.Millisecond, TTFB: time.Duration(i+1) * 500 * time.Microsecond}
		if i == 0 {
			s.Flags = FirstAfterLogin
		} else {
			s.Flags = Reused
		}
		a.Add(&s)
	}
	a.Add(&Sample{Kind: KindIteration})
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
func BenchmarkRecord(b *testing.B) {
	c := NewCollector(testSeries, 1)
	r := c.NewRecorder()
	s := Sample{Kind: KindRequest, Series: 1, Status: 200, Duration: 3 * time.Millisecond, TTFB: time.Millisecond, Flags: Reused}
	b.ReportAllocs()
	for b.Loop() {
		r.Add(s)
	}
}

// BenchmarkDrain10kVUs is the periodic merge with 10,000 VUs each having
// flushed a sample.
func BenchmarkDrain10kVUs(b *testing.B) {
	c := NewCollector(testSeries, 2)
	recs := make([]*Recorder, 10_000)
	for i := range recs {
		recs[i] = c.NewRecorder()
	}
	into := NewAggregate(len(testSeries))
	b.ReportAllocs()
	for b.Loop() {
		for _, r := range recs {
			r.Add(Sample{Kind: KindRequest, Series: 1, Status: 200, Duration: time.Millisecond})
			r.Flush()
		}
		c.Drain(into)
	}
}

func near(got, want float64) bool { return math.Abs(got-want) <= want/1000 }

// TestHgrmUnits checks the units of .hgrm files: durations in
// milliseconds, sizes in bytes (a 43-byte Cookie header is not 0.043).
func TestHgrmUnits(t *testing.T) {
	a := NewAggregate(2)
	a.Add(&Sample{Kind: KindRequest, Series: 1, Status: 200, Duration: 7 * time.Millisecond})
	a.Add(&Sample{Kind: KindCookies, Status: 43, Series: 32}) // Cookie header, session cookie sizes
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
