package engine

import (
	"context"
	"testing"
	"time"

	"github.com/cohort-dev/cohort/bench/target"
	"github.com/cohort-dev/cohort/clock"
	"github.com/cohort-dev/cohort/clock/clocktest"
	"github.com/cohort-dev/cohort/profiles"
	"github.com/cohort-dev/cohort/simnet"
)

// sim is a run's world on a fake clock: the built-in target served
// in-process over a simulated network, its latencies and stalls on the
// same clock as the VUs' measurements. A test on it must run inside
// synctest.Test; what it asserts is exact, whatever the machine's speed.
type sim struct {
	clock  *clock.Fake
	net    *simnet.Network
	target *target.Target
}

// simBase is the base URL of a simulated target; no packet is sent.
const simBase = "http://127.0.0.1:8080"

func newSim(t *testing.T, tc target.Config) *sim {
	t.Helper()
	fc := clock.NewFake(clocktest.Epoch)
	tc.Now = fc.Now
	tc.Sleep = func(ctx context.Context, d time.Duration) { clock.Sleep(ctx, fc, d) }
	tg, err := target.New(tc)
	if err != nil {
		t.Fatal(err)
	}
	return &sim{clock: fc, net: &simnet.Network{Handler: tg, Clock: fc}, target: tg}
}

// rig is the engine tests' rig over the simulated network and clock.
func (s *sim) rig(t *testing.T, name, mode string, extra int, edit func(*profiles.Profile)) Config {
	t.Helper()
	cfg := rigOn(t, s.net, simBase, name, mode, extra, edit)
	cfg.Clock = s.clock
	return cfg
}

// run runs cfg, driving the fake clock until the run ends.
func (s *sim) run(t *testing.T, cfg Config) *Outcome {
	t.Helper()
	type result struct {
		out *Outcome
		err error
	}
	r := clocktest.Do(t, s.clock, func() result {
		out, err := Run(context.Background(), cfg)
		return result{out, err}
	})
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.out
}

// elapsed is the fake time since the start of the test.
func (s *sim) elapsed() time.Duration { return s.clock.Now().Sub(clocktest.Epoch) }
