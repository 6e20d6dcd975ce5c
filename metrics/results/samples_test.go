package results

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/cohort-dev/cohort/metrics"
)

// BenchmarkRawSamplesWriter is the cost of a --samples-raw row, by
// format: what the drain spends per request the run made.
func BenchmarkRawSamplesWriter(b *testing.B) {
	series := []metrics.SeriesInfo{{Name: "list", Method: "GET", Group: "mix"}}
	start := time.Unix(1_800_000_000, 0)
	a := metrics.NewAggregate(1)
	a.KeepRaw()
	for i := range 1000 {
		s := metrics.Sample{Kind: metrics.KindRequest, Status: 200, Flags: metrics.Reused,
			Duration: time.Duration(i+1) * 10 * time.Microsecond, TTFB: time.Duration(i+1) * 7 * time.Microsecond}
		a.AddEnded(&s, start.Add(time.Duration(i)*time.Millisecond).UnixNano())
	}
	for _, format := range []string{"csv", "jsonl"} {
		b.Run(format, func(b *testing.B) {
			w, err := NewRawSamplesWriter(io.Discard, format, series)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			elapsed := time.Duration(0)
			for b.Loop() {
				elapsed += time.Second
				w.Add(metrics.Snapshot{Elapsed: elapsed, Started: start, Interval: a})
			}
			if err := w.Flush(); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(a.Raw)), "ns/row")
		})
	}
}

// TestSamplesJSONEscapes: a request name with quotes, a backslash, a
// control character, non-ASCII and invalid UTF-8 still makes a line that
// JSON readers take, and reads back as the name (the invalid byte as
// U+FFFD, as encoding/json writes it).
func TestSamplesJSONEscapes(t *testing.T) {
	name := "say \"hi\" \\ to\tzoë \x01 \xff"
	series := []metrics.SeriesInfo{{Name: name, Method: "GET", Group: "mix"}}
	a := metrics.NewAggregate(1)
	a.KeepRaw()
	a.AddEnded(&metrics.Sample{Kind: metrics.KindRequest, Status: 503, Flags: metrics.Failed, Reason: metrics.ReasonStatus, Duration: 1500 * time.Microsecond}, 2e18)
	var buf bytes.Buffer
	w, _ := NewRawSamplesWriter(&buf, "jsonl", series)
	w.Add(metrics.Snapshot{Elapsed: time.Second, Started: time.Unix(0, 2e18).Add(-time.Second), Interval: a})
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	var row struct {
		Name     string  `json:"name"`
		Failed   bool    `json:"failed"`
		Reason   string  `json:"reason"`
		Status   int     `json:"status"`
		Duration float64 `json:"duration_ms"`
		Elapsed  float64 `json:"elapsed_s"`
		Instance *string `json:"instance"`
	}
	if err := json.Unmarshal(buf.Bytes(), &row); err != nil {
		t.Fatalf("%s: %v", buf.String(), err)
	}
	want := strings.ToValidUTF8(name, "\uFFFD")
	if row.Name != want || !row.Failed || row.Reason != "status" || row.Status != 503 || row.Duration != 1.5 || row.Elapsed != 0.999 || row.Instance != nil {
		t.Fatalf("read back %+v from %s", row, buf.String())
	}
}
