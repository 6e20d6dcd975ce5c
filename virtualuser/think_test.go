package virtualuser

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/cohort-dev/cohort/profiles"
)

func TestThink(t *testing.T) {
	ms := func(n int) profiles.Duration { return profiles.Duration(time.Duration(n) * time.Millisecond) }
	cases := []struct {
		name     string
		think    profiles.Think
		lo, hi   time.Duration // every draw within
		meanNear time.Duration // the mean of many draws, within 10%
	}{
		{"none", profiles.Think{Type: "none"}, 0, 0, 0},
		{"constant", profiles.Think{Type: "constant", Duration: ms(250)}, 250 * time.Millisecond, 250 * time.Millisecond, 250 * time.Millisecond},
		{"uniform", profiles.Think{Type: "uniform", Min: ms(100), Max: ms(300)}, 100 * time.Millisecond, 300 * time.Millisecond, 200 * time.Millisecond},
		{"exponential capped at max", profiles.Think{Type: "exponential", Mean: ms(100), Max: ms(150)}, 0, 150 * time.Millisecond, 0},
		{"exponential", profiles.Think{Type: "exponential", Mean: ms(100)}, 0, time.Second, 100 * time.Millisecond},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			th := newThink(c.think)
			r := rand.New(rand.NewPCG(1, 2))
			var sum time.Duration
			const n = 20000
			for range n {
				d := th.next(r)
				if d < c.lo || d > c.hi {
					t.Fatalf("draw %v outside [%v, %v]", d, c.lo, c.hi)
				}
				sum += d
			}
			if mean := sum / n; c.meanNear > 0 && (mean < c.meanNear*9/10 || mean > c.meanNear*11/10) {
				t.Fatalf("mean %v, want about %v", mean, c.meanNear)
			}
		})
	}
}
