package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cohort-dev/cohort/bench/target"
	"github.com/cohort-dev/cohort/metrics"
)

// runAgainstTarget runs spring-form against a fresh target, with args.
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
	start := time.Now().Add(time.Second).UTC().Format(time.RFC3339)
	var wg sync.WaitGroup
	parts := make([]string, n)
	codes := make([]int, n)
	outs := make([]bytes.Buffer, n)
	for i := range n {
		parts[i] = filepath.Join(dir, "part"+string(rune('1'+i))+".json")
		wg.Add(1)
		go func() {
			defer wg.Done()
			args := []string{"run", "spring-form", "--base-url", base, "--vus", "9", "--iterations", "270",
				"--out", parts[i], "--no-progress", "--tag", "testid=dist"}
			if n > 1 {
				args = append(args, "--segment", strings.Join([]string{string(rune('1' + i)), string(rune('0' + n))}, "/"), "--start-at", start)
			}
			codes[i] = dispatch(context.Background(), &env{stdout: &outs[i], stderr: &outs[i]}, args)
		}()
	}
	wg.Wait()
	for i, c := range codes {
		if c != exitOK {
			t.Fatalf("part %d: exit %d\n%s", i+1, c, outs[i].String())
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
