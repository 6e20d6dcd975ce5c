package engine

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/cohort-dev/cohort/bench/target"
	"github.com/cohort-dev/cohort/metrics"
	"github.com/cohort-dev/cohort/profiles"
	"github.com/cohort-dev/cohort/virtualuser"
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
		{"warm sessions", VaryWarm,
			profiles.Load{Executor: profiles.ConstantVUs, VUs: 1, Duration: profiles.Duration(time.Second)}, 10,
			func(t *testing.T, out *Outcome, st target.Stats) {
				if out.WarmHeld != 30 || out.Warm.Sessions.Logins != 30 {
					t.Fatalf("warm held %d after %d logins: the population should grow from 10 to 30", out.WarmHeld, out.Warm.Sessions.Logins)
				}
			}},
		{"login rate", VaryLoginRate,
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
			srv := httptest.NewServer(tg)
			defer srv.Close()
			p, err := profiles.Builtin("spring-form")
			if err != nil {
				t.Fatal(err)
			}
			p.BaseURL, p.Load = srv.URL, c.load
			p.Load.GracefulStop = profiles.Duration(5 * time.Second)
			if err := p.CheckLoad(); err != nil {
				t.Fatal(err)
			}
			users := virtualuser.NewGeneratedPool(*p.Users.Generate, false)
			plan, err := virtualuser.Compile(p, virtualuser.Options{Columns: users.Columns()})
			if err != nil {
				t.Fatal(err)
			}
			pool, _ := NewPool(TransportConfig{VUs: p.Load.PeakVUs() + 4})
			defer pool.Close()
			cfg := Config{Plan: plan, Users: users, Load: p.Load, Pool: pool, Vary: c.vary,
				Collector: metrics.NewCollector(plan.Series, 2), Interval: 50 * time.Millisecond,
				// The second level from half the run on.
				Steer: func(tk Tick) (float64, bool) {
					if tk.Elapsed < 500*time.Millisecond {
						return 10, true
					}
					return map[string]float64{VaryWarm: 30, VaryLoginRate: 40}[c.vary], true
				}}
			if c.warm > 0 {
				cfg.Warm = Warm{Sessions: c.warm, TouchEvery: time.Minute, Touch: plan.MixStep(p.Sessions.Touch),
					Workers: 4, Collector: metrics.NewCollector(plan.Series, 1)}
			}
			out, err := Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			c.check(t, out, tg.Stats())
		})
	}
}
