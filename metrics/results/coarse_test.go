package results

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/cohort-dev/cohort/metrics"
)

// A fine histogram merged into a coarse one is that histogram coarsened
// bucket by bucket (each bucket's lowest value at its count): the
// timeline's points are what they were when they were made by copying
// the distribution.
func TestMergeCoarsens(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 20 {
		fine := metrics.NewHistogram()
		for range 1 + rng.IntN(5000) {
			metrics.RecordDuration(fine, time.Duration(1+rng.Int64N(int64(1)<<uint(1+rng.IntN(32))))*time.Microsecond)
		}
		want := metrics.NewCoarseHistogram()
		for _, b := range fine.Distribution() {
			if b.Count > 0 {
				want.RecordValues(b.From, b.Count)
			}
		}
		got := metrics.NewCoarseHistogram()
		got.Merge(fine)
		if a, b := encodeHist(got), encodeHist(want); a != b {
			t.Fatalf("round %d: merged %v, coarsened %v", round, got.Export().Counts, want.Export().Counts)
		}
	}
}
