package results

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/cohort-dev/cohort/metrics"
)

// SampleColumns are the columns of a --samples file, in order: one row
// per interval and request that was measured in it.
var SampleColumns = []string{"time_s", "interval_s", "scenario", "group", "name", "count", "failures",
	"p50_ms", "p95_ms", "p99_ms", "max_ms", "reused", "new"}

// SamplesFormat is the format a --samples path asks for by its
// extension: "csv", or "jsonl" (.jsonl, .ndjson, .json: JSON lines).
func SamplesFormat(path string) (string, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		return "csv", nil
	case ".jsonl", ".ndjson", ".json":
		return "jsonl", nil
	}
	return "", fmt.Errorf("%s: want a .csv file, or .jsonl (JSON lines)", path)
}

// SamplesWriter writes a run's intervals as rows, as the run goes: a
// sink of its snapshots that keeps nothing of a past interval.
type SamplesWriter struct {
	w      *bufio.Writer
	csv    *csv.Writer // nil: JSON lines
	series []metrics.SeriesInfo
	last   time.Duration
	row    []string
	err    error
}

// NewSamplesWriter starts a samples file of format ("csv" or "jsonl");
// a CSV file begins with its header.
func NewSamplesWriter(w io.Writer, format string, series []metrics.SeriesInfo) (*SamplesWriter, error) {
	s := &SamplesWriter{w: bufio.NewWriter(w), series: series, row: make([]string, len(SampleColumns))}
	if format == "csv" {
		s.csv = csv.NewWriter(s.w)
		if err := s.csv.Write(SampleColumns); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Add writes a row for each request measured in the interval the
// snapshot ends. The first error sticks and is Flush's.
func (s *SamplesWriter) Add(snap metrics.Snapshot) {
	if s.err != nil || snap.Interval == nil || snap.Elapsed < s.last {
		return
	}
	length := snap.Elapsed - s.last
	s.last = snap.Elapsed
	for i := range snap.Interval.Series {
		a := &snap.Interval.Series[i]
		if a.Count == 0 || i >= len(s.series) {
			continue
		}
		info := s.series[i]
		l := LatencyOf(a.Hists[metrics.HistLatency]) // as the result file reads it
		s.row = append(s.row[:0], secs(snap.Elapsed), secs(length), info.Scenario, info.Group, info.Name,
			strconv.FormatInt(a.Count, 10), strconv.FormatInt(a.Failures, 10),
			msText(l.P50), msText(l.P95), msText(l.P99), msText(l.Max),
			strconv.FormatInt(countOf(a.Hists[metrics.HistReused]), 10), strconv.FormatInt(countOf(a.Hists[metrics.HistNew]), 10))
		s.writeRow()
	}
}

func (s *SamplesWriter) writeRow() {
	if s.csv != nil {
		s.err = s.csv.Write(s.row)
		return
	}
	obj := make(map[string]any, len(SampleColumns))
	for j, c := range SampleColumns {
		switch c {
		case "scenario", "group", "name":
			if s.row[j] != "" || c != "scenario" {
				obj[c] = s.row[j]
			}
		default:
			obj[c] = json.Number(s.row[j])
		}
	}
	b, err := json.Marshal(obj)
	if err == nil {
		b = append(b, '\n')
		_, err = s.w.Write(b)
	}
	s.err = err
}

// Flush writes out what is buffered and reports the first error.
func (s *SamplesWriter) Flush() error {
	if s.csv != nil {
		s.csv.Flush()
		if err := s.csv.Error(); err != nil && s.err == nil {
			s.err = err
		}
	}
	if err := s.w.Flush(); err != nil && s.err == nil {
		s.err = err
	}
	return s.err
}

func secs(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 3, 64) }

func msText(ms float64) string { return strconv.FormatFloat(ms, 'f', -1, 64) }

func countOf(h *hdr.Histogram) int64 {
	if h == nil {
		return 0
	}
	return h.TotalCount()
}
