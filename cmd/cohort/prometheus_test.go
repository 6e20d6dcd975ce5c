package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cohort-dev/cohort/bench/target"
	"github.com/cohort-dev/cohort/metrics/prom"
	"github.com/cohort-dev/cohort/metrics/results"
)

// component finds a program the integration tests need. scripts/test
// installs them; under CI a missing one fails the test instead of skipping.
func component(t *testing.T, names ...string) string {
	t.Helper()
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not installed (scripts/test installs it)", names[0])
	}
	t.Skipf("%s is not installed; scripts/test installs it", names[0])
	return ""
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// startProcess runs a server for the test and waits for the line of its
// log that says it serves (an event of its own, not a poll of its port);
// the minute is a bound on a broken server, not a wait.
func startProcess(t *testing.T, readyLine string, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	logs := &lineWatch{want: readyLine, seen: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	select {
	case <-logs.seen:
	case err := <-exited:
		t.Fatalf("%s exited: %v\n%s", name, err, logs.String())
	case <-time.After(time.Minute):
		t.Fatalf("%s never said %q\n%s", name, readyLine, logs.String())
	}
}

// scrapeWatch stands between Prometheus and cohort's metrics endpoint and
// tells each scrape as it starts: Prometheus scrapes a target one scrape
// after another, so the start of a scrape says the one before it is
// stored.
type scrapeWatch struct {
	URL     string
	started chan struct{}
	// target is cohort's metrics page, learnt from the run's output
	// (it listens on a port the kernel gives it: a port picked free
	// beforehand can be taken meanwhile, by an outgoing connection
	// of Prometheus's even).
	target atomic.Pointer[url.URL]
}

func newScrapeWatch(t *testing.T) *scrapeWatch {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	w := &scrapeWatch{URL: ln.Addr().String(), started: make(chan struct{}, 1000)}
	proxy := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(w.target.Load()) }}
	srv := &http.Server{Handler: http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if w.target.Load() == nil {
			// A scrape before cohort listens: Prometheus counts the
			// target as down, as it would be.
			http.Error(rw, "cohort is not listening yet", http.StatusServiceUnavailable)
			return
		}
		select {
		case w.started <- struct{}{}:
		default:
		}
		proxy.ServeHTTP(rw, r)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return w
}

// point sends the scrapes to cohort's metrics page, once its line
// "metrics at URL" says where it is.
func (w *scrapeWatch) point(line string) {
	rest, ok := strings.CutPrefix(line, "metrics at ")
	if !ok || w.target.Load() != nil {
		return
	}
	page, _, _ := strings.Cut(rest, " ")
	if u, err := url.Parse(strings.TrimSuffix(page, "/metrics")); err == nil {
		w.target.Store(u)
	}
}

// stored waits until a scrape that started after now is stored in
// Prometheus: two scrapes start from now on.
func (w *scrapeWatch) stored(t *testing.T) {
	t.Helper()
	for drained := false; !drained; {
		select {
		case <-w.started: // a scrape that began before: it may hold older values
		default:
			drained = true
		}
	}
	for range 2 {
		select {
		case <-w.started:
		case <-time.After(time.Minute):
			t.Fatal("Prometheus stopped scraping")
		}
	}
}

type promResult struct {
	Status string `json:"status"`
	Data   struct {
		Result []struct {
			Metric map[string]string `json:"metric"`
			Value  [2]any            `json:"value"`
		} `json:"result"`
	} `json:"data"`
	Error string `json:"error"`
}

