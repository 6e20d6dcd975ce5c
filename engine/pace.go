package engine

import (
	"context"
	"errors"
	"time"

	"golang.org/x/time/rate"

	"github.com/cohort-dev/cohort/clock"
)

// pacer is a rate cap on the run's clock: x/time/rate's token bucket, told
// the time at every call instead of reading the system's, so that a run on
// a fake clock is paced by fake time.
type pacer struct {
	l     *rate.Limiter
	clock clock.Clock
}

// newPacer returns a cap of perSecond, or nil when perSecond is not
// positive (no cap).
func newPacer(perSecond float64, c clock.Clock) *pacer {
	if perSecond <= 0 {
		return nil
	}
	return &pacer{l: rate.NewLimiter(rate.Limit(perSecond), 1), clock: c}
}

var errNoTurn = errors.New("engine: the rate cap can never grant a turn")

// wait takes a turn, waiting for it on the clock; it fails if ctx ends
// first, giving the turn back.
func (p *pacer) wait(ctx context.Context) error {
	now := p.clock.Now()
	res := p.l.ReserveN(now, 1)
	if !res.OK() {
		return errNoTurn
	}
	if clock.Sleep(ctx, p.clock, res.DelayFrom(now)) {
		return nil
	}
	res.CancelAt(p.clock.Now())
	return ctx.Err()
}

// reserve takes the next turn and says how long until it comes.
func (p *pacer) reserve() time.Duration {
	now := p.clock.Now()
	return p.l.ReserveN(now, 1).DelayFrom(now)
}

// setRate changes the cap from now on.
func (p *pacer) setRate(perSecond float64) {
	p.l.SetLimitAt(p.clock.Now(), rate.Limit(perSecond))
}

// waitFunc is p.wait as a hook, nil without a cap.
func (p *pacer) waitFunc() func(context.Context) error {
	if p == nil {
		return nil
	}
	return p.wait
}
