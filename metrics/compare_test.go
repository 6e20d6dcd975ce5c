package metrics

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// synthetic makes a result of n requests with latencies drawn around
// median, over secs seconds.
func synthetic(n int, median time.Duration, secs float64, seed uint64) *Result {
	r := rand.New(rand.NewPCG(seed, 1))
	a := NewAggregate(len(testSeries))
	for range n {
		d := time.Duration(float64(median) * (0.5 + r.Float64()))
		a.Add(&Sample{Kind: KindRequest, Series: 1, Status: 200, Duration: d, Flags: Reused})
	}
	return NewResult(Meta{Profile: "p", Duration: time.Duration(secs * float64(time.Second))}, testSeries, a)
}

func row(t *testing.T, rows []CompareRow, req, metric string) CompareRow {
	t.Helper()
	for _, r := range rows {
		if r.Request == req && r.Metric == metric {
			return r
		}
	}
	t.Fatalf("no row %s %s", req, metric)
	return CompareRow{}
}

func TestCompareMarksOnlyRealChanges(t *testing.T) {
	cases := []struct {
		name   string
		a, b   *Result
		metric string
		marked bool
	}{
		{"same distribution, other samples", synthetic(5000, 10*time.Millisecond, 10, 1), synthetic(5000, 10*time.Millisecond, 10, 2), "latency p50 ms", false},
		{"twice as slow", synthetic(5000, 10*time.Millisecond, 10, 1), synthetic(5000, 20*time.Millisecond, 10, 2), "latency p50 ms", true},
		{"5% slower, many samples", synthetic(200000, 10*time.Millisecond, 10, 1), synthetic(200000, 10500*time.Microsecond, 10, 2), "latency p50 ms", true},
		{"5% slower, few samples", synthetic(50, 10*time.Millisecond, 10, 1), synthetic(50, 10500*time.Microsecond, 10, 2), "latency p50 ms", false},
		{"rate within Poisson noise", synthetic(1000, time.Millisecond, 10, 1), synthetic(1030, time.Millisecond, 10, 2), "rps", false},
		{"rate doubled", synthetic(1000, time.Millisecond, 10, 1), synthetic(2000, time.Millisecond, 10, 2), "rps", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rows, err := Compare(c.a, c.b)
			if err != nil {
				t.Fatal(err)
			}
			r := row(t, rows, "mix/list", c.metric)
			if r.Significant != c.marked {
				t.Fatalf("%s: A %+v B %+v delta %.1f%% marked %v, want %v", c.metric, r.A, r.B, r.Delta, r.Significant, c.marked)
			}
		})
	}
}

func TestWriteCompare(t *testing.T) {
	rows, _ := Compare(synthetic(5000, 10*time.Millisecond, 10, 1), synthetic(5000, 20*time.Millisecond, 10, 2))
	var b strings.Builder
	WriteCompare(&b, "a.json", "b.json", rows)
	out := b.String()
	for _, want := range []string{"A: a.json", "mix/list", "latency p99 ms", "+", " *", "(run)"} {
		if !strings.Contains(out, want) {
			t.Fatalf("output lacks %q:\n%s", want, out)
		}
	}
}
