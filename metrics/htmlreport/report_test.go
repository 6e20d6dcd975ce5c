package htmlreport

import (
	"image/color"
	"slices"
	"strings"
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"

	"github.com/cohort-dev/cohort/findings"
	"github.com/cohort-dev/cohort/metrics"
	"github.com/cohort-dev/cohort/metrics/results"
)

func TestDistribution(t *testing.T) {
	h := hdr.New(1, 60_000_000, 3)
	for i := 1; i <= 1000; i++ {
		h.RecordValue(int64(i) * 1000) // 1..1000 ms
	}
	xys := distribution(h)
	if len(xys) < 10 {
		t.Fatalf("%d points", len(xys))
	}
	first, last := xys[0], xys[len(xys)-1]
	if first.X != 1 || first.Y > 2 {
		t.Fatalf("first point %+v: want percentile 0 (x=1) near 1 ms", first)
	}
	if last.X < 1000 || last.Y < 999 || last.Y > 1001 {
		t.Fatalf("last point %+v: want the tail (x >= 1000) at the max, 1000 ms", last)
	}
	for i := 1; i < len(xys); i++ {
		if xys[i].X < xys[i-1].X || xys[i].Y < xys[i-1].Y {
			t.Fatalf("not monotone at %d: %+v then %+v", i, xys[i-1], xys[i])
		}
	}
}

func TestPercentileTicks(t *testing.T) {
	cases := []struct {
		name   string
		lo, hi float64
		want   string
	}{
		{"to 99.9%", 1, 1000, "0% 50% 90% 99% 99.9%"},
		// The axis ends on a power of ten (setX), and the tick there is
		// that power exactly, not 1/(1-0.9999) give or take a rounding.
		{"to 99.99%", 1, 1e4, "0% 50% 90% 99% 99.9% 99.99%"},
		{"to 99.999%", 1, 1e5, "0% 50% 90% 99% 99.9% 99.99% 99.999%"},
		{"a few samples", 1, 10, "0% 50% 90%"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var labels []string
			for _, tk := range (percentileTicks{}).Ticks(c.lo, c.hi) {
				labels = append(labels, tk.Label)
			}
			if got := strings.Join(labels, " "); got != c.want {
				t.Fatalf("ticks %q, want %q", got, c.want)
			}
		})
	}
}

func TestTickLabels(t *testing.T) {
	cases := []struct {
		name string
		vs   []float64
		want string
	}{
		{"whole numbers keep no decimals", []float64{0, 250, 500, 750}, "0 250 500 750"},
		{"up to four digits in full", []float64{0, 1500, 3000, 4500, 7000}, "0 1500 3000 4500 7000"},
		{"thousands from 10,000", []float64{0, 5000, 10000, 12500}, "0 5k 10k 12.5k"},
		{"millions from 10,000,000", []float64{0, 5e6, 1e7, 1.25e7}, "0 5M 10M 12.5M"},
		{"fractions as few digits as they need", []float64{0, 0.25, 0.5, 0.75, 1}, "0 0.25 0.5 0.75 1"},
		{"float noise is no digit", []float64{0.1, 0.1 + 0.2, 0.7000000000000001}, "0.1 0.3 0.7"},
		{"small steps", []float64{0.001, 0.002, 0.0025}, "0.001 0.002 0.0025"},
		{"negative", []float64{-2.5, 0, 2.5}, "-2.5 0 2.5"},
		// 10,001 and 10,002 are distinct ticks: 10k twice would not do.
		{"distinct stays distinct", []float64{10001, 10002}, "10.001k 10.002k"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			labels := tickLabels(c.vs)
			if got := strings.Join(labels, " "); got != c.want {
				t.Fatalf("labels of %v: %q, want %q", c.vs, got, c.want)
			}
			seen := map[string]bool{}
			for _, l := range labels {
				if seen[l] {
					t.Fatalf("label %q twice in %q", l, labels)
				}
				seen[l] = true
			}
		})
	}
}

