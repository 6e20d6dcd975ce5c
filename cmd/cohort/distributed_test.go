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
	"github.com/cohort-dev/cohort/metrics/results"
)

// runSegments runs spring-form against a fresh target as n processes
// (segments 1/n..n/n, merged) and returns the result and the target's view.
// Its journeys are weighed 0: an iteration is then one request whatever
// the mix picks, so the request counts of the two runs can be compared.
func runSegments(t *testing.T, n int, dir string) (*results.Result, target.Stats) {
	t.Helper()
	profile := writeProfile(t, "spring-form", func(s string) string {
		s = strings.Replace(s, "- name: browse\n    weight: 3", "- name: browse\n    weight: 0", 1)
		return strings.Replace(s, "- name: buy\n    weight: 1", "- name: buy\n    weight: 0", 1)
	})
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
		args := []string{"run", profile, "--base-url", base, "--vus", "9", "--iterations", "270",
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
		r, err := results.ReadResult(parts[0])
		if err != nil {
			t.Fatal(err)
		}
		return r, tg.Stats()
	}
	return mergeResults(t, parts...), tg.Stats()
}

// TestSegmentsAddUpToTheWholeRun runs one profile as one process and as
// three segments against one target each: the merged counts are the
// single run's exactly, and no user logs in twice.
func TestSegmentsAddUpToTheWholeRun(t *testing.T) {
	dir := t.TempDir()
	single, singleStats := runSegments(t, 1, dir)
	dir3 := t.TempDir()
	merged, mergedStats := runSegments(t, 3, dir3)
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
	// The merge is exact: its latency histogram holds every part's values
	// (count, min and max are the parts' own), whatever each part
	// measured on a busy machine.
	var count int64
	lo, hi := merged.Latency.Min, 0.0
	for i := range 3 {
		part, err := results.ReadResult(filepath.Join(dir3, fmt.Sprintf("part%d.json", i+1)))
		if err != nil {
			t.Fatal(err)
		}
		count += part.Latency.Count
		lo, hi = min(lo, part.Latency.Min), max(hi, part.Latency.Max)
	}
	if count != merged.Latency.Count || lo != merged.Latency.Min || hi != merged.Latency.Max {
		t.Errorf("merged latency: %d values from %.3f to %.3f ms; the parts: %d from %.3f to %.3f ms",
			merged.Latency.Count, merged.Latency.Min, merged.Latency.Max, count, lo, hi)
	}
}
