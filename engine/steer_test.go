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

// TestSteering changes the load while the run goes, as a capacity search
// does: the warm population, and the session pool's login rate. The
// intervals come every 30 ms and the level changes from the one at
// 480 ms, so no change falls at an instant a login is due.
func TestSteering(t *testing.T) {
	cases := []struct {
		name  string
		vary  string
		load  profiles.Load
		warm  int
		check func(t *testing.T, out *Outcome, st target.Stats)
	}{
		{"warm sessions", profiles.VaryWarm,
			profiles.Load{Executor: profiles.ConstantVUs, VUs: 1, Duration: profiles.Duration(time.Second)}, 10,
			func(t *testing.T, out *Outcome, st target.Stats) {
				if out.WarmHeld != 30 || out.Warm.Sessions.Logins != 30 || st.LiveSessions != 30 {
					t.Fatalf("warm held %d after %d logins, %d live on the target: the population should grow from 10 to 30",
						out.WarmHeld, out.Warm.Sessions.Logins, st.LiveSessions)
				}
			}},
		{"login rate", profiles.VaryLoginRate,
			profiles.Load{Executor: profiles.SessionPool, LoginRate: 10, Duration: profiles.Duration(time.Second)}, 0,
			func(t *testing.T, out *Outcome, st target.Stats) {
				// 10/s: logins at 0, 100, ..., 500 ms (the one at 500 was
				// scheduled before the change); then 40/s from 600 ms: 16
				// more by the end. 10/s all along would make 10.
				if n := out.Total.Sessions.Logins; n != 22 || st.LoginsOK != n {
					t.Fatalf("%d logins (the target saw %d): want 6 at 10/s, then 16 at 40/s", n, st.LoginsOK)
				}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := newSim(t, target.Config{Latency: simLatency})
				cfg := s.rig(t, "spring-form", transport.Shared, 4, func(p *profiles.Profile) { p.Load = c.load })
				cfg.Vary, cfg.Interval = c.vary, 30*time.Millisecond
				second := map[string]float64{profiles.VaryWarm: 30, profiles.VaryLoginRate: 40}[c.vary]
				cfg.Steer = func(tk metrics.Snapshot) (float64, bool) {
					if tk.Elapsed < 480*time.Millisecond {
						return 10, true
					}
					return second, true
				}
				if c.warm > 0 {
					cfg.Warm = Warm{Sessions: c.warm, TouchEvery: time.Minute, Touch: cfg.Plan.Mix[0],
						Workers: 4, Collector: metrics.NewCollector(cfg.Plan.Series, 1)}
				}
				out := s.run(t, cfg)
				c.check(t, out, s.target.Stats())
			})
		})
	}
}