func TestLinearTicksLandOnTheirStep(t *testing.T) {
	cases := []struct {
		name     string
		max      float64
		counts   bool
		wantTop  float64
		wantTick string
	}{
		{"ms", 9.7, false, 10, "0 2 4 6 8 10"},
		{"ms past a round number", 10.4, false, 12.5, "0 2.5 5 7.5 10 12.5"},
		{"a count of 3 has whole ticks, and room above", 3, true, 4, "0 1 2 3 4"},
		{"a count of 2.9", 2.9, true, 3, "0 1 2 3"},
		{"a count of 7000", 6850, true, 8000, "0 2000 4000 6000 8000"},
		{"nothing at all", 0, true, 1, "0 1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := line{name: "a", xys: plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: c.max}}}
			p := plot.New()
			setY(p, spec{counts: c.counts}, []line{l}, 0, c.max)
			if p.Y.Min != 0 || p.Y.Max != c.wantTop {
				t.Fatalf("y from %g to %g, want 0 to %g", p.Y.Min, p.Y.Max, c.wantTop)
			}
			var labels []string
			for _, tk := range p.Y.Tick.Marker.Ticks(p.Y.Min, p.Y.Max) {
				labels = append(labels, tk.Label)
			}
			if got := strings.Join(labels, " "); got != c.wantTick {
				t.Fatalf("ticks %q, want %q", got, c.wantTick)
			}
		})
	}
}

func TestLogYOnlyForALongTail(t *testing.T) {
	cases := []struct {
		name string
		ys   []float64
		want bool
	}{
		{"a tail 2 times the median", []float64{1, 2, 3, 4, 6}, false},
		{"a tail 100 times the median", []float64{1, 2, 3, 4, 300}, true},
		{"just 50 times", []float64{1, 2, 3, 4, 150}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var xys plotter.XYs
			for i, y := range c.ys {
				xys = append(xys, plotter.XY{X: float64(i), Y: y})
			}
			if got := logY([]line{{xys: xys}}); got != c.want {
				t.Fatalf("logY(%v) = %v, want %v", c.ys, got, c.want)
			}
		})
	}
}

func TestPaletteGivesEverySeriesItsOwnStroke(t *testing.T) {
	if len(palette) < 12 {
		t.Fatalf("%d colours: want at least 12", len(palette))
	}
	colours := map[color.RGBA]int{}
	strokes := map[string]int{}
	for i := range len(palette) * len(dashes) {
		c, d := styleOf(i)
		if i < len(palette) {
			if j, ok := colours[c]; ok {
				t.Fatalf("series %d and %d share colour %s", j, i, hexColor(c))
			}
			colours[c] = i
			if d != nil {
				t.Fatalf("series %d is dashed: the first %d are solid", i, len(palette))
			}
		}
		key := hexColor(c) + " " + dashString(d)
		if j, ok := strokes[key]; ok {
			t.Fatalf("series %d and %d are both drawn %s", j, i, key)
		}
		strokes[key] = i
		if dashString(overlayDash) == dashString(d) {
			t.Fatalf("series %d has the dashed lines' pattern", i)
		}
	}
}

