package results

import (
	"bufio"
	"cmp"
	"encoding/csv"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

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

// RawSampleColumns are the columns of a --samples file with
// --samples-raw, in order: one row per request.
var RawSampleColumns = []string{"time", "elapsed_s", "scenario", "group", "name", "method", "status", "failed", "reason",
	"reused", "proto", "instance", "duration_ms", "blocked_ms", "connect_ms", "tls_ms", "sending_ms", "ttfb_ms", "receiving_ms"}

// sampleText are the columns JSON lines write as strings (the others are
// numbers, or true and false), and sampleOptional those left out when
// empty.
var (
	sampleText     = map[string]bool{"time": true, "scenario": true, "group": true, "name": true, "method": true, "reason": true, "proto": true, "instance": true}
	sampleOptional = map[string]bool{"scenario": true, "reason": true, "proto": true, "instance": true}
)

// SamplesWriter writes a run's intervals as rows, as the run goes: a
// sink of its snapshots that keeps nothing of a past interval.
type SamplesWriter struct {
	w       *bufio.Writer
	csv     *csv.Writer // nil: JSON lines
	series  []metrics.SeriesInfo
	columns []string
	raw     bool
	last    time.Duration
	row     []string
	line    []byte
	err     error
}

// NewSamplesWriter starts a samples file of format ("csv" or "jsonl"),
// a row per interval and request name; a CSV file begins with its header.
func NewSamplesWriter(w io.Writer, format string, series []metrics.SeriesInfo) (*SamplesWriter, error) {
	return newSamplesWriter(w, format, series, SampleColumns)
}

// NewRawSamplesWriter starts a samples file of format with a row per
// request (--samples-raw): the snapshots it is given must carry their
// interval's requests (metrics.Aggregate.KeepRaw).
func NewRawSamplesWriter(w io.Writer, format string, series []metrics.SeriesInfo) (*SamplesWriter, error) {
	s, err := newSamplesWriter(w, format, series, RawSampleColumns)
	if s != nil {
		s.raw = true
	}
	return s, err
}

func newSamplesWriter(w io.Writer, format string, series []metrics.SeriesInfo, columns []string) (*SamplesWriter, error) {
	s := &SamplesWriter{w: bufio.NewWriter(w), series: series, columns: columns, row: make([]string, len(columns))}
	if format == "csv" {
		s.csv = csv.NewWriter(s.w)
		if err := s.csv.Write(columns); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Add writes a row for each request measured in the interval the
// snapshot ends (with --samples-raw, for each request). The first error
// sticks and is Flush's.
func (s *SamplesWriter) Add(snap metrics.Snapshot) {
	if s.err != nil || snap.Interval == nil || snap.Elapsed < s.last {
		return
	}
	if s.raw {
		s.addRaw(snap)
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

// addRaw writes the interval's requests, in the order they were due. A
// request is in the interval its VU handed it over in, which can be an
// interval after the one it ended in (a VU hands its samples over by
// eights, and when it pauses): sort the file by time for the exact order.
func (s *SamplesWriter) addRaw(snap metrics.Snapshot) {
	s.last = snap.Elapsed
	raw := snap.Interval.Raw
	slices.SortFunc(raw, func(a, b metrics.RawRequest) int {
		return cmp.Compare(a.End-int64(a.Duration), b.End-int64(b.Duration))
	})
	var instances []string
	for i := range raw {
		rq := &raw[i]
		if int(rq.Series) >= len(s.series) {
			continue
		}
		if rq.Instance != 0 && instances == nil {
			instances = snap.Legend.InstanceNames()
		}
		info := s.series[rq.Series]
		due := time.Unix(0, rq.End-int64(rq.Duration)).UTC()
		s.row = append(s.row[:0], due.Format("2006-01-02T15:04:05.000000Z07:00"), secs(due.Sub(snap.Started)),
			info.Scenario, info.Group, info.Name, info.Method, strconv.Itoa(int(rq.Status)),
			strconv.FormatBool(rq.Flags&metrics.Failed != 0), rq.Reason.String(), strconv.FormatBool(rq.Flags&metrics.Reused != 0),
			proto(&rq.Sample), instanceName(instances, rq.Instance),
			msOf(rq.Duration), msOf(rq.Blocked), msOf(rq.Connect), msOf(rq.TLS), msOf(rq.Sending), msOf(rq.TTFB), msOf(rq.Receiving))
		s.writeRow()
		if s.err != nil {
			return
		}
	}
}

// proto is the protocol that answered: none without a response.
func proto(rq *metrics.Sample) string {
	switch {
	case rq.Flags&metrics.HTTP2 != 0:
		return "h2"
	case rq.Status != 0:
		return "http/1.1"
	}
	return ""
}

func instanceName(names []string, idx uint8) string {
	if idx == 0 || int(idx) > len(names) {
		return ""
	}
	return names[idx-1]
}

// msOf writes a duration in milliseconds to the microsecond.
func msOf(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e6, 'f', 3, 64) }

// writeRow writes s.row: a CSV record, or a JSON object written by hand
// (json.Marshal of a map costs several times more, and a raw row is
// written for every request of the run).
func (s *SamplesWriter) writeRow() {
	if s.csv != nil {
		s.err = s.csv.Write(s.row)
		return
	}
	b := append(s.line[:0], '{')
	for j, c := range s.columns {
		v := s.row[j]
		if sampleOptional[c] && v == "" {
			continue
		}
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = appendJSONString(b, c)
		b = append(b, ':')
		switch {
		case sampleText[c]:
			b = appendJSONString(b, v)
		default: // numbers, and true or false: written as they are
			b = append(b, v...)
		}
	}
	b = append(b, '}', '\n')
	s.line = b
	_, s.err = s.w.Write(b)
}

// appendJSONString appends v as a JSON string: quotes, backslashes and
// control characters escaped, invalid UTF-8 replaced.
func appendJSONString(b []byte, v string) []byte {
	b = append(b, '"')
	for _, r := range v {
		switch {
		case r == '"' || r == '\\':
			b = append(b, '\\', byte(r))
		case r < 0x20:
			b = fmt.Appendf(b, `\u%04x`, r)
		default:
			b = utf8.AppendRune(b, r) // an invalid byte came as utf8.RuneError
		}
	}
	return append(b, '"')
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
