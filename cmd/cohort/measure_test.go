package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cohort-dev/cohort/bench/target"
	"github.com/cohort-dev/cohort/metrics/results"
)

func TestConnectionModes(t *testing.T) {
	cases := []struct {
		mode string
		want func(opened, requests int64) bool
		why  string
	}{
		{"shared", func(o, _ int64) bool { return o >= 1 && o <= 4 }, "at most one connection per VU"},
		{"per-user", func(o, _ int64) bool { return o == 4 }, "one connection per VU, kept"},
		{"per-request", func(o, n int64) bool { return o == n }, "a connection per request"},
	}
	for _, c := range cases {
		t.Run(c.mode, func(t *testing.T) {
			code, out, r := runCohort(t, "basic", "--vus", "4", "--iterations", "80", "--conn", c.mode)
			if code != exitOK || r.Totals.Failures != 0 {
				t.Fatalf("exit %d, failures %d\n%s", code, r.Totals.Failures, out)
			}
			if !c.want(r.Connections.Opened, r.Totals.Requests) {
				t.Fatalf("%d connections for %d requests: want %s", r.Connections.Opened, r.Totals.Requests, c.why)
			}
			if c.mode == "per-request" && r.Connections.ReusedRequests != 0 {
				t.Fatalf("%d requests on reused connections without keep-alive", r.Connections.ReusedRequests)
			}
		})
	}
	if code, _, _ := runCohort(t, "basic", "--conn", "pooled"); code != exitUsage {
		t.Fatalf("--conn pooled: exit %d, want 2", code)
	}
}

// TestTLSPhases runs over HTTPS: the demo target's self-signed
// certificate is trusted because cohort started it; every new connection
// has a handshake, and without keep-alive every request does.
func TestTLSPhases(t *testing.T) {
	path := writeProfile(t, "basic", func(s string) string {
		return strings.Replace(s, `demo_target: ["--basic"]`, `demo_target: ["--basic", "--tls"]`, 1)
	})
	for _, mode := range []string{"shared", "per-request"} {
		t.Run(mode, func(t *testing.T) {
			code, out, r := runCohort(t, path, "--vus", "3", "--iterations", "60", "--conn", mode)
			if code != exitOK || r.Totals.Failures != 0 {
				t.Fatalf("exit %d failures %d\n%s", code, r.Totals.Failures, out)
			}
			var handshakes int64
			for _, q := range r.Requests {
				handshakes += q.Phases["tls"].Count
			}
			// Only requests on new connections have a handshake. (A new
			// connection is occasionally dialed for one request and handed
			// to another, so there may be fewer handshakes than new-connection
			// requests, never more.)
			if handshakes == 0 || handshakes > r.Connections.NewRequests {
				t.Fatalf("%d TLS handshakes, %d requests on new connections", handshakes, r.Connections.NewRequests)
			}
			if mode == "per-request" && handshakes != r.Totals.Requests {
				t.Fatalf("%d handshakes for %d requests without keep-alive", handshakes, r.Totals.Requests)
			}
		})
	}
}

func TestTLSVerification(t *testing.T) {
	tg, err := target.New(target.Config{TLS: true, Basic: true})
	if err != nil {
		t.Fatal(err)
	}
	base, err := tg.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close(context.Background())
	ca := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(ca, tg.CertificatePEM(), 0o644)
	cases := []struct {
		name  string
		flags []string
		fails bool
	}{
		{"verified and untrusted", nil, true},
		{"--insecure", []string{"--insecure"}, false},
		{"--ca", []string{"--ca", ca}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"basic", "--base-url", base, "--vus", "2", "--iterations", "10"}, c.flags...)
			code, out, r := runCohort(t, args...)
			if want := map[bool]int{true: exitFailed, false: exitOK}[c.fails]; code != want {
				t.Fatalf("exit %d, want %d (every request failing is a run not carried out)\n%s", code, want, out)
			}
			tlsFailures := int64(0)
			for _, q := range r.Requests {
				tlsFailures += q.Reasons["tls"]
			}
			if c.fails && (tlsFailures != 10 || r.Totals.Failures != 10) {
				t.Fatalf("%d TLS failures of %d failures, want all 10 requests refused for the certificate", tlsFailures, r.Totals.Failures)
			}
			if !c.fails && r.Totals.Failures != 0 {
				t.Fatalf("%d failures\n%s", r.Totals.Failures, out)
			}
		})
	}
}

