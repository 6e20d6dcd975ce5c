package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"
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
