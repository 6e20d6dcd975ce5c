package engine

import (
	"testing"
	"time"

	"github.com/cohort-dev/cohort/bench/target"
	"github.com/cohort-dev/cohort/profiles"
)

// runPool runs spring-form with the session-pool executor, and says how
// many sessions the last interval found logged in and how many steps a
// login has.
func runPool(t *testing.T, load profiles.Load) (*Outcome, *target.Target, int, int) {
	t.Helper()
	tg, _ := target.New(target.Config{})
	cfg := rig(t, serve(t, tg), "spring-form", ConnPerUser, 0, func(p *profiles.Profile) {
		load.Executor = profiles.SessionPool
		p.Load = load
	})
	lastLoggedIn := -1
	cfg.Tick = func(tk Tick) { lastLoggedIn = tk.LoggedIn }
	return mustRun(t, cfg), tg, lastLoggedIn, len(cfg.Plan.Login)
}

// TestSessionPoolShapesLoginsAndRequestsApart checks that logins follow
// the login rate and requests the request rate, each request sent by a
// session of the pool.
func TestSessionPoolShapesLoginsAndRequestsApart(t *testing.T) {
	out, tg, loggedIn, steps := runPool(t, profiles.Load{LoginRate: 20, Rate: 100, Duration: profiles.Duration(time.Second)})
	st := tg.Stats()
	// Logins due at 0, 50, ..., 950 ms; requests at 0, 10, ..., 990 ms.
	if s := out.Total.Sessions; s.Logins != 20 || st.LoginsOK != 20 || st.Users != 20 {
		t.Fatalf("cohort logged in %d times, the target saw %d logins by %d users: want 20", s.Logins, st.LoginsOK, st.Users)
	}
	if out.MaxVUs < 1 {
		t.Fatalf("up to %d workers reported", out.MaxVUs)
	}
	if n := out.Total.Iterations + out.Total.Dropped; n != 100 {
		t.Fatalf("%d requests sent and %d dropped: want 100 arrivals", out.Total.Iterations, out.Total.Dropped)
	}
	reqs, fails := out.Total.Requests()
	if fails != 0 || reqs != st.Requests || reqs != int64(steps)*20+out.Total.Iterations {
		t.Fatalf("%d requests (%d failed), the target served %d; want %d per login plus one per iteration (%d)", reqs, fails, st.Requests, steps, out.Total.Iterations)
	}
	// Requests due before the first session was ready were dropped, the
	// rest were sent: sessions are shared by the request stream.
	if out.Total.Iterations < 80 {
		t.Fatalf("only %d of 100 requests found an idle session", out.Total.Iterations)
	}
	if st.LiveSessions != 20 || loggedIn != 20 {
		t.Fatalf("live sessions: target %d, cohort %d; sessions are left to expire, not logged out", st.LiveSessions, loggedIn)
	}
}

// TestSessionPoolUsersLeave checks that a session is used for its life
// and then left.
func TestSessionPoolUsersLeave(t *testing.T) {
	out, tg, loggedIn, _ := runPool(t, profiles.Load{LoginRate: 20, Rate: 100, Duration: profiles.Duration(time.Second),
		SessionLife: profiles.Duration(200 * time.Millisecond)})
	// A user who left is free to log in again as a new arrival.
	if out.Total.Sessions.Logins != 20 || tg.Stats().LoginsOK != 20 || tg.Stats().Users >= 20 {
		t.Fatalf("logins %d (target %d) by %d users", out.Total.Sessions.Logins, tg.Stats().LoginsOK, tg.Stats().Users)
	}
	// About 4 sessions are younger than 200 ms at any time.
	if loggedIn <= 0 || loggedIn > 8 {
		t.Fatalf("%d sessions in the pool at the end: want the few younger than their life", loggedIn)
	}
}
