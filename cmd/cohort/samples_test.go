package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestSamplesFiles: --samples writes a row per interval and request, as
// CSV or JSON lines by the file's extension; summed over the intervals,
// each request's count and failures are the result file's, and every
// request went on a reused or a new connection.
func TestSamplesFiles(t *testing.T) {
	for _, ext := range []string{".csv", ".jsonl"} {
		t.Run(ext, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "samples"+ext)
			code, out, r := runSimulated(t, "spring-form", "--vus", "3", "--duration", "3s", "--samples", path)
			if code != exitOK {
				t.Fatalf("exit %d\n%s", code, out)
			}
			rows := readSamples(t, path, ext)
			counts, failures := map[string]int64{}, map[string]int64{}
			intervals := map[string]bool{}
			for _, row := range rows {
				key := row["group"] + "/" + row["name"]
				n, reused, fresh := num(t, row["count"]), num(t, row["reused"]), num(t, row["new"])
				if reused+fresh != n {
					t.Fatalf("%s at %s: %d reused + %d new, of %d", key, row["time_s"], reused, fresh, n)
				}
				counts[key] += n
				failures[key] += num(t, row["failures"])
				intervals[row["time_s"]] = true
			}
			if len(intervals) < 3 {
				t.Fatalf("%d intervals in a 3 s run", len(intervals))
			}
			for _, q := range r.Requests {
				key := q.Group + "/" + q.Name
				if counts[key] != q.Count || failures[key] != q.Failures {
					t.Errorf("%s: %d requests, %d failed in the samples; %d and %d in the result", key, counts[key], failures[key], q.Count, q.Failures)
				}
			}
		})
	}
}

func num(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return n
}

// readSamples reads a samples file into rows of column: value.
func readSamples(t *testing.T, path, ext string) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []map[string]string
	if ext == ".csv" {
		recs, err := csv.NewReader(f).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		for _, rec := range recs[1:] {
			row := map[string]string{}
			for i, col := range recs[0] {
				row[col] = rec[i]
			}
			rows = append(rows, row)
		}
		return rows
	}
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(lines.Bytes(), &obj); err != nil {
			t.Fatalf("%q: %v", lines.Text(), err)
		}
		row := map[string]string{}
		for k, v := range obj {
			var s string
			if json.Unmarshal(v, &s) != nil {
				s = string(v)
			}
			row[k] = s
		}
		rows = append(rows, row)
	}
	return rows
}

// TestRawSamples: with --samples-raw the file has a row per request. Per
// request name, the rows' count, failures, statuses, reasons and
// connection reuse are the result file's; every row says when it was due
// on the run's clock, consistently with its elapsed_s; the instance that
// answered is named.
func TestRawSamples(t *testing.T) {
	profile := writeProfile(t, "spring-form", func(s string) string {
		s = strings.Replace(s, "demo_target: []", `demo_target: ["--error-rate", "0.05", "--instance", "node-7"]`, 1)
		return "instance_header: X-Instance\n" + s
	})
	for _, ext := range []string{".csv", ".jsonl"} {
		t.Run(ext, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "raw"+ext)
			code, out, r := runSimulated(t, profile, "--vus", "3", "--duration", "3s", "--samples", path, "--samples-raw")
			if code != exitOK {
				t.Fatalf("exit %d\n%s", code, out)
			}
			type tally struct {
				count, failed, reused int64
				status, reasons       map[string]int64
			}
			got := map[string]*tally{}
			var start time.Time
			for i, row := range readSamples(t, path, ext) {
				key := row["group"] + "/" + row["name"] + " " + row["method"]
				tl := got[key]
				if tl == nil {
					tl = &tally{status: map[string]int64{}, reasons: map[string]int64{}}
					got[key] = tl
				}
				tl.count++
				tl.status[row["status"]]++
				if row["failed"] == "true" {
					tl.failed++
					tl.reasons[row["reason"]]++
				} else if row["reason"] != "" {
					t.Fatalf("row %d: a reason %q on a request that passed", i, row["reason"])
				}
				if row["reused"] == "true" {
					tl.reused++
				}
				if row["instance"] != "node-7" || row["proto"] != "http/1.1" {
					t.Fatalf("row %d: instance %q, proto %q", i, row["instance"], row["proto"])
				}
				due, err := time.Parse(time.RFC3339Nano, row["time"])
				if err != nil {
					t.Fatalf("row %d: time %q: %v", i, row["time"], err)
				}
				elapsed, _ := strconv.ParseFloat(row["elapsed_s"], 64)
				began := due.Add(-time.Duration(elapsed * float64(time.Second)))
				if start.IsZero() {
					start = began
				}
				if d := began.Sub(start); d < -time.Millisecond || d > time.Millisecond || elapsed < 0 || elapsed > 3.5 {
					t.Fatalf("row %d: due %s, %.3f s after the start: the start would be %s, other rows say %s", i, due, elapsed, began, start)
				}
				dur, err1 := strconv.ParseFloat(row["duration_ms"], 64)
				ttfb, err2 := strconv.ParseFloat(row["ttfb_ms"], 64)
				if err1 != nil || err2 != nil || dur < ttfb || ttfb < 0 {
					t.Fatalf("row %d: duration %q, ttfb %q", i, row["duration_ms"], row["ttfb_ms"])
				}
			}
			var failures int64
			for _, q := range r.Requests {
				tl := got[q.Group+"/"+q.Name+" "+q.Method]
				if tl == nil {
					t.Errorf("%s: no rows", q.Name)
					continue
				}
				failures += tl.failed
				reused := q.ByConnection["reused"].Count
				if tl.count != q.Count || tl.failed != q.Failures || tl.reused != reused ||
					!maps.Equal(tl.status, q.Status) || !maps.Equal(tl.reasons, q.Reasons) {
					t.Errorf("%s: rows %d requests, %d failed, %d reused, statuses %v, reasons %v; the result %d, %d, %d, %v, %v",
						q.Name, tl.count, tl.failed, tl.reused, tl.status, tl.reasons, q.Count, q.Failures, reused, q.Status, q.Reasons)
				}
			}
			if failures == 0 || len(got) != len(r.Requests) {
				t.Fatalf("%d failures in the rows (the target fails 5%%), %d request names in the rows, %d in the result", failures, len(got), len(r.Requests))
			}
		})
	}
}

// TestRawSamplesOfScenarios: each scenario's requests are its rows.
func TestRawSamplesOfScenarios(t *testing.T) {
	path := filepath.Join(t.TempDir(), "raw.csv")
	code, out, r := runSimulated(t, writeScenarios(t), "--samples", path, "--samples-raw")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, out)
	}
	rows := map[string]int64{}
	for _, row := range readSamples(t, path, ".csv") {
		rows[row["scenario"]+"/"+row["group"]+"/"+row["name"]]++
	}
	want := map[string]int64{}
	for _, q := range r.Requests {
		if q.Count > 0 {
			want[q.Scenario+"/"+q.Group+"/"+q.Name] = q.Count
		}
	}
	if !maps.Equal(rows, want) || want["storm/mix/profile"] != 10 {
		t.Fatalf("rows by scenario and request %v, the result %v", rows, want)
	}
}
