package compare

import (
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/cohort-dev/cohort/metrics"
	"github.com/cohort-dev/cohort/metrics/results"
)

func TestRegIncBeta(t *testing.T) {
	cases := []struct{ a, b, x, want float64 }{
		{2, 3, 0.5, 11.0 / 16},                  // sum of binomial terms: (6+4+1)/16
		{1, 1, 0.3, 0.3},                        // uniform
		{5, 0.5, 10 / (10 + 2.228*2.228), 0.05}, // Student's t: t = 2.228 at 10 df is the 97.5% point
		{15, 0.5, 30 / (30 + 2.042*2.042), 0.05},
	}
	for _, c := range cases {
		if got := regIncBeta(c.a, c.b, c.x); math.Abs(got-c.want) > 5e-4 {
			t.Errorf("I_%g(%g, %g) = %.5f, want %.5f", c.x, c.a, c.b, got, c.want)
		}
	}
	if p := welch([]float64{1, 2, 3}, []float64{1, 2, 3}); p != 1 {
		t.Errorf("identical samples: p %v", p)
	}
	if p := welch([]float64{5, 5, 5}, []float64{6, 6, 6}); p != 0 {
		t.Errorf("constant samples apart: p %v", p)
	}
}

var series = []metrics.SeriesInfo{{Name: "list", Method: "GET", Group: "mix"}, {Name: "save", Method: "POST", Group: "mix"}}

// run makes the result of a 10 s run whose requests take a lognormal time
// (median 5 ms; save's slow times as long), about 60 of each a second:
// the known distribution the comparisons draw from. It fills in the
// figures a comparison reads (the latency blocks, the timeline), not a
// whole result, and returns the timeline's intervals decoded, as a side
// holds them: the pool's runs are compared many times, and encoding a
// timeline is most of what a run costs here (more so under the race
// detector). With encoded, the result carries its timeline too.
func run(rng *rand.Rand, slow float64, encoded bool) (*results.Result, []point) {
	const secs = 10
	r := &results.Result{Profile: "p", Segment: "1/1", DurationS: secs, Timeline: &results.Timeline{IntervalS: 1}}
	all := metrics.NewHistogram()
	var byName [2]*hdr.Histogram
	var counts [2]int64
	for s := range series {
		byName[s] = metrics.NewHistogram()
	}
	// Each run has its own speed, a few percent apart, as runs on a shared
	// machine do: the noise between runs that one run cannot show.
	runFactor := math.Exp(0.03 * rng.NormFloat64())
	var pts []point
	for sec := 1; sec <= secs; sec++ {
		p := results.Point{T: float64(sec), ByName: map[string]results.PointSeries{}}
		pt := point{secs: 1, latency: hdr.New(1, 60_000_000, 2), requests: map[string]*hdr.Histogram{}}
		for s, info := range series {
			scale := 5.0 * runFactor
			if s == 1 {
				scale *= slow
			}
			key := info.Group + "/" + info.Name
			ph := hdr.New(1, 60_000_000, 2)
			n := 50 + rng.IntN(20)
			for range n {
				us := int64(scale * 1000 * math.Exp(0.5*rng.NormFloat64()))
				for _, h := range []*hdr.Histogram{all, byName[s], pt.latency, ph} {
					h.RecordValue(us)
				}
			}
			counts[s] += int64(n)
			p.Requests += int64(n)
			p.ByName[key] = results.PointSeries{Requests: int64(n)}
			pt.requests[key] = ph
		}
		if encoded {
			for key, ps := range p.ByName {
				ps.Latency = encode(pt.requests[key])
				p.ByName[key] = ps
			}
			p.Latency = encode(pt.latency)
		}
		pt.p = p
		r.Timeline.Points = append(r.Timeline.Points, p)
		pts = append(pts, pt)
	}
	for s, info := range series {
		r.Requests = append(r.Requests, results.RequestResult{Name: info.Name, Method: info.Method, Group: info.Group,
			Count: counts[s], RPS: float64(counts[s]) / secs, Latency: results.LatencyOf(byName[s])})
		r.Totals.Requests += counts[s]
	}
	r.Totals.RPS = float64(r.Totals.Requests) / secs
	r.Latency = results.LatencyOf(all)
	return r, pts
}

