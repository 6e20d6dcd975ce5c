package engine

import (
	"testing"
	"time"

	"github.com/cohort-dev/cohort/bench/target"
	"github.com/cohort-dev/cohort/metrics"
	"github.com/cohort-dev/cohort/profiles"
)

// runWarm runs spring-form with 2 VUs for d beside a warm population.
func runWarm(t *testing.T, tc target.Config, warm int, touchEvery, d time.Duration) (*Outcome, *target.Target) {
	t.Helper()
	tg, err := target.New(tc)
	if err != nil {
		t.Fatal(err)
	}
	cfg := rig(t, serve(t, tg), "spring-form", ConnPerUser, 4, func(p *profiles.Profile) {
		p.Load = profiles.Load{Executor: profiles.ConstantVUs, VUs: 2, Duration: profiles.Duration(d)}
	})
	cfg.Warm = Warm{Sessions: warm, TouchEvery: touchEvery, Touch: cfg.Plan.Mix[0], Workers: 4,
		Collector: metrics.NewCollector(cfg.Plan.Series, 1)}
	return mustRun(t, cfg), tg
}

// TestWarmSessionsAreHeldApart checks that the warm population is logged
// in and kept alive by its workers, and that its traffic is counted apart
// from the VUs' figures.
func TestWarmSessionsAreHeldApart(t *testing.T) {
	out, tg := runWarm(t, target.Config{}, 50, 200*time.Millisecond, 1500*time.Millisecond)
	st := tg.Stats()
	w := out.Warm
	if out.WarmHeld != 50 || w.Sessions.Logins != 50 || w.Sessions.LoginFailures != 0 {
		t.Fatalf("warm: held %d, logins %+v", out.WarmHeld, w.Sessions)
	}
	// The VUs logged in and out; the warm sessions stay on the server.
	if s := out.Total.Sessions; s.Logins != 2 || s.Logouts != 2 || st.LiveSessions != 50 || st.Users != 52 {
		t.Fatalf("VU sessions %+v; the target holds %d sessions of %d users, want 50 of 52", s, st.LiveSessions, st.Users)
	}
	vuReqs, _ := out.Total.Requests()
	warmReqs, warmFails := w.Requests()
	if vuReqs+warmReqs != st.Requests {
		t.Fatalf("VUs sent %d requests and warm sessions %d; the target served %d", vuReqs, warmReqs, st.Requests)
	}
	// Two requests per login, the rest touches: every warm session was
	// touched at least once in 1.5 s at one touch per 200 ms.
	if touches := warmReqs - 2*50; touches < 50 || warmFails != 0 {
		t.Fatalf("%d touches, %d failures", touches, warmFails)
	}
}

// TestWarmSessionsSeeEvictions checks that a store too small for the
// warm population shows as warm sessions lost and logged in again.
func TestWarmSessionsSeeEvictions(t *testing.T) {
	out, tg := runWarm(t, target.Config{MaxSessions: 30}, 40, 100*time.Millisecond, time.Second)
	st := tg.Stats()
	w := out.Warm.Sessions
	if st.Evicted == 0 || w.SessionsLost == 0 || w.Relogins == 0 {
		t.Fatalf("target evicted %d; warm sessions lost %d, relogins %d", st.Evicted, w.SessionsLost, w.Relogins)
	}
	// Every successful login is a first login or a re-login; a first
	// login may fail (its session evicted between the login page and the
	// form post) and not be retried before the end.
	if w.Logins > 40+w.Relogins || w.Logins+w.LoginFailures < 40+w.Relogins {
		t.Fatalf("warm logins %d (%d failed), want 40 first logins plus %d relogins", w.Logins, w.LoginFailures, w.Relogins)
	}
}
