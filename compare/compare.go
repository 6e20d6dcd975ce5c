// Package compare lines up the figures of two sets of runs (A and B, one
// run or several each) and marks the changes that are beyond the noise
// between runs, as benchstat does for benchmarks.
//
// A figure is judged with Welch's t-test on replicate values: with
// several runs per side, the value of each run (the spread between runs,
// the noise an A/A comparison meets); with one run per side, the value of
// each interval of the run's timeline (the spread between its seconds). A
// figure the timeline does not hold (the phases, connections opened) can
// only be judged with several runs per side; with one, it is shown and
// not judged. A change is marked when p < Alpha and the values differ by
// more than the histograms resolve.
package compare

import (
	"errors"
	"math"
	"slices"
	"strings"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/cohort-dev/cohort/metrics/results"
)

// Alpha is the significance level of each figure's test. It is below the
// usual 0.05 because a comparison tests a hundred figures or more: at
// 0.01, an A/A comparison marks about one in a hundred.
const Alpha = 0.01

// resolution is the relative precision of the figures: a change below it
// is the histograms' rounding (2 significant digits in a timeline).
const resolution = 0.01

// floorMS is the least change of a latency that can be told: a few of the
// histograms' 1 µs floor (0.001 against 0.002 ms is the floor, not a
// doubling).
const floorMS = 0.005

// minOneSided is how many values a figure must hold on its side to be
// shown, by default, as present on one side only: a phase a handful of
// requests had in one run (a connection that happened to be reused) is
// pool timing, not a difference.
const minOneSided = 10

// minReplicates is how many replicate values each side needs for a test.
const (
	minRuns      = 2
	minIntervals = 3
)

// Row is one figure of A and B, side by side.
type Row struct {
	Request string `json:"request"` // "group/name", or "" for the run as a whole
	Metric  string `json:"metric"`
	// A and B are the figure (the median of the runs, with several); nil
	// on a side without it, and Only then names the side that has it.
	A    *float64 `json:"a"`
	B    *float64 `json:"b"`
	Only string   `json:"only_in,omitempty"`
	// N is how many values the one side's figure holds (rows present on
	// one side only).
	N int64 `json:"n,omitempty"`
	// Change is (B-A)/A in percent; nil when A is 0.
	Change *float64 `json:"change_pct,omitempty"`
	// P is the p-value of the test; nil when the figure was not judged
	// (too few replicates).
	P       *float64 `json:"p,omitempty"`
	Changed bool     `json:"changed"`
}

// Judged says the row was tested.
func (r Row) Judged() bool { return r.P != nil }

// Compare lines up the figures of runs a and b.
func Compare(a, b []*results.Result) ([]Row, error) {
	if len(a) == 0 || len(b) == 0 {
		return nil, errors.New("give at least one run on each side")
	}
	if (len(a) == 1) != (len(b) == 1) {
		return nil, errors.New("give one run on each side, or two or more on each side: the runs of a side are its replicates")
	}
	sa, err := newSide(a)
	if err != nil {
		return nil, err
	}
	sb, err := newSide(b)
	if err != nil {
		return nil, err
	}
	return compareSides(sa, sb), nil
}

// compareSides judges every figure of two sides.
func compareSides(sa, sb *side) []Row {
	var rows []Row
	for _, f := range figuresOf(sa.runs, sb.runs) {
		va, okA := sa.values(f)
		vb, okB := sb.values(f)
		if !okA && !okB {
			continue
		}
		rows = append(rows, judge(f, va, vb, okA, okB))
	}
	return rows
}

// values are one side's figure and its replicates.
type values struct {
	value float64
	reps  []float64
	min   int   // replicates needed for a test
	count int64 // values behind the figure (a latency's; 0: not a count)
}