func encode(h *hdr.Histogram) string {
	b, err := h.Encode(hdr.V2CompressedEncodingCookieBase)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// The runs the comparisons draw from, made once: same is from one
// distribution, slower has save's requests 50% slower; points holds each
// run's decoded timeline.
var (
	poolOnce    sync.Once
	same, slows []*results.Result
	points      = map[*results.Result][]point{}
)

func pool() ([]*results.Result, []*results.Result) {
	poolOnce.Do(func() {
		rng := rand.New(rand.NewPCG(7, 11))
		for i := range 36 {
			slow, into := 1.0, &same
			if i >= 24 {
				slow, into = 1.5, &slows
			}
			r, pts := run(rng, slow, false)
			*into = append(*into, r)
			points[r] = pts
		}
	})
	return same, slows
}

// changedShare compares pairs of sides, perSide runs each, drawn from the
// pool (B from the slower runs when slowB), and returns the share of
// judged rows marked changed and how often each row was.
func changedShare(t *testing.T, pairs, perSide int, slowB bool) (float64, map[string]int) {
	t.Helper()
	aa, slower := pool()
	rng := rand.New(rand.NewPCG(3, 5))
	judged, changed := 0, 0
	which := map[string]int{}
	for range pairs {
		picks := rng.Perm(len(aa))
		a, b := choose(aa, picks[:perSide]), choose(aa, picks[perSide:2*perSide])
		if slowB {
			b = choose(slower, rng.Perm(len(slower))[:perSide])
		}
		for _, r := range compareSides(sideOf(a), sideOf(b)) {
			if r.Judged() {
				judged++
			}
			if r.Changed {
				changed++
				which[r.Request+" "+r.Metric]++
			}
		}
	}
	if judged == 0 {
		t.Fatal("nothing was judged")
	}
	return float64(changed) / float64(judged), which
}

// sideOf is the side of runs, its one run's timeline taken decoded from
// the pool.
func sideOf(runs []*results.Result) *side {
	if len(runs) > 1 {
		return &side{runs: runs}
	}
	return &side{runs: runs, points: [][]point{points[runs[0]]}}
}

func choose(runs []*results.Result, idx []int) []*results.Result {
	out := make([]*results.Result, len(idx))
	for i, j := range idx {
		out[i] = runs[j]
	}
	return out
}

// TestAAComparisonsMarkFewRows: runs drawn from one distribution (each
// with its own few percent of speed, as runs on a shared machine have)
// differ only by chance; a comparison must mark at most 5% of its rows,
// with one run per side and with several.
func TestAAComparisonsMarkFewRows(t *testing.T) {
	for _, c := range []struct {
		name           string
		pairs, perSide int
	}{{"one run per side", 80, 1}, {"3 runs per side", 200, 3}} {
		t.Run(c.name, func(t *testing.T) {
			share, which := changedShare(t, c.pairs, c.perSide, false)
			if share > 0.05 {
				t.Fatalf("%.1f%% of A/A rows marked changed, want at most 5%%: %v", 100*share, which)
			}
			t.Logf("%.2f%% of A/A rows marked changed", 100*share)
		})
	}
}

// TestABComparisonsFindTheChange: B's save requests take 50% longer.
// Its latency rows are marked in nearly every comparison. List's, which
// did not change, are marked rarely with several runs per side; with one
// run per side, the few percent between two runs' speeds (which one run's
// seconds cannot show) is marked now and then: why docs/measurement.md
// asks for several runs per side.
func TestABComparisonsFindTheChange(t *testing.T) {
	for _, c := range []struct {
		name           string
		pairs, perSide int
		found, noise   float64 // the least share of save's rows marked, the most of list's
	}{{"one run per side", 20, 1, 0.9, 0.25}, {"3 runs per side", 20, 3, 0.8, 0.1}} {
		t.Run(c.name, func(t *testing.T) {
			_, which := changedShare(t, c.pairs, c.perSide, true)
			for _, m := range []string{"latency p50 ms", "latency p95 ms"} {
				if n := which["mix/save "+m]; float64(n) < c.found*float64(c.pairs) {
					t.Errorf("save %s marked in %d of %d comparisons", m, n, c.pairs)
				}
				if n := which["mix/list "+m]; float64(n) > c.noise*float64(c.pairs) {
					t.Errorf("list %s marked in %d of %d comparisons: it did not change", m, n, c.pairs)
				}
			}
		})
	}
}

// TestRowsOnOneSide: a figure only one side has (the connect phase of a
// cold run against a warm one, a request only B sends) is shown, marked.
func TestRowsOnOneSide(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ra, _ := run(rng, 1, true)
	rb, _ := run(rng, 1, true)
	a, b := *ra, *rb
	extra := b.Requests[0]
	extra.Name = "checkout"
	b.Requests = append(b.Requests, extra)
	a.Requests[0].Phases = map[string]results.Latency{"connect": {Count: 50, P50: 1, P95: 2, P99: 2}, "tls": {Count: 3, P50: 1, P95: 1, P99: 1}}
	b.Requests[0].Phases = nil
	rows, err := Compare([]*results.Result{&a}, []*results.Result{&b})
	if err != nil {
		t.Fatal(err)
	}
	only := map[string]string{}
	for _, r := range Changed(rows) {
		if r.Only != "" {
			only[r.Request+" "+r.Metric] = r.Only
		}
	}
	// A phase that 3 requests had on one side is pool timing: kept out of
	// the default view (--all shows it).
	if only["mix/checkout rps"] != "B" || only["mix/checkout latency p99 ms"] != "B" || only["mix/list connect p50 ms"] != "A" ||
		only["mix/list tls p50 ms"] != "" {
		t.Fatalf("rows on one side: %v", only)
	}
	hidden := false
	for _, r := range rows {
		hidden = hidden || (r.Request == "mix/list" && r.Metric == "tls p50 ms" && r.Only == "A" && r.N == 3 && r.B == nil)
	}
	if !hidden {
		t.Fatal("the one-sided tls row is not among all the rows")
	}
	var out strings.Builder
	WriteText(&out, []string{"a.json"}, []string{"b.json"}, rows, false)
	if !strings.Contains(out.String(), "only in B") || !strings.Contains(out.String(), "--all shows them") {
		t.Fatalf("the table:\n%s", out.String())
	}
	if _, err := Compare([]*results.Result{&a}, []*results.Result{&a, &b}); err == nil {
		t.Fatal("one run against two was compared")
	}
}

// TestChangesAtTheHistogramFloor: latencies at the histograms' 1 µs floor
// (0.001 against 0.002 ms) have no spread to test against; their change
// is the floor's rounding, not a doubling, and is not marked. The same
// values as a rate are a real change.
func TestChangesAtTheHistogramFloor(t *testing.T) {
	a := values{value: 0.001, reps: []float64{0.001, 0.001, 0.001}, min: minRuns}
	b := values{value: 0.002, reps: []float64{0.002, 0.002, 0.002}, min: minRuns}
	if r := judge(figure{request: "mix/x", metric: "blocked p50 ms"}, a, b, true, true); r.Changed {
		t.Errorf("0.001 against 0.002 ms marked changed: %+v", r)
	}
	if r := judge(figure{request: "mix/x", metric: "rps"}, a, b, true, true); !r.Changed {
		t.Errorf("a doubled rate without spread not marked: %+v", r)
	}
}

// TestJourneysCompared: a journey's rate, failed share and duration are
// rows of their own; with one run a side they are shown and not judged
// (the timeline does not split journeys), with replicates a doubled
// duration is marked, and a journey of one side only says so.
func TestJourneysCompared(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	withJourney := func(p50 float64, extra string) *results.Result {
		r, _ := run(rng, 1, true)
		c := *r
		c.Journeys = []results.JourneyResult{{Name: "buy", Count: 400, Failed: 4,
			Duration: results.Latency{Count: 400, P50: p50 * (1 + rng.Float64()/50), P95: 2 * p50, P99: 3 * p50}}}
		if extra != "" {
			c.Journeys = append(c.Journeys, results.JourneyResult{Name: extra, Count: 100, Duration: results.Latency{Count: 100, P50: 1, P95: 1, P99: 1}})
		}
		return &c
	}
	rowOf := func(rows []Row, metric string) Row {
		t.Helper()
		for _, r := range rows {
			if r.Request == "journey buy" && r.Metric == metric {
				return r
			}
		}
		t.Fatalf("no row journey buy %s in %d rows", metric, len(rows))
		return Row{}
	}
	one, err := Compare([]*results.Result{withJourney(30, "")}, []*results.Result{withJourney(60, "browse")})
	if err != nil {
		t.Fatal(err)
	}
	if r := rowOf(one, "duration p50 ms"); r.Judged() || r.A == nil || r.B == nil {
		t.Fatalf("one run a side: %+v, want both values and no judgement", r)
	}
	if r := rowOf(one, "failed %"); *r.A != 1 {
		t.Fatalf("failed %%: %v, want 1", *r.A)
	}
	var onlyB bool
	for _, r := range one {
		onlyB = onlyB || r.Request == "journey browse" && r.Only == "B"
	}
	if !onlyB {
		t.Fatal("the journey of B alone has no row")
	}
	a := []*results.Result{withJourney(30, ""), withJourney(30, ""), withJourney(30, "")}
	b := []*results.Result{withJourney(60, ""), withJourney(60, ""), withJourney(60, "")}
	reps, err := Compare(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if r := rowOf(reps, "duration p50 ms"); !r.Changed {
		t.Fatalf("a doubled journey duration over 3 replicates a side: %+v, want it marked", r)
	}
	if r := rowOf(reps, "failed %"); r.Changed {
		t.Fatalf("an unchanged failed share marked: %+v", r)
	}
}
