package metrics

import (
	"math"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Percentile returns the q-th percentile (0 < q <= 100) of h by
// HdrHistogram's reference definition: the value at rank ceil(q/100·n)
// of the n recorded values (at least the first), reported as the highest
// value equivalent to its bucket. 0 for an empty histogram.
//
// hdrhistogram-go's ValueAtQuantile takes rank round(q/100·n) instead: on
// a sparse tail (a p99 of 150 values) it reports the value below the one
// the reference names, far beyond the histogram's precision. Every
// percentile cohort shows or judges goes through this function.
func Percentile(h *hdr.Histogram, q float64) int64 {
	if h == nil {
		return 0
	}
	n := h.TotalCount()
	if n == 0 {
		return 0
	}
	rank := percentileRank(q, n)
	// ValueAtPercentile(p) finds the rank int(p/100·n + 0.5); asking for
	// rank-0.25 lands on rank exactly, with a margin far wider than the
	// float error of p/100·n for any count a run reaches.
	return h.ValueAtPercentile(100 * (float64(rank) - 0.25) / float64(n))
}

// percentileRank is the reference's rank of percentile q among n values:
// ceil(q/100·n), q first lowered by one ulp so that a q/100·n that is a
// whole number in exact arithmetic but lands a hair above it in floating
// point does not round up to the next rank; at least 1, at most n.
func percentileRank(q float64, n int64) int64 {
	q = min(max(math.Nextafter(q, math.Inf(-1)), 0), 100)
	rank := int64(math.Ceil(q / 100 * float64(n)))
	return min(max(rank, 1), n)
}
