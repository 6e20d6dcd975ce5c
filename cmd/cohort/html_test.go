package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/cohort-dev/cohort/metrics"
	"github.com/cohort-dev/cohort/metrics/htmlreport"
	"github.com/cohort-dev/cohort/metrics/results"
)

// artifactDir is where browser tests leave their screenshots: $COHORT_ARTIFACTS,
// or artifacts/ at the repository root.
func artifactDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("COHORT_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "..", "artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// chartState is what the page says of one chart once rendered.
type chartState struct {
	ID     string  `json:"id"`
	Width  float64 `json:"width"`
	Height float64 `json:"height"`
	// Widest is the rendered width of the widest data line (data are
	// drawn at 1.5 pt, axes, grid and step lines thinner).
	Widest float64 `json:"widest"`
	// Series counts the data lines; Problems is what chartChecks found
	// wrong with the chart.
	Series   int      `json:"series"`
	Problems []string `json:"problems"`
}

// chartChecks is run in the page on a root element: for each of its
// charts (figure.chart, its SVG a child), it reports any <text> whose box
// leaves the SVG's (by more than half a pixel: rounding), any two data
// lines (the paths of stroke width 1.5) drawn alike, a colour used twice
// in a chart of at most palette series (past that, colours come round
// again with a dash), a legend that does not list the data lines in
// their order and strokes, and a legend over the chart.
const chartChecks = `(root, palette) => [...root.querySelectorAll("figure.chart")].map(f => {
	const problems = [];
	const s = f.querySelector(":scope > svg");
	if (!s) return {id: f.id, width: 0, height: 0, widest: 0, series: 0, problems: ["no svg"]};
	const box = s.getBoundingClientRect();
	const px = v => v.toFixed(1);
	for (const t of s.querySelectorAll("text")) {
		const r = t.getBoundingClientRect();
		if (r.left < box.left - 0.5 || r.right > box.right + 0.5 || r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5) {
			problems.push("text " + JSON.stringify(t.textContent) + " at x " + px(r.left) + ".." + px(r.right) + ", y " + px(r.top) + ".." + px(r.bottom) +
				" outside the svg's x " + px(box.left) + ".." + px(box.right) + ", y " + px(box.top) + ".." + px(box.bottom));
		}
	}
	const prop = (style, name) => { const m = (";" + style).match(new RegExp(";\\s*" + name + "\\s*:\\s*([^;]+)")); return m ? m[1].trim().toLowerCase() : ""; };
	const data = [...s.querySelectorAll("path")].map(p => ({p, style: p.getAttribute("style") || ""}))
		.filter(d => prop(d.style, "stroke-width") === "1.5")
		.map(d => ({p: d.p, color: prop(d.style, "stroke"), dash: prop(d.style, "stroke-dasharray").replace(/\s+/g, "")}));
	const seen = new Map();
	for (const d of data) {
		const key = d.color + " " + (d.dash || "solid");
		if (seen.has(key)) problems.push("two data lines drawn alike: " + key);
		seen.set(key, true);
	}
	const colours = new Set(data.map(d => d.color));
	if (data.length <= palette && colours.size < data.length) problems.push(data.length + " data lines in " + colours.size + " colours");
	const swatches = [...f.querySelectorAll("ul.legend li svg line")].map(l => ({
		color: (l.getAttribute("stroke") || "").toLowerCase(), dash: (l.getAttribute("stroke-dasharray") || "").replace(/\s+/g, "")}));
	if (swatches.length !== data.length) problems.push(swatches.length + " legend entries for " + data.length + " data lines");
	swatches.forEach((w, i) => {
		if (i < data.length && (w.color !== data[i].color || w.dash !== data[i].dash)) {
			problems.push("legend entry " + i + " is " + w.color + " " + w.dash + ", its line " + data[i].color + " " + data[i].dash);
		}
	});
	const legend = f.querySelector("ul.legend");
	if (legend && legend.getBoundingClientRect().top < box.bottom - 0.5) problems.push("the legend overlaps the chart");
	return {id: f.id, width: box.width, height: box.height, series: data.length, problems,
		widest: Math.max(0, ...data.map(d => d.p.getBoundingClientRect().width))};
})`

// brokenChart is a chart with both faults chartChecks looks for: a text
// past its SVG's right edge, and two data lines of one colour (with a
// legend that lists only one of them).
const brokenChart = `<figure class="chart" id="broken"><svg width="200" height="100" viewBox="0 0 200 100" xmlns="http://www.w3.org/2000/svg">
<text x="150" y="50" style="font-size:20px">overflowing</text>
<path d="M0 10 L200 10" style="fill:none;stroke:#ff0000;stroke-width:1.5"/>
<path d="M0 60 L200 60" style="fill:none;stroke:#ff0000;stroke-width:1.5"/>
</svg><ul class="legend"><li><svg width="28" height="10"><line x1="1" y1="5" x2="27" y2="5" stroke="#ff0000"/></svg>a</li></ul></figure>`

// pageState is what a report's page said in Chromium: its title, each
// chart's state, and what the checks found on brokenChart.
type pageState struct {
	title          string
	charts, broken []chartState
}

// inChromium opens a report in a headless Chromium, runs chartChecks on
// it and on brokenChart, and leaves screenshots in artifactDir: the whole
// page as PREFIX.png, each chart and each element named in parts as
// PREFIX-ID.png. A console error or an exception fails the test.
func inChromium(t *testing.T, html, prefix string, parts ...string) pageState {
	t.Helper()
	chromium := component(t, "chromium", "chromium-browser", "google-chrome")
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(filepath.Join(t.TempDir(), "profile")),
		chromedp.WindowSize(1100, 900))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	// A bound on a broken browser, not a wait: every step below returns
	// as soon as Chromium answers.
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	defer cancelTimeout()

	var mu sync.Mutex
	var problems []string
	chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeWarning {
				problems = append(problems, fmt.Sprintf("console %s", e.Type))
			}
		case *runtime.EventExceptionThrown:
			problems = append(problems, "exception: "+e.ExceptionDetails.Text)
		}
	})
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+html), chromedp.WaitReady("#timing")); err != nil {
		t.Fatalf("chromium: %v", err)
	}
	var st pageState
	var err error
	if st.title, err = chromedp.Run(ctx, chromedp.Title()); err != nil {
		t.Fatal(err)
	}
	if st.charts, err = chromedp.Run(ctx, chromedp.Evaluate[[]chartState](`(`+chartChecks+`)(document, 12)`)); err != nil {
		t.Fatal(err)
	}
	shots := artifactDir(t)
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(shots, prefix+".png"), shot, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range st.charts {
		parts = append(parts, c.ID)
	}
	for _, id := range parts {
		png, err := chromedp.Run(ctx, chromedp.Screenshot("#"+id))
		if err != nil {
			t.Fatalf("screenshot of #%s: %v", id, err)
		}
		if err := os.WriteFile(filepath.Join(shots, prefix+"-"+id+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("screenshots: %s/%s*.png", shots, prefix)
	// The same checks on a chart made to fail them, in the same page
	// (its styles apply), taken out again after.
	if st.broken, err = chromedp.Run(ctx, chromedp.Evaluate[[]chartState](`(() => {
		const d = document.createElement("div"); d.innerHTML = `+"`"+brokenChart+"`"+`; document.body.append(d);
		const r = (`+chartChecks+`)(d, 12); d.remove(); return r; })()`)); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(problems) > 0 {
		t.Fatalf("the page logged: %v", problems)
	}
	return st
}

// checkCharts fails the test for each chart of want that is missing or
// empty, and for every problem chartChecks found; it returns the charts
// by id.
func checkCharts(t *testing.T, st pageState, want ...string) map[string]chartState {
	t.Helper()
	got := map[string]chartState{}
	for _, c := range st.charts {
		got[c.ID] = c
		for _, p := range c.Problems {
			t.Errorf("chart %s: %s", c.ID, p)
		}
	}
	for _, id := range want {
		c, ok := got[id]
		if !ok {
			t.Errorf("chart %s missing (have %v)", id, st.charts)
			continue
		}
		// A chart without data still has its frame and grid; a data line
		// spans a good part of the width.
		if c.Width < 300 || c.Height < 100 || c.Widest < c.Width/4 {
			t.Errorf("chart %s rendered %.0fx%.0f, widest data line %.0f px: empty", id, c.Width, c.Height, c.Widest)
		}
	}
	// The checks must see the faults they look for, or a pass means
	// nothing: on brokenChart, the text past its edge, the two lines
	// drawn alike, and the legend short of a line.
	if len(st.broken) != 1 {
		t.Fatalf("the broken chart checked as %+v", st.broken)
	}
	var outside, alike, legend bool
	for _, p := range st.broken[0].Problems {
		outside = outside || strings.HasPrefix(p, `text "overflowing"`) && strings.Contains(p, "outside the svg")
		alike = alike || p == "two data lines drawn alike: #ff0000 solid"
		legend = legend || p == "1 legend entries for 2 data lines"
	}
	if !outside || !alike || !legend {
		t.Errorf("on a broken chart the checks found %q: want the overflowing text, the repeated colour and the short legend", st.broken[0].Problems)
	}
	return got
}

// TestHTMLReportInChromium opens the report of a run in a real headless
// Chromium: no console errors, every chart present and drawn, no text of
// a chart outside its SVG, every data series in a stroke of its own and
// listed by the legend, and screenshots (the page, each chart, the
// capacity table) for a person to look at.
func TestHTMLReportInChromium(t *testing.T) {
	component(t, "chromium", "chromium-browser", "google-chrome")
	dir := t.TempDir()
	html := filepath.Join(dir, "report.html")
	var out bytes.Buffer
	// A short capacity search of warm sessions (20, 40, 60, beside 4 VUs)
	// against a store of 50 sessions that evicts the least recently used:
	// 20 and 40 are held, 60 loses sessions, so that every chart has
	// something to show, the failed step included. On a fake clock, with
	// a target whose latency varies, so that each chart has a shape;
	// spring-form's mix has 9 request names, so the percentile chart has
	// 10 series and the p95 chart 13 (past the palette's 12).
	profile := writeProfile(t, "spring-form", func(s string) string {
		s = strings.Replace(s, "demo_target: []", `demo_target: ["--latency", "2ms", "--jitter", "8ms", "--max-sessions", "50"]`, 1)
		return s + "\nsessions: {warm: 20, touch_every: 1s}\n" +
			"capacity: {vary: warm_sessions, start: 20, step: 20, max: 60, step_duration: 2s, settle: 500ms}\n"
	})
	code, text, res := runSimulated(t, profile, "--vus", "4", "--find-capacity", "--html", html,
		"--threshold", "warm_sessions_lost: count<1")
	if code != exitOK {
		t.Fatalf("run: exit %d\n%s", code, text)
	}
	steps := res.Capacity.Steps
	if len(steps) != 3 || !steps[0].Passed || !steps[1].Passed || steps[2].Passed || steps[2].WarmLost == 0 {
		t.Fatalf("capacity steps %+v: want 20 and 40 held, 60 failed with warm sessions lost\n%s", steps, text)
	}
	if err := res.WriteFile(filepath.Join(dir, "r.json")); err != nil {
		t.Fatal(err)
	}
	st := inChromium(t, html, "report", "capacity-steps", "failed-step")
	if !strings.Contains(st.title, "cohort report: spring-form") {
		t.Fatalf("title %q", st.title)
	}
	got := checkCharts(t, st, "latency-over-time", "latency-by-name", "throughput", "vus", "warm-sessions", "sessions-lost",
		"capacity-latency", "capacity-throughput", "capacity-sessions", "capacity-lost", "distribution", "connections", "login")
	if n := got["distribution"].Series; n != 10 {
		t.Errorf("the percentile chart has %d series, want 10 (all requests and 9 mix requests), each in a colour of its own", n)
	}
	if n := got["latency-by-name"].Series; n != 13 {
		t.Errorf("the p95 chart has %d series, want 13 (every request name), no two drawn alike", n)
	}
	r, _ := results.ReadResult(filepath.Join(dir, "r.json"))
	report := filepath.Join(dir, "again.html")
	if code := dispatch(context.Background(), &env{stdout: &out, stderr: &out},
		[]string{"report", filepath.Join(dir, "r.json"), "--format", "html", "--out", report}); code != exitOK || r == nil {
		t.Fatalf("report --format html: exit %d\n%s", code, out.String())
	}
	data, _ := os.ReadFile(report)
	if !bytes.Contains(data, []byte(`id="distribution"`)) {
		t.Fatal("the report made from the result file alone lacks its charts")
	}
	if bytes.Contains(data, []byte("<script")) || bytes.Contains(data, []byte(" src=")) || bytes.Contains(data, []byte("<link")) {
		t.Fatal("the report loads something: it must be self-contained")
	}
}

// TestHTMLReportLargeFiguresInChromium draws a made-up result with the
// figures that broke the charts before: capacity levels up to 7000 (the
// last label at the right edge), 200,000 requests (the percentile axis
// reaches 99.999%), a tail 100 times the median (a log latency axis), and
// seven requests in one chart.
func TestHTMLReportLargeFiguresInChromium(t *testing.T) {
	component(t, "chromium", "chromium-browser", "google-chrome")
	html := filepath.Join(t.TempDir(), "large.html")
	f, err := os.Create(html)
	if err != nil {
		t.Fatal(err)
	}
	if err := htmlreport.Write(f, largeResult()); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	st := inChromium(t, html, "report-large")
	got := checkCharts(t, st, "latency-over-time", "latency-by-name", "vus", "warm-sessions", "sessions-lost",
		"capacity-latency", "capacity-sessions", "distribution")
	if n := got["distribution"].Series; n != 8 {
		t.Errorf("the percentile chart has %d series, want 8 (all and 7 requests)", n)
	}
}

// largeResult is a result made from samples: seven requests of 2 to 8 ms
// with one in 1000 at 400 ms, over 14 seconds, while a capacity search
// steps warm sessions from 1000 to 7000 and the last step loses some.
func largeResult() *results.Result {
	names := []string{"home", "search", "product", "cart", "checkout", "orders", "profile"}
	series := []metrics.SeriesInfo{{Name: "login", Method: "POST", Group: "login"}}
	for _, n := range names {
		series = append(series, metrics.SeriesInfo{Name: n, Method: "GET", Group: "mix"})
	}
	const seconds, steps = 14, 7
	tr := results.NewTimelineRecorder(series, seconds*time.Second)
	total, warmTotal := metrics.NewAggregate(len(series)), metrics.NewAggregate(len(series))
	var capacity results.Capacity
	capacity.Vary = "warm_sessions"
	for sec := 1; sec <= seconds; sec++ {
		a, w := metrics.NewAggregate(len(series)), metrics.NewAggregate(len(series))
		for i := range 14_000 {
			s := i % len(names)
			d := time.Duration(2000+s*1000+(i*7919)%1000) * time.Microsecond
			if i%1000 == 999 {
				d = 400 * time.Millisecond
			}
			a.Add(&metrics.Sample{Kind: metrics.KindRequest, Series: uint16(s + 1), Status: 200, Duration: d, Flags: metrics.Reused})
		}
		step := (sec - 1) / 2
		level := 1000 * (step + 1)
		held := level
		if step == steps-1 {
			held = level - 150 // the store is full: the last step loses sessions
			for range 150 {
				w.Add(&metrics.Sample{Kind: metrics.KindSessionLost})
				w.Add(&metrics.Sample{Kind: metrics.KindRelogin})
			}
		}
		total.Merge(a)
		warmTotal.Merge(w)
		tr.Add(metrics.Snapshot{Elapsed: time.Duration(sec) * time.Second, VUs: 20, LoggedIn: 20, WarmHeld: held, Interval: a, Warm: w})
		if sec%2 == 0 {
			st := results.CapacityStep{Level: float64(level), Passed: step < steps-1, Held: step < steps-1, MeasuredS: 2,
				RPS: 14_000, Latency: results.Latency{P50: 4, P95: 7.5, P99: 8.9}, LeastLoggedIn: 20, VUsWanted: 20,
				LeastWarm: held, WarmWanted: level}
			if !st.Passed {
				st.WarmLost = 300
				st.Reason = "level not held: 6850 of 7000 warm sessions held"
				capacity.FirstFailing = st.Level
			} else {
				capacity.LastPassing = st.Level
			}
			capacity.Steps = append(capacity.Steps, st)
		}
	}
	r := results.NewResult(results.Meta{Profile: "large", Segment: "1/1", Duration: seconds * time.Second, VUsMax: 20}, series, total)
	r.SetWarm(7000, 6850, warmTotal, -1)
	r.Capacity = capacity
	tl := tr.Finish(seconds*time.Second, 0, 0)
	r.Timeline = &tl
	return r
}
