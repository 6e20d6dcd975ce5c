package virtualuser

import (
	"math/rand/v2"
	"time"

	"github.com/cohort-dev/cohort/profiles"
)

// think is the pause after an iteration.
type think struct {
	kind           string
	d, lo, hi, avg time.Duration
}

func newThink(t profiles.Think) think {
	return think{kind: t.Type, d: t.Duration.D(), lo: t.Min.D(), hi: t.Max.D(), avg: t.Mean.D()}
}

// next draws the next pause. Exponential pauses are capped at hi when it
// is set, and at 10 means otherwise, so that one draw cannot stall a VU
// for the rest of a run.
func (t think) next(r *rand.Rand) time.Duration {
	switch t.kind {
	case profiles.ThinkConstant:
		return t.d
	case profiles.ThinkUniform:
		if t.hi <= t.lo {
			return t.lo
		}
		return t.lo + time.Duration(r.Int64N(int64(t.hi-t.lo)+1))
	case profiles.ThinkExponential:
		d := time.Duration(r.ExpFloat64() * float64(t.avg))
		limit := t.hi
		if limit == 0 {
			limit = 10 * t.avg
		}
		return min(d, limit)
	}
	return 0
}
