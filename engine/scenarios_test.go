package engine

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/cohort-dev/cohort/bench/target"
	"github.com/cohort-dev/cohort/metrics"
	"github.com/cohort-dev/cohort/profiles"
	"github.com/cohort-dev/cohort/transport"
	"github.com/cohort-dev/cohort/virtualuser"
)

// scenariosProfile has two populations with different executors, the
// second starting later: shoppers, each doing exactly 4 iterations, and
// a storm of new users arriving at 10 a second from 500 ms on.
const scenariosProfile = `name: two
base_url: http://127.0.0.1:8080
users:
  generate: {username: "user{{n}}", password: "pass{{n}}", start: 1}
session:
  cookie: JSESSIONID
login:
  - name: login-page
    path: /login
    extract: [{name: csrf, css: 'input[name="_csrf"]', attr: value}]
  - name: login-submit
    path: /login
    form: {username: "{{user.username}}", password: "{{user.password}}", _csrf: "{{vars.csrf}}"}
    expect: {status: [302], location_not: error}
mix:
  - name: profile
    path: /api/profile
    headers: {Accept: application/json}
    expect: {status: [200], body_contains: '"username":"{{user.username}}"'}
scenarios:
  - name: shoppers
    load: {executor: per-vu-iterations, vus: 3, iterations: 4}
    think: {type: constant, duration: 200ms}
  - name: storm
    start_after: 500ms
    users:
      generate: {username: "user{{n}}", password: "pass{{n}}", start: 100}
    mix:
      - name: orders
        path: /api/orders
        headers: {Accept: application/json}
        expect: {status: [200]}
    load: {executor: constant-arrival-rate, rate: 10, duration: 1s, pre_allocated_vus: 2, max_vus: 2}
`

// scenarioConfig compiles a profile's scenarios into a run's Config over
// the simulated network, as cmd/cohort wires them.
func (s *sim) scenarioConfig(t *testing.T, src string) Config {
	t.Helper()
	p, err := profiles.Parse("two.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var prev *virtualuser.Plan
	var scs []Scenario
	peak := 0
	for _, d := range p.ScenarioProfiles() {
		if err := d.CheckLoad(); err != nil {
			t.Fatal(err)
		}
		users := virtualuser.NewGeneratedPool(*d.Users.Generate, false)
		plan, err := virtualuser.Compile(d, virtualuser.Options{Columns: users.Columns(), After: prev})
		if err != nil {
			t.Fatal(err)
		}
		prev = plan
		scs = append(scs, Scenario{Name: d.Scenario, StartAfter: d.StartAfter.D(), Plan: plan, Users: users, Load: d.Load})
		peak += d.Load.PeakVUs()
	}
	first := metrics.NewCollector(prev.Series, 2)
	for i := range scs {
		scs[i].Collector = first
		if i > 0 {
			scs[i].Collector = first.Sibling(2)
		}
	}
	pool, err := transport.NewPool(transport.Config{Mode: transport.Shared, VUs: peak, Network: s.net})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return Config{Scenarios: scs, Pool: pool, Clock: s.clock, Interval: 100 * time.Millisecond}
}

// TestScenariosRunSideBySide: two scenarios, a closed and an open model,
// run at once over one lifecycle; each keeps its own figures, exact on
// the fake clock, and the run's are their sum.
func TestScenariosRunSideBySide(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newSim(t, target.Config{Latency: time.Millisecond})
		cfg := s.scenarioConfig(t, scenariosProfile)
		var ticks, sawBoth int
		cfg.Tick = func(tk metrics.Snapshot) {
			ticks++
			if len(tk.Scenarios) != 2 || tk.Scenarios[0].Name != "shoppers" || tk.Scenarios[1].Name != "storm" {
				t.Errorf("snapshot scenarios %+v", tk.Scenarios)
			}
			if tk.Scenarios[1].Started && tk.Elapsed < 500*time.Millisecond {
				t.Errorf("storm started at %v, before its 500 ms", tk.Elapsed)
			}
			if tk.Scenarios[0].VUs > 0 && tk.Scenarios[1].VUs > 0 {
				sawBoth++
			}
		}
		out := s.run(t, cfg)
		if len(out.Scenarios) != 2 || sawBoth == 0 {
			t.Fatalf("%d scenario outcomes; %d of %d ticks saw both running", len(out.Scenarios), sawBoth, ticks)
		}
		shop, storm := out.Scenarios[0].Total, out.Scenarios[1].Total
		if shop.Iterations != 12 || shop.Sessions.Logins != 3 {
			t.Fatalf("shoppers: %d iterations, %d logins; want 12 and 3", shop.Iterations, shop.Sessions.Logins)
		}
		if storm.Iterations != 10 || storm.Sessions.Logins != 2 || storm.Dropped != 0 {
			t.Fatalf("storm: %d iterations, %d logins, %d dropped; want 10, 2, 0", storm.Iterations, storm.Sessions.Logins, storm.Dropped)
		}
		series := out.Legend.Series
		count := func(a *metrics.Aggregate, scenario, name string) int64 {
			for i, si := range series {
				if si.Scenario == scenario && si.Name == name {
					return a.Series[i].Count
				}
			}
			t.Fatalf("no series %s/%s in %+v", scenario, name, series)
			return 0
		}
		if count(shop, "shoppers", "profile") != 12 || count(storm, "storm", "orders") != 10 || count(storm, "shoppers", "profile") != 0 {
			t.Fatal("a scenario's requests are not in its own series")
		}
		if count(storm, "storm", "login-submit") != 2 || count(shop, "shoppers", "login-submit") != 3 {
			t.Fatal("each scenario's logins are in its own login series")
		}
		total := out.Total
		if total.Iterations != 22 || total.Sessions.Logins != 5 || count(total, "storm", "orders") != 10 {
			t.Fatalf("the run: %d iterations, %d logins; want the scenarios' sum, 22 and 5", total.Iterations, total.Sessions.Logins)
		}
		if st := s.target.Stats(); st.LoginsOK != 5 || st.Users != 5 {
			t.Fatalf("the target saw %d logins by %d users, want 5 by 5", st.LoginsOK, st.Users)
		}
		if out.MaxVUs != 5 {
			t.Fatalf("max VUs %d, want 3 + 2", out.MaxVUs)
		}
	})
}