func TestOpenModelFromFlags(t *testing.T) {
	code, out, r := runCohort(t, "basic", "--rate", "200", "--duration", "1s", "--vus", "10")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if got := r.Totals.Iterations + r.Totals.Dropped; got != 200 {
		t.Fatalf("%d iterations + %d dropped, want the 200 arrivals of 1 s at 200/s", r.Totals.Iterations, r.Totals.Dropped)
	}
	if r.SchedulerLag.Count != 200 {
		t.Fatalf("scheduler lag counted %d arrivals", r.SchedulerLag.Count)
	}
	if !strings.Contains(out, "200 iterations per 1s for 1s (open model, 10..10 VUs)") {
		t.Fatalf("banner:\n%s", out)
	}
}

// TestCompareCommand compares runs on a fake clock against targets that
// answer in 2 to 4 ms (A) and in 4 to 6 ms (B): A against A marks nothing
// or next to nothing, A against B marks the latency, one run per side and
// three; --format json and a corrupt file.
func TestCompareCommand(t *testing.T) {
	dir := t.TempDir()
	result := func(name, latency string) string {
		path := writeProfile(t, "basic", func(s string) string {
			return strings.Replace(s, `demo_target: ["--basic"]`, `demo_target: ["--basic", "--latency", "`+latency+`", "--jitter", "2ms"]`, 1)
		})
		code, out, r := runSimulated(t, path, "--vus", "4", "--duration", "6s")
		if code != exitOK {
			t.Fatalf("run: exit %d\n%s", code, out)
		}
		file := filepath.Join(dir, name+".json")
		r.WriteFile(file)
		return file
	}
	var a, b []string
	for i := range 3 {
		a = append(a, result(fmt.Sprintf("a%d", i), "2ms"))
		b = append(b, result(fmt.Sprintf("b%d", i), "4ms"))
	}
	compareOut := func(args ...string) string {
		var out, errOut bytes.Buffer
		if code := dispatch(context.Background(), &env{stdout: &out, stderr: &errOut}, append([]string{"compare"}, args...)); code != exitOK {
			t.Fatalf("compare %v: exit %d: %s", args, code, errOut.String())
		}
		return out.String()
	}
	changed := func(out string) (n int, latency bool) {
		for _, line := range strings.Split(out, "\n") {
			if strings.HasSuffix(strings.TrimSpace(line), "*") {
				n++
				latency = latency || strings.Contains(line, "all p50 ms")
			}
		}
		return n, latency
	}
	// Two runs of one target differ by chance only (its jitter is random):
	// at p < 0.01 over about 25 judged rows, 4 or more marked happens about
	// once in 10,000 comparisons.
	if n, _ := changed(compareOut(a[0], a[1])); n > 3 {
		t.Errorf("A against A: %d rows marked", n)
	}
	if n, _ := changed(compareOut(append(append(a, "--"), a...)...)); n != 0 {
		t.Errorf("three runs against themselves: %d rows marked", n)
	}
	for _, args := range [][]string{{a[0], b[0]}, append(append(a, "--"), b...)} {
		if _, latency := changed(compareOut(args...)); !latency {
			t.Errorf("compare %v: the run's p50 latency is not marked changed", args)
		}
	}
	// Flags may follow the B files.
	if out := compareOut(append(append(append([]string{}, a...), "--"), append(b, "--all")...)...); !strings.Contains(out, "ttfb p50 ms") {
		t.Errorf("--all after the B files: the table lacks the unchanged rows:\n%s", out)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(compareOut(a[0], b[0], "--format", "json")), &rows); err != nil || len(rows) == 0 {
		t.Fatalf("--format json: %v, %d rows", err, len(rows))
	}
	var out, errOut bytes.Buffer
	if code := dispatch(context.Background(), &env{stdout: &out, stderr: &errOut}, []string{"compare", a[0], "--", b[0], b[1]}); code != exitUsage {
		t.Fatalf("one run against two: exit %d", code)
	}
	corrupt := filepath.Join(dir, "corrupt.json")
	os.WriteFile(corrupt, []byte(`{"schema":"cohort.result/v1","histograms":{"all":"nope"}}`), 0o644)
	errOut.Reset()
	if code := dispatch(context.Background(), &env{stdout: &out, stderr: &errOut}, []string{"compare", a[0], corrupt}); code != exitUsage ||
		!strings.Contains(errOut.String(), "corrupt.json: field histograms") {
		t.Fatalf("corrupt file: exit %d, %s", code, errOut.String())
	}
}