// TestChartTextsFitTheirMeasure checks what keeps a chart's labels inside
// it in any browser: every text is told the length it was measured at,
// in the font named with its metric-compatible fallbacks, and the page
// keeps no XML prolog.
func TestChartTextsFitTheirMeasure(t *testing.T) {
	svg, legend, err := chart(spec{title: "t", xLabel: "warm_sessions", yLabel: "ms", x: xLevels, lines: []line{
		{name: "p50", xys: plotter.XYs{{X: 1000, Y: 1}, {X: 7000, Y: 2}}, marked: true},
		{name: "p99", xys: plotter.XYs{{X: 1000, Y: 3}, {X: 7000, Y: 1250}}, marked: true},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(svg, "<svg") {
		t.Fatalf("not inline: %.40q", svg)
	}
	texts, fitted := strings.Count(svg, "<text "), strings.Count(svg, `lengthAdjust="spacingAndGlyphs"`)
	if texts == 0 || texts != fitted {
		t.Fatalf("%d texts, %d told their length", texts, fitted)
	}
	if strings.Contains(svg, "font-family:Liberation Sans;") || !strings.Contains(svg, svgFamily) {
		t.Fatal("the font is not named with its fallbacks")
	}
	for _, want := range []string{">7000</text>", ">750</text>", ">1000</text>"} {
		if !strings.Contains(svg, want) {
			t.Errorf("no label %s", want)
		}
	}
	if strings.Contains(svg, ".00<") {
		t.Error("a label with useless decimals")
	}
	want := []legendEntry{{Name: "p50", Color: hexColor(palette[0]), Marked: true}, {Name: "p99", Color: hexColor(palette[1]), Marked: true}}
	if !slices.Equal(legend, want) {
		t.Fatalf("legend %+v, want %+v", legend, want)
	}
}

func TestStepMarksFollowTheSearch(t *testing.T) {
	r := &results.Result{DurationS: 6.01, Capacity: results.Capacity{Vary: "warm_sessions", Steps: []results.CapacityStep{
		{Level: 20, WarmWanted: 20}, {Level: 40, WarmWanted: 40}, {Level: 60, WarmWanted: 60}}},
		Scenarios: []results.ScenarioResult{{Name: "storm", StartAfterS: 3, Started: true}, {Name: "late", StartAfterS: 9}},
		Warm:      &results.WarmResult{Wanted: 60}}
	marks, note := timeMarks(r)
	want := []mark{{0, "warm_sessions 20"}, {2, "40"}, {3, "storm"}, {4, "60"}}
	if !slices.Equal(marks, want) {
		t.Fatalf("marks %v, want %v", marks, want)
	}
	if note != " The dashed lines are the starts of the capacity steps, labelled with their level; the dashed lines named after a scenario are where it starts." {
		t.Fatalf("caption note %q", note)
	}
	tl := &results.Timeline{IntervalS: 1, Points: []results.Point{{T: 1, WarmHeld: 20}, {T: 6.01, WarmHeld: 60}}}
	lines := warmLines(r, tl)
	if got := lines[1].xys; !slices.Equal(got, plotter.XYs{{X: 0, Y: 20}, {X: 2, Y: 40}, {X: 4, Y: 60}, {X: 6.01, Y: 60}}) || !lines[1].stepped {
		t.Fatalf("warm wanted %v: want each step's from its start, held to the end", got)
	}
	r.Capacity = results.Capacity{}
	if got := warmLines(r, tl)[1].xys; !slices.Equal(got, plotter.XYs{{X: 0, Y: 60}, {X: 6.01, Y: 60}}) {
		t.Fatalf("warm wanted without a search %v: want the population throughout", got)
	}
}

func TestWriteDrawsEveryChart(t *testing.T) {
	series := []metrics.SeriesInfo{{Name: "login", Method: "POST", Group: "login"}, {Name: "list", Method: "GET", Group: "mix"}}
	tr := results.NewTimelineRecorder(series, 5*time.Second)
	total := metrics.NewAggregate(2)
	for sec := 1; sec <= 5; sec++ {
		a := metrics.NewAggregate(2)
		for i := range 200 {
			s := metrics.Sample{Kind: metrics.KindRequest, Series: 1, Status: 200, Duration: time.Duration(i+sec) * 100 * time.Microsecond}
			if i%20 == 0 {
				s.Flags = 0
			} else {
				s.Flags = metrics.Reused
			}
			a.Add(&s)
		}
		a.Add(&metrics.Sample{Kind: metrics.KindLogin, Duration: 3 * time.Millisecond})
		a.Add(&metrics.Sample{Kind: metrics.KindFirstRequest, Duration: 4 * time.Millisecond})
		total.Merge(a)
		tr.Add(metrics.Snapshot{Elapsed: time.Duration(sec) * time.Second, VUs: 3, LoggedIn: 3, Interval: a})
	}
	total.BytesSent, total.BytesReceived = 32_345, 4_500_000
	r := results.NewResult(results.Meta{Profile: "p", Segment: "1/1", Duration: 5 * time.Second}, series, total)
	tl := tr.Finish(5*time.Second, 0, 0)
	r.Timeline = &tl
	var b strings.Builder
	if err := Write(&b, r); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"latency-over-time", "latency-by-name", "throughput", "vus", "sessions-lost", "distribution", "connections", "login"} {
		if !strings.Contains(b.String(), `<figure class="chart" id="`+id+`">`+"\n<svg") {
			t.Errorf("chart %s missing", id)
		}
	}
	if !strings.Contains(b.String(), "<th>all</th><th></th><th>1000</th><th>0</th><th>0%</th>") {
		t.Error("the report's all row has no failed % beside its failures")
	}
	if !strings.Contains(b.String(), "Data on the wire: 32.3 kB sent, 4.5 MB received.") {
		t.Error("the report does not say what went on the wire")
	}
	if strings.Contains(b.String(), "<script") {
		t.Error("the report carries a script")
	}
	if strings.Contains(b.String(), `id="capacity-latency"`) || strings.Contains(b.String(), `id="warm-sessions"`) {
		t.Error("a run without a capacity search or warm sessions drew their charts")
	}
	if !strings.Contains(b.String(), `<ul class="legend"><li><svg class="swatch" width="28" height="10" viewBox="0 0 28 10" aria-hidden="true"><line x1="1" y1="5" x2="27" y2="5" stroke="`+hexColor(palette[0])+`" stroke-width="2"/></svg>p50</li>`) {
		t.Error("the latency chart has no legend of its series")
	}
	if strings.Contains(b.String(), `id="journeys"`) {
		t.Error("a run without journeys has a journeys table")
	}
	if strings.Contains(b.String(), `id="findings"`) {
		t.Error("a run without session findings has a findings table")
	}
	r.SessionFindings = []findings.Finding{{Kind: findings.NoRotation, Severity: findings.High, Evidence: "the id <stays>", Request: "login", Count: 3}}
	b.Reset()
	if err := Write(&b, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `<tr class="sev-high"><td class="text">high</td><td class="text">session_id_not_rotated_at_login</td><td class="text">the id &lt;stays&gt;</td><td class="text">login</td><td>3</td></tr>`) {
		t.Error("the findings table does not list the finding, escaped")
	}
	r.SessionFindings = nil
	r.Journeys = []results.JourneyResult{{Name: "checkout", Count: 7, Failed: 2, Reasons: map[string]int64{"status": 2}, Duration: results.Latency{P50: 1200}}}
	b.Reset()
	if err := Write(&b, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `id="journeys"`) || !strings.Contains(b.String(), "<td>checkout</td><td>7</td><td>2</td>") {
		t.Error("the journeys table is missing or wrong")
	}
	r.Journeys = nil
	r.Capacity = results.Capacity{Vary: "vus", LastPassing: 20, FirstFailing: 30, Knee: 10, Steps: []results.CapacityStep{
		{Level: 10, Passed: true, Held: true, RPS: 100, Latency: results.Latency{P50: 1, P95: 2, P99: 3}, LeastLoggedIn: 10, VUsWanted: 10},
		{Level: 20, Passed: true, Held: true, RPS: 190, Latency: results.Latency{P50: 2, P95: 5, P99: 9}, LeastLoggedIn: 20, VUsWanted: 20},
		{Level: 30, RPS: 200, Latency: results.Latency{P50: 9, P95: 40, P99: 90}, LeastLoggedIn: 24, VUsWanted: 30, LostSessions: 3,
			Reason:           "level not held: 24 of 30 VUs logged in, 6 logins failed: 500",
			FailuresByReason: map[string]int64{"status": 6}, FailuresByStatus: map[string]int64{"500": 6}},
	}}
	b.Reset()
	if err := Write(&b, r); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"capacity-latency", "capacity-throughput", "capacity-sessions", "capacity-lost"} {
		if !strings.Contains(b.String(), `<figure class="chart" id="`+id+`">`+"\n<svg") {
			t.Errorf("chart %s missing", id)
		}
	}
	if !strings.Contains(b.String(), "Last passing level 20; broke at 30; knee at 10.") {
		t.Error("the capacity chart does not say the search's outcome")
	}
	if !strings.Contains(b.String(), `<h2 id="capacity">Capacity search (vus)</h2>`) || !strings.Contains(b.String(), "Last passing level 20, broke at 30; knee at 10.</p>") {
		t.Error("the capacity table is missing")
	}
	html := b.String()
	if !strings.Contains(html, `<tr class="failed-step"><td>30</td><td><span class="fail">failed</span></td><td><span class="fail">no</span></td>`) ||
		!strings.Contains(html, `<tr class="failed-step"><td colspan="14" class="text">why: level not held: 24 of 30 VUs logged in, 6 logins failed: 500</td></tr>`) {
		t.Error("the failed step is not highlighted with its reason")
	}
	if !strings.Contains(html, `<p class="failed-step" id="failed-step"><span class="fail">Level 30 failed:</span> level not held: 24 of 30 VUs logged in, 6 logins failed: 500. Failed requests by reason: status: 6; by status: 500: 6.</p>`) {
		t.Error("the page does not say why the search stopped")
	}
	if strings.Count(html, `class="failed-step"`) != 3 {
		t.Errorf("%d failed-step marks: want the step's row, its reason's row and the paragraph", strings.Count(html, `class="failed-step"`))
	}
	if !strings.Contains(html, "<td>24/30</td>") {
		t.Error("the failed step's logged-in VUs against wanted are missing")
	}
	r.Warm = &results.WarmResult{Wanted: 3, Held: 3}
	b.Reset()
	if err := Write(&b, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `<figure class="chart" id="warm-sessions">`+"\n<svg") || !strings.Contains(b.String(), "warm sessions held</li>") {
		t.Error("a run with warm sessions has no chart of them")
	}
}