func promQuery(t *testing.T, base, expr string, at time.Time) promResult {
	t.Helper()
	q := url.Values{"query": {expr}, "time": {strconv.FormatFloat(float64(at.UnixMilli())/1000, 'f', 3, 64)}}
	resp, err := http.Get(base + "/api/v1/query?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r promResult
	body, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(body, &r); err != nil || r.Status != "success" {
		t.Fatalf("query %s: %v %s", expr, err, body)
	}
	return r
}

func (r promResult) scalar(t *testing.T) float64 {
	t.Helper()
	if len(r.Data.Result) != 1 {
		t.Fatalf("want one sample, got %d", len(r.Data.Result))
	}
	v, _ := strconv.ParseFloat(r.Data.Result[0].Value[1].(string), 64)
	return v
}

// contractFamilies are the metric families design.md promises.
var contractFamilies = []string{
	"cohort_http_requests_total", "cohort_http_request_duration_seconds_bucket", "cohort_http_request_phase_seconds_bucket",
	"cohort_vus", "cohort_sessions_active", "cohort_logins_total", "cohort_login_duration_seconds_bucket",
	"cohort_sessions_lost_total", "cohort_relogins_total", "cohort_iterations_total", "cohort_dropped_iterations_total",
}

// TestPrometheusScrapesARun runs a real Prometheus against a live run:
// every contract family arrives, the request count Prometheus ends with is
// the result file's, and every query of the Grafana dashboard has data.
func TestPrometheusScrapesARun(t *testing.T) {
	bin := component(t, "prometheus")
	dir := t.TempDir()
	promPort := freePort(t)
	scrapes := newScrapeWatch(t)
	conf := filepath.Join(dir, "prometheus.yml")
	os.WriteFile(conf, []byte(fmt.Sprintf(`global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: cohort
    honor_labels: true
    static_configs: [{targets: ["%s"]}]
`, scrapes.URL)), 0o644)
	promURL := "http://127.0.0.1:" + promPort
	startProcess(t, "Server is ready to receive web requests.", bin, "--config.file="+conf, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address=127.0.0.1:"+promPort, "--log.level=info", "--web.enable-remote-write-receiver")
	// Two short runs first, written remotely, for the dashboard panels
	// the main run has no data for: scenarios, journeys, backend
	// instances, sessions moved, cookies dropped, token refreshes.
	began := time.Now()
	dashboardRuns(t, promURL+"/api/v1/write")

	// An open-model run with faults, so that failures, lost sessions,
	// re-logins and scheduler lag all have data.
	profile := writeProfile(t, "spring-form", func(s string) string {
		s = strings.Replace(s, "demo_target: []", `demo_target: ["--error-rate", "0.02", "--max-sessions", "30"]`, 1)
		return s + "\nsessions: {warm: 20, touch_every: 1s}\n"
	})
	res := filepath.Join(dir, "r.json")
	out := &lineWatch{want: "serving the final metrics", seen: make(chan struct{}), each: scrapes.point}
	ctx, endLinger := context.WithCancel(context.Background())
	defer endLinger()
	exited := make(chan int, 1)
	go func() {
		exited <- dispatch(ctx, &env{stdout: out, stderr: out}, []string{"run", profile,
			"--rate", "120", "--vus", "40", "--duration", "8s", "--tag", "testid=promtest",
			"--prometheus-listen", "127.0.0.1:0", "--prometheus-linger", "2m", "--out", res, "--no-progress"})
	}()
	select {
	case <-out.seen: // the run is over, its result written, its final values served
	case code := <-exited:
		t.Fatalf("run: exit %d before serving its final metrics\n%s", code, out.String())
	}
	r, err := results.ReadResult(res)
	if err != nil {
		t.Fatal(err)
	}
	sel := `{testid="promtest",segment="1/1"}`
	// Wait until Prometheus has stored a scrape of the final values,
	// however long a busy machine makes it take; then end the linger.
	scrapes.stored(t)
	at := time.Now()
	total := `sum(max_over_time(cohort_http_requests_total` + sel + `[5m]))`
	if got := promQuery(t, promURL, total, at); len(got.Data.Result) != 1 || int64(got.scalar(t)) != r.Totals.Requests {
		t.Fatalf("Prometheus counted %v requests after a scrape of the final values, the result file %d", got.Data.Result, r.Totals.Requests)
	}
	endLinger()
	if code := <-exited; code != exitOK {
		t.Fatalf("run: exit %d\n%s", code, out.String())
	}
	for _, fam := range contractFamilies {
		if got := promQuery(t, promURL, fam+sel, at); len(got.Data.Result) == 0 {
			t.Errorf("family %s: no series in Prometheus", fam)
		}
	}
	w := r.Warm
	if w == nil || w.Touches == 0 {
		t.Fatalf("no warm sessions touched: %+v", w)
	}
	if held := promQuery(t, promURL, `sum(cohort_sessions_warm`+sel+`)`, at).scalar(t); int64(held) != w.Held {
		t.Errorf("Prometheus saw %v warm sessions held, the result %d", held, w.Held)
	}
	if touches := promQuery(t, promURL, `sum(max_over_time(cohort_warm_touches_total`+sel+`[5m]))`, at).scalar(t); int64(touches) != w.Touches {
		t.Errorf("Prometheus counted %v warm touches, the result %d", touches, w.Touches)
	}
	// Percentiles Prometheus computes from cohort's buckets agree with
	// HDR's to the resolution of the buckets: histogram_quantile
	// interpolates inside the bucket that holds the quantile, so the two
	// are at most one bucket's growth apart (whatever the latencies were).
	for _, q := range []struct {
		q   float64
		hdr float64
	}{{0.5, r.Latency.P50}, {0.95, r.Latency.P95}, {0.99, r.Latency.P99}} {
		expr := fmt.Sprintf(`histogram_quantile(%g, sum by (le) (cohort_http_request_duration_seconds_bucket%s))`, q.q, sel)
		got := 1000 * promQuery(t, promURL, expr, at).scalar(t)
		t.Logf("p%g: Prometheus %.3f ms, HDR %.3f ms", 100*q.q, got, q.hdr)
		if floor := 1000 * prom.LatencyBucketFloor; q.hdr < floor { // inside the first bucket: all it can say
			if got > floor*1.01 {
				t.Errorf("p%g: Prometheus reads %.3f ms, HDR %.3f ms: both should be under the first bucket's %.3f ms", 100*q.q, got, q.hdr, floor)
			}
			continue
		}
		if ratio := max(got, q.hdr) / min(got, q.hdr); ratio > prom.LatencyBucketGrowth*1.01 {
			t.Errorf("p%g: Prometheus reads %.3f ms from the buckets, HDR %.3f ms: %.2f times apart, more than a bucket (%.3f)",
				100*q.q, got, q.hdr, ratio, prom.LatencyBucketGrowth)
		}
	}
	if r.Sessions.SessionsLost == 0 || r.Totals.Failures == 0 {
		t.Fatalf("the run had no lost sessions (%d) or failures (%d): the dashboard check below would not be exercised", r.Sessions.SessionsLost, r.Totals.Failures)
	}
	checkDashboard(t, promURL, began, at)
}

// lineWatch is a run's output that says when a line containing want has
// been written.
type lineWatch struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	want string
	seen chan struct{}
	once sync.Once
	// each, if set, is told every whole line as it comes.
	each    func(line string)
	partial string
}

func (w *lineWatch) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if strings.Contains(w.buf.String(), w.want) {
		w.once.Do(func() { close(w.seen) })
	}
	if w.each != nil {
		lines := strings.Split(w.partial+string(p), "\n")
		w.partial = lines[len(lines)-1]
		for _, l := range lines[:len(lines)-1] {
			w.each(l)
		}
	}
	return len(p), nil
}