// TestPhasesAddUp checks where time is counted, on a fake clock: against
// a target that answers after 20 ms over connections that take 1 ms to
// open, the phases of each request (blocked, connect, tls, sending, ttfb,
// receiving) add up to its duration, ttfb holds the 20 ms, and connect the
// 1 ms of every request on a new connection.
func TestPhasesAddUp(t *testing.T) {
	path := writeProfile(t, "basic", func(s string) string {
		return strings.Replace(s, `demo_target: ["--basic"]`, `demo_target: ["--basic", "--latency", "20ms"]`, 1)
	})
	for _, mode := range []string{"shared", "per-request"} {
		t.Run(mode, func(t *testing.T) {
			_, out, r := runSimulated(t, path, "--vus", "2", "--iterations", "40", "--conn", mode)
			near := func(got, want float64) bool { return math.Abs(got-want) <= want*0.002 } // HDR's 3 digits
			for _, q := range r.Requests {
				if q.Count == 0 {
					continue
				}
				var phases float64
				for _, name := range []string{"blocked", "connect", "tls", "sending", "ttfb", "receiving"} {
					ph := q.Phases[name]
					phases += ph.Mean * float64(ph.Count)
				}
				total := q.Latency.Mean * float64(q.Count)
				if !near(phases, total) {
					t.Fatalf("%s: phases sum to %.3f ms per request, the duration is %.3f ms\n%s",
						q.Name, phases/float64(q.Count), q.Latency.Mean, out)
				}
				if ttfb := q.Phases["ttfb"]; !near(ttfb.P50, 20) || !near(ttfb.Max, 20) {
					t.Fatalf("%s: ttfb p50 %.3f ms, max %.3f ms, want the target's 20 ms", q.Name, ttfb.P50, ttfb.Max)
				}
				if c := q.Phases["connect"]; c.Count != q.ByConnection["new"].Count || (c.Count > 0 && !near(c.Max, 1)) {
					t.Fatalf("%s: %d connects (up to %.3f ms) for %d requests on new connections, want 1 ms each",
						q.Name, c.Count, c.Max, q.ByConnection["new"].Count)
				}
			}
			if mode == "per-request" && r.Connections.Opened != 40 {
				t.Fatalf("%d connections for 40 requests without keep-alive", r.Connections.Opened)
			}
		})
	}
}

func TestCompareConnTable(t *testing.T) {
	out := filepath.Join(t.TempDir(), "c.json")
	var stdout, stderr bytes.Buffer
	code := dispatch(context.Background(), &env{stdout: &stdout, stderr: &stderr},
		[]string{"run", "basic", "--vus", "2", "--iterations", "30", "--compare-conn", "--out", out, "--no-progress"})
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	lines := strings.Split(stdout.String(), "\n")
	var table []string
	for i, l := range lines {
		if strings.Contains(l, "conn mode") {
			table = lines[i : i+4]
		}
	}
	if len(table) != 4 || !strings.Contains(table[1], "shared") || !strings.Contains(table[3], "per-request") {
		t.Fatalf("no comparison table:\n%s", stdout.String())
	}
	if !strings.Contains(table[3], " 30 ") { // 30 connections: one per request
		t.Fatalf("per-request row %q does not show 30 connections", table[3])
	}
	for _, mode := range []string{"shared", "per-user", "per-request"} {
		r, err := results.ReadResult(strings.TrimSuffix(out, ".json") + "." + mode + ".json")
		if err != nil || r.Tags["conn"] != mode || r.Totals.Iterations != 30 {
			t.Fatalf("%s: %v %+v", mode, err, r)
		}
	}
}

func TestReportHgrm(t *testing.T) {
	_, _, r := runCohort(t, "basic", "--vus", "2", "--iterations", "20")
	dir := t.TempDir()
	res := filepath.Join(dir, "r.json")
	r.WriteFile(res)
	var stdout, stderr bytes.Buffer
	if code := dispatch(context.Background(), &env{stdout: &stdout, stderr: &stderr}, []string{"report", res, "--format", "hgrm"}); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	data, err := os.ReadFile(filepath.Join(dir, "r-hgrm", "all.hgrm"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	if !strings.HasPrefix(text, " Value\tPercentile\tTotalCount\t1/(1-Percentile)") || !strings.Contains(text, "Total count    =           20]") {
		t.Fatalf("all.hgrm:\n%s", text)
	}
	if !strings.Contains(stdout.String(), "mix.profile.latency.hgrm") {
		t.Fatalf("listed files:\n%s", stdout.String())
	}
	stdout.Reset()
	if code := dispatch(context.Background(), &env{stdout: &stdout, stderr: &stderr}, []string{"report", res}); code != exitOK || !strings.Contains(stdout.String(), "timing (ms, p50/p95)") {
		t.Fatalf("text report: exit %d\n%s", code, stdout.String())
	}
}
