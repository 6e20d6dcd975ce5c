package metrics

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// exactPercentile is the reference definition computed from the raw
// values in exact arithmetic: the value at rank ceil(q/100·n), 1-based,
// for q given in tenths of a percent.
func exactPercentile(sorted []int64, tenths int) int64 {
	n := len(sorted)
	rank := (tenths*n + 999) / 1000
	return sorted[min(max(rank, 1), n)-1]
}

// highestEquivalent is the highest value of v's bucket: what HdrHistogram
// reports for a percentile that falls on v.
func highestEquivalent(v int64) int64 {
	h := NewHistogram()
	h.RecordValue(v)
	return h.Max()
}

// TestPercentileIsTheReferenceDefinition checks every percentile cohort
// reports against the one computed from the raw samples, on the sample
// sizes where rank rounding shows: a few values, and 100, 101 and 1,000
// with outliers in the tail.
func TestPercentileIsTheReferenceDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	samples := func(n, outliers int) []int64 {
		v := make([]int64, 0, n)
		for range n - outliers {
			v = append(v, 2000+rng.Int64N(3000)) // 2 to 5 ms, in µs
		}
		for i := range outliers {
			v = append(v, int64(200_000+100_000*i)) // 200 ms, 300 ms, ...
		}
		return v
	}
	cases := []struct {
		n, outliers int
	}{{1, 0}, {2, 1}, {3, 1}, {100, 2}, {101, 3}, {1000, 12}, {1000, 0}}
	for _, c := range cases {
		t.Run(fmt.Sprintf("n=%d", c.n), func(t *testing.T) {
			raw := samples(c.n, c.outliers)
			h := NewHistogram()
			for _, v := range raw {
				h.RecordValue(v)
			}
			slices.Sort(raw)
			for _, tenths := range []int{10, 250, 500, 900, 950, 990, 999, 1000} {
				q := float64(tenths) / 10
				want := highestEquivalent(exactPercentile(raw, tenths))
				if got := Percentile(h, q); got != want {
					t.Errorf("p%g of %d values: %d µs, want %d µs (rank %d)", q, c.n, got, want, (tenths*c.n+999)/1000)
				}
			}
		})
	}
}

// TestPercentileWhereRoundingDiffers pins a case where rank round(q·n),
// which hdrhistogram-go's ValueAtQuantile takes, names another value than
// the reference's ceil(q·n): the p99 of 160 values with two outliers.
func TestPercentileWhereRoundingDiffers(t *testing.T) {
	h := NewHistogram()
	for range 158 {
		RecordDuration(h, 3*time.Millisecond)
	}
	RecordDuration(h, 400*time.Millisecond) // rank 159
	RecordDuration(h, 500*time.Millisecond) // rank 160
	// 0.99·160 = 158.4: the reference takes rank 159 (400 ms), rounding
	// takes rank 158 (3 ms), well below the stall it should show.
	if got, want := Percentile(h, 99), highestEquivalent(400_000); got != want {
		t.Fatalf("p99 %d µs, want the 400 ms outlier (%d µs)", got, want)
	}
	if Percentile(nil, 99) != 0 || Percentile(NewHistogram(), 99) != 0 {
		t.Fatal("an empty histogram has a percentile")
	}
}