func (w *lineWatch) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// checkDashboard evaluates every query of the Grafana dashboard over the
// runs, from began to end: each must have a value other than 0 at some
// moment (logins per second during the logins), or its panel would show
// nothing where the runs made something.
func checkDashboard(t *testing.T, promURL string, began, end time.Time) {
	t.Helper()
	data, err := os.ReadFile("../../deploy/grafana/cohort.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				RefID string `json:"refId"`
				Expr  string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatalf("dashboard: %v", err)
	}
	n := 0
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			expr := strings.NewReplacer(`$testid`, "promtest|promtest-moves|promtest-tokens", `$__rate_interval`, "1m").Replace(tg.Expr)
			if !promRangeHasData(t, promURL, expr, began, end) {
				t.Errorf("panel %q, query %s: no value but 0 over the runs: %s", p.Title, tg.RefID, expr)
			}
			n++
		}
	}
	if n < 40 {
		t.Fatalf("only %d queries in the dashboard", n)
	}
}

// promRangeHasData says whether expr has a finite value other than 0 at
// some second from start to end.
func promRangeHasData(t *testing.T, base, expr string, start, end time.Time) bool {
	t.Helper()
	stamp := func(at time.Time) string { return strconv.FormatFloat(float64(at.UnixMilli())/1000, 'f', 3, 64) }
	q := url.Values{"query": {expr}, "start": {stamp(start)}, "end": {stamp(end)}, "step": {"1"}}
	resp, err := http.Get(base + "/api/v1/query_range?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct {
		Status string `json:"status"`
		Data   struct {
			Result []struct {
				Values [][2]any `json:"values"`
			} `json:"result"`
		} `json:"data"`
	}
	body, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(body, &r); err != nil || r.Status != "success" {
		t.Fatalf("query_range %s: %v %s", expr, err, body)
	}
	for _, series := range r.Data.Result {
		for _, v := range series.Values {
			s, _ := v[1].(string)
			if f, err := strconv.ParseFloat(s, 64); err == nil && f != 0 && !math.IsNaN(f) && !math.IsInf(f, 0) {
				return true
			}
		}
	}
	return false
}

