package engine

import (
	"testing"
	"time"

	"github.com/cohort-dev/cohort/bench/target"
	"github.com/cohort-dev/cohort/metrics"
	"github.com/cohort-dev/cohort/profiles"
)

// TestSteering changes the load while the run goes, as a capacity search
// does: the warm population, and the session pool's login rate.
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
				if out.WarmHeld != 30 || out.Warm.Sessions.Logins != 30 {
					t.Fatalf("warm held %d after %d logins: the population should grow from 10 to 30", out.WarmHeld, out.Warm.Sessions.Logins)
				}
			}},
		{"login rate", profiles.VaryLoginRate,
			profiles.Load{Executor: profiles.SessionPool, LoginRate: 10, Duration: profiles.Duration(time.Second)}, 0,
			func(t *testing.T, out *Outcome, st target.Stats) {
				// 10/s for half a second, then 40/s: about 5 + 20 logins,
				// where 10/s all along would make 10.
				if n := out.Total.Sessions.Logins; n < 18 || n > 30 || st.LoginsOK != n {
					t.Fatalf("%d logins (the target saw %d): the rate should rise from 10/s to 40/s", n, st.LoginsOK)
				}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tg, _ := target.New(target.Config{})
			cfg := rig(t, serve(t, tg), "spring-form", ConnShared, 4, func(p *profiles.Profile) { p.Load = c.load })
			cfg.Vary = c.vary
			// The second level from half the run on.
			second := map[string]float64{profiles.VaryWarm: 30, profiles.VaryLoginRate: 40}[c.vary]
			cfg.Steer = func(tk Tick) (float64, bool) {
				if tk.Elapsed < 500*time.Millisecond {
					return 10, true
				}
				return second, true
			}
			if c.warm > 0 {
				cfg.Warm = Warm{Sessions: c.warm, TouchEvery: time.Minute, Touch: cfg.Plan.Mix[0],
					Workers: 4, Collector: metrics.NewCollector(cfg.Plan.Series, 1)}
			}
			out := mustRun(t, cfg)
			c.check(t, out, tg.Stats())
		})
	}
}
