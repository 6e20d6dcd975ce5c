package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cohort-dev/cohort/bench/target"
	"github.com/cohort-dev/cohort/metrics"
)

// runSegments runs spring-form against a fresh target as n processes
// (segments 1/n..n/n, merged) and returns the result and the target's view.
func runSegments(t *testing.T, n int, dir string) (*metrics.Result, target.Stats) {
	t.Helper()
	tg, err := target.New(target.Config{})
	if err != nil {
		t.Fatal(err)
	}
	base, err := tg.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close(context.Background())
	// Separate processes (the test binary standing in for cohort), started
	// together by --start-at.
	start := time.Now().Add(2 * time.Second).UTC().Format(time.RFC3339)
	parts := make([]string, n)
	cmds := make([]*exec.Cmd, n)
	outs := make([]bytes.Buffer, n)
	for i := range n {
		parts[i] = filepath.Join(dir, fmt.Sprintf("part%d.json", i+1))
		args := []string{"run", "spring-form", "--base-url", base, "--vus", "9", "--iterations", "270",
			"--out", parts[i], "--no-progress", "--tag", "testid=dist"}
		if n > 1 {
			args = append(args, "--segment", fmt.Sprintf("%d/%d", i+1, n), "--start-at", start)
		}
		cmds[i] = exec.Command(os.Args[0], args...)
		cmds[i].Env = append(os.Environ(), "COHORT_TEST_AS_MAIN=1")
		cmds[i].Stdout, cmds[i].Stderr = &outs[i], &outs[i]
		if err := cmds[i].Start(); err != nil {
			t.Fatal(err)
		}
	}
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatalf("part %d: %v\n%s", i+1, err, outs[i].String())
		}
	}
	if n == 1 {
		r, err := metrics.ReadResult(parts[0])
		if err != nil {
			t.Fatal(err)
		}
		return r, tg.Stats()
	}
	merged := filepath.Join(dir, "merged.json")
	var out bytes.Buffer
	if code := dispatch(context.Background(), &env{stdout: &out, stderr: &out}, append(append([]string{"merge"}, parts...), "-o", merged)); code != exitOK {
		t.Fatalf("merge: exit %d\n%s", code, out.String())
	}
	r, err := metrics.ReadResult(merged)
	if err != nil {
		t.Fatal(err)
	}
	return r, tg.Stats()
}

// TestSegmentsAddUpToTheWholeRun runs one profile as one process and as
// three segments against one target each: the merged counts are the
// single run's exactly, and no user logs in twice.
func TestSegmentsAddUpToTheWholeRun(t *testing.T) {
	dir := t.TempDir()
	single, singleStats := runSegments(t, 1, dir)
	merged, mergedStats := runSegments(t, 3, t.TempDir())
	if merged.Segment != "1/1" || strings.Join(merged.MergedSegments, ",") != "1/3,2/3,3/3" {
		t.Fatalf("merged segment %q %v", merged.Segment, merged.MergedSegments)
	}
	for _, c := range []struct {
		name      string
		one, many int64
	}{
		{"iterations", single.Totals.Iterations, merged.Totals.Iterations},
		{"requests", single.Totals.Requests, merged.Totals.Requests},
		{"logins", single.Sessions.Logins, merged.Sessions.Logins},
		{"logouts", single.Sessions.Logouts, merged.Sessions.Logouts},
		{"login-submit requests", request(t, single, "login-submit").Count, request(t, merged, "login-submit").Count},
		{"latency histogram count", single.Latency.Count, merged.Latency.Count},
	} {
		if c.one != c.many {
			t.Errorf("%s: one process %d, three segments %d", c.name, c.one, c.many)
		}
	}
	if merged.Totals.Iterations != 270 || merged.Sessions.Logins != 9 || merged.Totals.Failures != 0 {
		t.Fatalf("merged: %d iterations, %d logins, %d failures; the plan is 270 and 9", merged.Totals.Iterations, merged.Sessions.Logins, merged.Totals.Failures)
	}
	// Disjoint and complete: 9 logins on the target, by 9 distinct users.
	for name, st := range map[string]target.Stats{"one process": singleStats, "three segments": mergedStats} {
		if st.LoginsOK != 9 || st.Users != 9 {
			t.Errorf("%s: %d logins by %d distinct users, want 9 by 9", name, st.LoginsOK, st.Users)
		}
	}
	// The two runs measure the same loopback target; on this shared 2-core
	// machine their percentiles agree within a factor (noise, not bias).
	for _, q := range []struct {
		name      string
		one, many float64
		factor    float64
	}{
		{"p50", single.Latency.P50, merged.Latency.P50, 3},
		{"p99", single.Latency.P99, merged.Latency.P99, 5},
	} {
		if q.many > q.one*q.factor || q.one > q.many*q.factor {
			t.Errorf("%s: one process %.3f ms, merged %.3f ms: more than %gx apart", q.name, q.one, q.many, q.factor)
		}
	}
}