// dashboardRuns makes, by remote write, the data the main run of
// TestPrometheusScrapesARun lacks: a run with scenarios and journeys behind
// a balancer that moves sessions and sets a foreign cookie, and a token
// run whose tokens expire. Its browsers keep their sessions through 12
// iterations with a pause of 200 ms after each, at least 2.4 s however
// slow the machine, so that a write every second sees them (a busy
// machine may take seconds to log them in). Its storm scenario drops iterations whatever
// the machine's speed: two VUs whose every iteration is a journey with a
// 500 ms pause in it cannot keep up with 10 a second (an open model's
// arrivals do not wait for a think time after the iteration, but a
// journey's pauses are part of it).
func dashboardRuns(t *testing.T, write string) {
	t.Helper()
	base := movingBalancer(t)
	moves := writeProfile(t, "spring-form", func(s string) string {
		i := strings.Index(s, "\nload:")
		return "instance_header: X-Instance\n" + s[:i] + `
scenarios:
  - name: browsers
    think: {type: constant, duration: 200ms}
    load: {executor: per-vu-iterations, vus: 4, iterations: 12}
  - name: storm
    start_after: 1s
    users:
      generate: {username: "user{{n}}", password: "pass{{n}}", start: 1000}
    mix:
      - name: storm
        steps:
          - {name: profile, path: /api/profile, headers: {Accept: application/json}, expect: {status: [200]}, think: {type: constant, duration: 500ms}}
          - {name: orders, path: /api/orders, headers: {Accept: application/json}, expect: {status: [200]}}
    load: {executor: constant-arrival-rate, rate: 10, duration: 2s, pre_allocated_vus: 2, max_vus: 2}
`
	})
	tokens := writeProfile(t, "jwt", func(s string) string {
		return strings.Replace(s, `demo_target: ["--token-ttl", "5s"]`, `demo_target: ["--token-ttl", "1s"]`, 1)
	})
	for _, run := range [][]string{
		{moves, "--base-url", base, "--tag", "testid=promtest-moves"},
		{tokens, "--vus", "3", "--duration", "3s", "--tag", "testid=promtest-tokens"},
	} {
		var out bytes.Buffer
		args := append(append([]string{"run"}, run...), "--no-progress", "--prometheus-remote-write", write, "--prometheus-remote-write-interval", "1s")
		if code := dispatch(context.Background(), &env{stdout: &out, stderr: &out}, args); code != exitOK || strings.Contains(out.String(), "--prometheus-remote-write:") {
			t.Fatalf("%v: exit %d\n%s", run, code, out.String())
		}
	}
}

