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
	// Widest is the rendered width of the widest data line (gonum draws
	// data at 1.5 pt, axes and grid thinner).
	Widest float64 `json:"widest"`
}

// TestHTMLReportInChromium opens the report of a run in a real headless
// Chromium: no console errors, every chart present, drawn and non-empty,
// and a screenshot for a person to look at.
func TestHTMLReportInChromium(t *testing.T) {
	chromium := component(t, "chromium", "chromium-browser", "google-chrome")
	dir := t.TempDir()
	html := filepath.Join(dir, "report.html")
	var out bytes.Buffer
	// A short capacity search (4 then 8 VUs), so that the report has every
	// chart, its capacity charts included.
	// On a fake clock, with a target whose latency varies, so that each
	// chart has a shape to draw.
	profile := writeProfile(t, "spring-form", func(s string) string {
		s = strings.Replace(s, "demo_target: []", `demo_target: ["--latency", "2ms", "--jitter", "8ms"]`, 1)
		return s + "\ncapacity: {vary: vus, start: 4, step: 4, max: 8, step_duration: 2s, settle: 500ms}\n"
	})
	code, text, res := runSimulated(t, profile, "--find-capacity", "--html", html, "--threshold", "http_req_failed: rate<0.01")
	if code != exitOK {
		t.Fatalf("run: exit %d\n%s", code, text)
	}
	res.WriteFile(filepath.Join(dir, "r.json"))
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(filepath.Join(dir, "profile")),
		chromedp.WindowSize(1100, 900))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
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
	title, err := chromedp.Run(ctx, chromedp.Title())
	if err != nil {
		t.Fatal(err)
	}
	charts, err := chromedp.Run(ctx, chromedp.Evaluate[[]chartState](`[...document.querySelectorAll("figure.chart")].map(f => {
			const s = f.querySelector("svg"); const b = s ? s.getBoundingClientRect() : {width: 0, height: 0};
			const data = s ? [...s.querySelectorAll("path")].filter(p => (p.getAttribute("style") || "").includes("stroke-width:1.5")) : [];
			return {id: f.id, width: b.width, height: b.height, widest: Math.max(0, ...data.map(p => p.getBoundingClientRect().width))};
		})`))
	if err != nil {
		t.Fatal(err)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	shotPath := filepath.Join(artifactDir(t), "report.png")
	if err := os.WriteFile(shotPath, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", shotPath)
	if len(problems) > 0 {
		t.Fatalf("the page logged: %v", problems)
	}
	if !strings.Contains(title, "cohort report: spring-form") {
		t.Fatalf("title %q", title)
	}
	want := []string{"latency-over-time", "latency-by-name", "throughput", "vus", "capacity-latency", "capacity-throughput",
		"distribution", "connections", "login"}
	got := map[string]chartState{}
	for _, c := range charts {
		got[c.ID] = c
	}
	for _, id := range want {
		c, ok := got[id]
		if !ok {
			t.Errorf("chart %s missing (have %v)", id, charts)
			continue
		}
		// A chart without data still has its frame and grid; a data line
		// spans a good part of the width (legend samples are short).
		if c.Width < 300 || c.Height < 100 || c.Widest < c.Width/4 {
			t.Errorf("chart %s rendered %.0fx%.0f, widest data line %.0f px: empty", id, c.Width, c.Height, c.Widest)
		}
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
