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

// simLatency is the simulated target's latency in the shape tests: every
// request takes 3 ms of fake time, a spring-form login (three requests)
// 9 ms, so nothing a session does ends at an instant something is due
// (arrivals come on a 10 ms grid).
const simLatency = 3 * time.Millisecond

// runPool runs spring-form with the session-pool executor on a fake
// clock, and says how many sessions the last interval found logged in
// and how many steps a login has.
func runPool(t *testing.T, load profiles.Load) (*Outcome, *target.Target, int, int) {
	t.Helper()
	s := newSim(t, target.Config{Latency: simLatency})
	cfg := s.rig(t, "spring-form", transport.PerUser, 0, func(p *profiles.Profile) {
		load.Executor = profiles.SessionPool
		p.Load = load
	})
	lastLoggedIn := -1
	cfg.Tick = func(tk metrics.Snapshot) { lastLoggedIn = tk.LoggedIn }
	return s.run(t, cfg), s.target, lastLoggedIn, len(cfg.Plan.Login)
}

// TestSessionPoolShapesLoginsAndRequestsApart checks that logins follow
// the login rate and requests the request rate, each request sent by a
// session of the pool.
func TestSessionPoolShapesLoginsAndRequestsApart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		out, tg, loggedIn, steps := runPool(t, profiles.Load{LoginRate: 20, Rate: 100, Duration: profiles.Duration(time.Second)})
		st := tg.Stats()
		// Logins due at 0, 50, ..., 950 ms; requests at 0, 10, ..., 990 ms.
		if s := out.Total.Sessions; s.Logins != 20 || st.LoginsOK != 20 || st.Users != 20 {
			t.Fatalf("cohort logged in %d times, the target saw %d logins by %d users: want 20", s.Logins, st.LoginsOK, st.Users)
		}
		// The first session is ready at 9 ms: the request due at 0 finds
		// none idle and is dropped; every later one finds one (a request
		// takes 3 ms, they come every 10).
		if out.Total.Iterations != 99 || out.Total.Dropped != 1 {
			t.Fatalf("%d requests sent and %d dropped: want 99 and the one due before the first login ended", out.Total.Iterations, out.Total.Dropped)
		}
		reqs, fails := out.Total.Requests()
		if fails != 0 || reqs != st.Requests || reqs != int64(steps)*20+99 {
			t.Fatalf("%d requests (%d failed), the target served %d; want %d per login plus one per iteration", reqs, fails, st.Requests, steps)
		}
		if st.LiveSessions != 20 || loggedIn != 20 {
			t.Fatalf("live sessions: target %d, cohort %d; sessions are left to expire, not logged out", st.LiveSessions, loggedIn)
		}
	})
}

// TestSessionPoolUsersLeave checks that a session is used for its life
// and then left.
func TestSessionPoolUsersLeave(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		out, tg, loggedIn, _ := runPool(t, profiles.Load{LoginRate: 20, Rate: 100, Duration: profiles.Duration(time.Second),
			SessionLife: profiles.Duration(200 * time.Millisecond)})
		// A user who left is free to log in again as a new arrival.
		if out.Total.Sessions.Logins != 20 || tg.Stats().LoginsOK != 20 || tg.Stats().Users >= 20 {
			t.Fatalf("logins %d (target %d) by %d users", out.Total.Sessions.Logins, tg.Stats().LoginsOK, tg.Stats().Users)
		}
		// Sessions born in the last 200 ms (at 850, 900 and 950 ms, and at
		// 800 ms: its life ends with the run) are still in the pool; an
		// older one left at its first request after its life ended.
		if loggedIn != 4 {
			t.Fatalf("%d sessions in the pool at the end: want the 4 younger than their life", loggedIn)
		}
	})
}
