package engine

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/cohort-dev/cohort/bench/target"
	"github.com/cohort-dev/cohort/metrics"
	"github.com/cohort-dev/cohort/profiles"
	"github.com/cohort-dev/cohort/transport"
)

// runWarm runs spring-form with 2 VUs for d beside a warm population, on a
// fake clock; tick, if set, sees every interval.
func runWarm(t *testing.T, tc target.Config, warm int, touchEvery, d time.Duration, tick func(metrics.Snapshot)) (*Outcome, *target.Target) {
	t.Helper()
	tc.Latency = simLatency
	s := newSim(t, tc)
	cfg := s.rig(t, "spring-form", transport.PerUser, 4, func(p *profiles.Profile) {
		p.Load = profiles.Load{Executor: profiles.ConstantVUs, VUs: 2, Duration: profiles.Duration(d)}
	})
	cfg.Warm = Warm{Sessions: warm, TouchEvery: touchEvery, Touch: cfg.Plan.Mix[0], Workers: 4,
		Collector: metrics.NewCollector(cfg.Plan.Series, 1)}
	cfg.Tick = tick
	return s.run(t, cfg), s.target
}

// TestWarmSessionsAreHeldApart checks that the warm population is logged
// in and kept alive by its workers, and that its traffic is counted apart
// from the VUs' figures.
func TestWarmSessionsAreHeldApart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const warm, every, run = 50, 200 * time.Millisecond, 1500 * time.Millisecond
		out, tg := runWarm(t, target.Config{}, warm, every, run, nil)
		st := tg.Stats()
		w := out.Warm
		if out.WarmHeld != warm || w.Sessions.Logins != warm || w.Sessions.LoginFailures != 0 {
			t.Fatalf("warm: held %d, logins %+v", out.WarmHeld, w.Sessions)
		}
		// The VUs logged in and out; the warm sessions stay on the server.
		if s := out.Total.Sessions; s.Logins != 2 || s.Logouts != 2 || st.LiveSessions != warm || st.Users != warm+2 {
			t.Fatalf("VU sessions %+v; the target holds %d sessions of %d users, want 50 of 52", s, st.LiveSessions, st.Users)
		}
		vuReqs, _ := out.Total.Requests()
		warmReqs, warmFails := w.Requests()
		if vuReqs+warmReqs != st.Requests {
			t.Fatalf("VUs sent %d requests and warm sessions %d; the target served %d", vuReqs, warmReqs, st.Requests)
		}
		// Three requests per login, the rest touches: the 4 workers log the
		// 50 in within 117 ms (13 rounds of 9 ms), so every session is
		// touched at least 6 times in 1.5 s, and none more often than
		// every 200 ms.
		touches := warmReqs - 3*warm
		if touches < 6*warm || touches > warm*int64(run/every) || warmFails != 0 {
			t.Fatalf("%d touches, %d failures: want 6 to 7 per session", touches, warmFails)
		}
	})
}

// TestWarmSessionsSeeEvictions checks that a store too small for the
// warm population shows as warm sessions lost and logged in again.
func TestWarmSessionsSeeEvictions(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		out, tg := runWarm(t, target.Config{MaxSessions: 30}, 40, 100*time.Millisecond, time.Second, nil)
		st := tg.Stats()
		w := out.Warm.Sessions
		if st.Evicted == 0 || w.SessionsLost == 0 || w.Relogins == 0 || w.Relogins > w.SessionsLost {
			t.Fatalf("target evicted %d; warm sessions lost %d, relogins %d: every re-login follows a loss", st.Evicted, w.SessionsLost, w.Relogins)
		}
		// A session is logged in once more than it was lost while it is
		// held, and as often as it was lost when it is not: over the
		// population, the logins are the losses plus the sessions held.
		if w.Logins != w.SessionsLost+int64(out.WarmHeld) {
			t.Fatalf("%d warm logins, %d sessions lost, %d held at the end: want logins = lost + held", w.Logins, w.SessionsLost, out.WarmHeld)
		}
	})
}
