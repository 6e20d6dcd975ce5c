package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// hlogInterval is one interval histogram as HdrHistogram's JavaScript
// implementation reads it (scripts/hlog-reader).
type hlogInterval struct {
	Tag     string `json:"tag"`
	StartMs int64  `json:"start_ms"`
	EndMs   int64  `json:"end_ms"`
	Count   int64  `json:"count"`
	Max     int64  `json:"max"`
}

// readHlog reads an interval log with the independent reader.
func readHlog(t *testing.T, path string) []hlogInterval {
	t.Helper()
	node := component(t, "node")
	if _, err := os.Stat("../../scripts/hlog-reader/node_modules/hdr-histogram-js"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("hdr-histogram-js is not installed (scripts/test installs it)")
		}
		t.Skip("hdr-histogram-js is not installed; scripts/test installs it")
	}
	out, err := exec.Command(node, "../../scripts/hlog-reader/read.js", path).Output()
	if err != nil {
		t.Fatalf("the reader refused %s: %v", path, err)
	}
	var all []hlogInterval
	lines := bufio.NewScanner(bytes.NewReader(out))
	for lines.Scan() {
		var iv hlogInterval
		if err := json.Unmarshal(lines.Bytes(), &iv); err != nil {
			t.Fatalf("%q: %v", lines.Text(), err)
		}
		all = append(all, iv)
	}
	return all
}

// TestHlogReadBack: --hlog writes a tagged histogram per request and
// interval that HdrHistogram's JavaScript reader takes; summed over the
// intervals, each tag's count is the result file's, and the intervals
// follow one another from the run's start to its end.
func TestHlogReadBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.hlog")
	code, out, r := runSimulated(t, "spring-form", "--vus", "3", "--duration", "3s", "--hlog", path)
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, out)
	}
	intervals := readHlog(t, path)
	counts := map[string]int64{}
	ends := map[int64]bool{}
	var first, last int64
	for _, iv := range intervals {
		counts[iv.Tag] += iv.Count
		if iv.Tag == "all" {
			if first == 0 {
				first = iv.StartMs
			} else if !ends[iv.StartMs] {
				t.Fatalf("the interval from %d does not start where one ended", iv.StartMs)
			}
			ends[iv.EndMs], last = true, iv.EndMs
		}
	}
	if got, want := last-first, int64(r.DurationS*1000); got < want-1000 || got > want {
		t.Fatalf("the intervals cover %d ms of a %d ms run", got, want)
	}
	if counts["all"] != r.Totals.Requests || r.Totals.Requests == 0 {
		t.Fatalf("all: %d in the log, %d in the result", counts["all"], r.Totals.Requests)
	}
	login, err := r.Histogram("login")
	if err != nil {
		t.Fatal(err)
	}
	if counts["login"] != login.TotalCount() || counts["login"] == 0 {
		t.Fatalf("login: %d in the log, %d in the result", counts["login"], login.TotalCount())
	}
	for _, q := range r.Requests {
		if tag := q.Group + "/" + q.Name; counts[tag] != q.Count {
			t.Errorf("%s: %d in the log, %d in the result", tag, counts[tag], q.Count)
		}
	}
}