func judge(f figure, a, b values, okA, okB bool) Row {
	r := Row{Request: f.request, Metric: f.metric}
	switch {
	case !okA:
		r.B, r.Only, r.N = &b.value, "B", b.count
		return r
	case !okB:
		r.A, r.Only, r.N = &a.value, "A", a.count
		return r
	}
	r.A, r.B = &a.value, &b.value
	if a.value != 0 {
		c := 100 * (b.value - a.value) / a.value
		r.Change = &c
	}
	if len(a.reps) < a.min || len(b.reps) < b.min {
		return r
	}
	p := welch(a.reps, b.reps)
	r.P = &p
	diff := math.Abs(b.value - a.value)
	resolvable := diff > resolution*max(math.Abs(a.value), math.Abs(b.value))
	if strings.HasSuffix(f.metric, " ms") {
		resolvable = resolvable && diff > floorMS
	}
	r.Changed = p < Alpha && resolvable
	return r
}

// side is the runs of one side, their timelines decoded once.
type side struct {
	runs   []*results.Result
	points [][]point // by run: its timeline's whole intervals
}

// point is one whole interval of a run's timeline, its histograms decoded.
type point struct {
	p        results.Point
	secs     float64
	latency  *hdr.Histogram
	login    *hdr.Histogram
	reused   *hdr.Histogram
	fresh    *hdr.Histogram
	requests map[string]*hdr.Histogram
}

func newSide(runs []*results.Result) (*side, error) {
	s := &side{runs: runs}
	if len(runs) > 1 {
		return s, nil // judged on the runs, not their intervals
	}
	pts, err := pointsOf(runs[0])
	s.points = [][]point{pts}
	return s, err
}

// pointsOf decodes a run's timeline, leaving out intervals shorter than
// half the others (the run's last, partial one): their rates would mean
// nothing.
func pointsOf(r *results.Result) ([]point, error) {
	if r.Timeline == nil {
		return nil, nil
	}
	var out []point
	prev := 0.0
	for _, p := range r.Timeline.Points {
		secs := p.T - prev
		prev = p.T
		if secs < r.Timeline.IntervalS/2 {
			continue
		}
		pt := point{p: p, secs: secs, requests: map[string]*hdr.Histogram{}}
		var err error
		for _, h := range []struct {
			into **hdr.Histogram
			s    string
		}{{&pt.latency, p.Latency}, {&pt.login, p.Login}, {&pt.reused, p.Reused}, {&pt.fresh, p.New}} {
			if *h.into, err = results.DecodeHist(h.s); err != nil {
				return nil, err
			}
		}
		for key, ps := range p.ByName {
			if pt.requests[key], err = results.DecodeHist(ps.Latency); err != nil {
				return nil, err
			}
		}
		out = append(out, pt)
	}
	return out, nil
}

// values computes figure f on the side: with one run, its value and the
// value of each interval; with several, the value of each run and their
// median. false when no run has the figure.
func (s *side) values(f figure) (values, bool) {
	if len(s.runs) == 1 {
		v, ok := f.whole(s.runs[0])
		if !ok {
			return values{}, false
		}
		out := values{value: v, min: minIntervals}
		if f.count != nil {
			out.count = f.count(s.runs[0])
		}
		if f.interval != nil {
			for _, pt := range s.points[0] {
				if x, ok := f.interval(&pt); ok {
					out.reps = append(out.reps, x)
				}
			}
		}
		return out, true
	}
	out := values{min: minRuns}
	for _, r := range s.runs {
		if v, ok := f.whole(r); ok {
			out.reps = append(out.reps, v)
		}
	}
	if len(out.reps) == 0 {
		return values{}, false
	}
	out.value = median(out.reps)
	if f.count != nil {
		for _, r := range s.runs {
			out.count += f.count(r)
		}
	}
	return out, true
}

// Changed returns the rows marked changed, and the rows present on one
// side only that hold enough values to mean something: what a reader looks
// for first.
func Changed(rows []Row) []Row {
	return slices.DeleteFunc(slices.Clone(rows), func(r Row) bool {
		oneSided := r.Only != "" && (r.N == 0 || r.N >= minOneSided)
		return !r.Changed && !oneSided
	})
}
