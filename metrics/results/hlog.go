package results

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/cohort-dev/cohort/metrics"
)

// HlogWriter writes a run's interval histograms as an HdrHistogram
// interval log (the HistogramLogWriter format, version 1.3): at every
// interval, one tagged line per series that measured something, plus
// "all" (every request) and "login" (whole login flows). Values are
// microseconds, as in every cohort histogram. It is a sink of the run's
// snapshots; it keeps nothing of them between intervals, so its memory
// does not grow with the run.
type HlogWriter struct {
	w       *bufio.Writer
	log     *hdr.HistogramLogWriter
	tags    []string // per series, the tag of its latency
	startMs int64
	last    time.Duration // the end of the interval written last
	scratch *hdr.Histogram
	all     *hdr.Histogram // an interval's requests, reused
	err     error
}

// NewHlogWriter writes the log's header for a run that started at start
// and returns the writer of its intervals.
func NewHlogWriter(w io.Writer, series []metrics.SeriesInfo, start time.Time) (*HlogWriter, error) {
	h := &HlogWriter{w: bufio.NewWriter(w), startMs: start.UnixMilli(), scratch: metrics.NewHistogram(), all: metrics.NewHistogram()}
	h.log = hdr.NewHistogramLogWriter(h.w)
	// Timestamps are seconds since the run's start; BaseTime and
	// StartTime make them absolute for the readers that want it.
	h.log.SetBaseTime(h.startMs)
	for _, s := range series {
		h.tags = append(h.tags, HlogTag(s.Key()))
	}
	for _, step := range []func() error{
		h.log.OutputLogFormatVersion,
		func() error { return h.log.OutputComment("[cohort: values in microseconds]") },
		func() error { return h.log.OutputStartTime(h.startMs) },
		func() error { return h.log.OutputBaseTime(h.startMs) },
		h.log.OutputLegend,
	} {
		if err := step(); err != nil {
			return nil, err
		}
	}
	return h, nil
}

// HlogTag is a series key made a log tag: the format splits its fields
// on commas and white space, so those become '_'.
func HlogTag(key string) string {
	return strings.Map(func(r rune) rune {
		if r == ',' || r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return '_'
		}
		return r
	}, key)
}

// Add writes the interval a snapshot ends. The first error sticks and is
// Flush's.
func (h *HlogWriter) Add(s metrics.Snapshot) {
	if h.err != nil || s.Interval == nil || s.Elapsed < h.last {
		return
	}
	if s.Elapsed == h.last {
		// The final drain can come at the instant of the last tick
		// (on a fake clock, say) with what ended since: logged as an
		// interval of no length rather than lost.
		if n, _ := s.Interval.Requests(); n == 0 && (s.Interval.Login == nil || s.Interval.Login.TotalCount() == 0) {
			return
		}
	}
	from, to := h.startMs+h.last.Milliseconds(), h.startMs+s.Elapsed.Milliseconds()
	h.last = s.Elapsed
	all := h.all
	all.Reset()
	for i := range s.Interval.Series {
		lat := s.Interval.Series[i].Hists[metrics.HistLatency]
		if lat == nil || lat.TotalCount() == 0 || i >= len(h.tags) {
			continue
		}
		all.Merge(lat)
		h.write(h.tags[i], lat, from, to)
	}
	h.write("all", all, from, to)
	if l := s.Interval.Login; l != nil && l.TotalCount() > 0 {
		h.write("login", l, from, to)
	}
}

// write logs one histogram under tag, through a copy: the snapshot's
// histograms are not the writer's to stamp.
func (h *HlogWriter) write(tag string, src *hdr.Histogram, fromMs, toMs int64) {
	if h.err != nil {
		return
	}
	h.scratch.Reset()
	h.scratch.Merge(src)
	h.scratch.SetTag(tag)
	h.scratch.SetStartTimeMs(fromMs)
	h.scratch.SetEndTimeMs(toMs)
	if err := h.log.OutputIntervalHistogram(h.scratch); err != nil {
		h.err = fmt.Errorf("interval log: %v", err)
	}
}

// Flush writes out what is buffered and reports the first error.
func (h *HlogWriter) Flush() error {
	if err := h.w.Flush(); err != nil && h.err == nil {
		h.err = err
	}
	return h.err
}