// movingBalancer stands two demo targets (node-a, node-b, each with its
// own sessions) behind a balancer that keeps a session on the node that
// issued it but sends every tenth request of a session to the other node,
// where it is unknown: the sessions moved and lost after a move that a
// balancer losing stickiness makes. Every fifth response also sets a cookie
// for another domain, which the jars must drop.
func movingBalancer(t *testing.T) string {
	t.Helper()
	var nodes [2]*url.URL
	for i, name := range []string{"node-a", "node-b"} {
		_, u := startTarget(t, target.Config{Instance: name})
		nodes[i], _ = url.Parse(u)
	}
	var mu sync.Mutex
	owner, seen := map[string]int{}, map[string]int{}
	responses := 0
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			mu.Lock()
			defer mu.Unlock()
			node := 0
			if c, err := r.In.Cookie("JSESSIONID"); err == nil {
				if o, ok := owner[c.Value]; ok {
					seen[c.Value]++
					node = o
					if seen[c.Value]%10 == 0 {
						node = 1 - o
					}
				}
			}
			r.SetURL(nodes[node])
			r.Out.Host = r.In.Host
		},
		ModifyResponse: func(resp *http.Response) error {
			mu.Lock()
			defer mu.Unlock()
			node := 0
			if resp.Request.URL.Host == nodes[1].Host {
				node = 1
			}
			for _, c := range resp.Cookies() {
				if c.Name == "JSESSIONID" && c.Value != "" {
					owner[c.Value] = node
				}
			}
			if responses++; responses%5 == 0 {
				resp.Header.Add("Set-Cookie", "promo=1; Domain=example.org; Path=/")
			}
			return nil
		},
	}
	srv := httptest.NewServer(proxy)
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestPushgateway(t *testing.T) {
	bin := component(t, "prometheus-pushgateway", "pushgateway")
	port := freePort(t)
	gw := "http://127.0.0.1:" + port
	startProcess(t, `msg="Listening on"`, bin, "--web.listen-address=127.0.0.1:"+port)
	res := filepath.Join(t.TempDir(), "r.json")
	// With instance_header, a series carries an instance label of its own
	// (the backend that answered): the Pushgateway refuses a push whose
	// series hold a grouping label, so the push must not group by it.
	profile := writeProfile(t, "basic", func(s string) string { return s + "\ninstance_header: X-Instance\n" })
	var out bytes.Buffer
	if code := dispatch(context.Background(), &env{stdout: &out, stderr: &out}, []string{"run", profile,
		"--vus", "3", "--duration", "2s", "--tag", "testid=pushtest", "--prometheus-push", gw, "--out", res, "--no-progress"}); code != exitOK {
		t.Fatalf("run: exit %d\n%s", code, out.String())
	}
	if strings.Contains(out.String(), "--prometheus-push:") {
		t.Fatalf("a push failed:\n%s", out.String())
	}
	r, _ := results.ReadResult(res)
	resp, err := http.Get(gw + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	sum := map[string]int64{}
	for _, line := range strings.Split(string(body), "\n") {
		if strings.Contains(line, `testid="pushtest"`) && strings.Contains(line, `job="cohort"`) && strings.Contains(line, `cohort_run="pushtest-1of1"`) {
			name, _, _ := strings.Cut(line, "{")
			if name == "cohort_instance_requests_total" && !strings.Contains(line, `instance="target-1"`) {
				t.Fatalf("the backend's instance label is lost: %s", line)
			}
			f := strings.Fields(line)
			v, _ := strconv.ParseFloat(f[len(f)-1], 64)
			sum[name] += int64(v)
		}
	}
	for _, name := range []string{"cohort_http_requests_total", "cohort_instance_requests_total"} {
		if sum[name] != r.Totals.Requests || sum[name] == 0 {
			t.Errorf("the Pushgateway holds %d in %s, the result %d requests", sum[name], name, r.Totals.Requests)
		}
	}
}

// TestPrometheusRemoteWrite sends a run's metrics to a real Prometheus's
// remote-write receiver: the totals Prometheus stores are the result
// file's, under the labels a scrape would give them.
func TestPrometheusRemoteWrite(t *testing.T) {
	bin := component(t, "prometheus")
	dir := t.TempDir()
	port := freePort(t)
	conf := filepath.Join(dir, "prometheus.yml")
	os.WriteFile(conf, []byte("global: {scrape_interval: 1m}\n"), 0o644)
	promURL := "http://127.0.0.1:" + port
	startProcess(t, "Server is ready to receive web requests.", bin, "--config.file="+conf, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address=127.0.0.1:"+port, "--web.enable-remote-write-receiver")
	res := filepath.Join(dir, "r.json")
	var out bytes.Buffer
	if code := dispatch(context.Background(), &env{stdout: &out, stderr: &out}, []string{"run", "spring-form",
		"--vus", "4", "--duration", "3s", "--tag", "testid=rwtest", "--out", res, "--no-progress",
		"--prometheus-remote-write", promURL + "/api/v1/write", "--prometheus-remote-write-interval", "1s"}); code != exitOK {
		t.Fatalf("run: exit %d\n%s", code, out.String())
	}
	if strings.Contains(out.String(), "--prometheus-remote-write:") {
		t.Fatalf("a write failed:\n%s", out.String())
	}
	r, err := results.ReadResult(res)
	if err != nil {
		t.Fatal(err)
	}
	// The final write is answered once Prometheus has committed it: no
	// wait is needed before the queries.
	at := time.Now()
	sel := `{testid="rwtest",segment="1/1",job="cohort",instance="rwtest-1of1"}`
	for _, c := range []struct {
		expr string
		want int64
	}{
		{`sum(max_over_time(cohort_http_requests_total` + sel + `[5m]))`, r.Totals.Requests},
		{`sum(max_over_time(cohort_logins_total` + strings.Replace(sel, "}", `,result="ok"}`, 1) + `[5m]))`, r.Sessions.Logins},
		{`sum(max_over_time(cohort_http_request_duration_seconds_count` + sel + `[5m]))`, r.Totals.Requests},
		{`sum(max_over_time(cohort_http_request_duration_seconds_bucket` + strings.Replace(sel, "}", `,le="+Inf"}`, 1) + `[5m]))`, r.Totals.Requests},
	} {
		if got := promQuery(t, promURL, c.expr, at); len(got.Data.Result) != 1 || int64(got.scalar(t)) != c.want || c.want == 0 {
			t.Errorf("%s: Prometheus holds %v, the result file %d", c.expr, got.Data.Result, c.want)
		}
	}
	for _, fam := range contractFamilies {
		if got := promQuery(t, promURL, fam+sel, at); len(got.Data.Result) == 0 {
			t.Errorf("family %s: not written", fam)
		}
	}
}
