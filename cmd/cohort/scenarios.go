package main

import (
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/cohort-dev/cohort/engine"
	"github.com/cohort-dev/cohort/metrics"
	"github.com/cohort-dev/cohort/metrics/results"
	"github.com/cohort-dev/cohort/profiles"
	"github.com/cohort-dev/cohort/virtualuser"
)

// preparedScenario is one scenario of a run, ready: its profile (the
// profile with the scenario's parts), users and plan.
type preparedScenario struct {
	profile *profiles.Profile
	users   *virtualuser.UserPool
	plan    *virtualuser.Plan
}

// loadFlags change one load; a profile with scenarios has one each.
var loadFlags = []string{"vus", "duration", "iterations", "rate", "stages", "max-rps", "login-rate", "warm-sessions", "find-capacity", "compare-conn"}

// refuseLoadFlags refuses the flags that would change one load, for a
// profile whose scenarios each have their own.
func (f *runFlags) refuseLoadFlags() error {
	for _, name := range loadFlags {
		if f.fs.Changed(name) {
			return usagef("--%s: the profile's scenarios each have their own load: change it in the profile's scenarios", name)
		}
	}
	return nil
}

// prepareScenarios prepares a profile's scenarios: each one's load
// checked and scaled to the segment, its users (one pool for the
// scenarios that name the same users, so that no user is logged in twice
// at once), and its plan, compiled after the one before it so that their
// figures share one index space.
func (f *runFlags) prepareScenarios(e *env, prof *profiles.Profile) (*prepared, error) {
	seg, tags, ths, err := f.settings(prof)
	if err != nil {
		return nil, err
	}
	p := &prepared{profile: prof, tags: tags, thresholds: ths, segment: seg}
	scs := prof.ScenarioProfiles()
	for _, d := range scs {
		if err := d.CheckLoad(); err != nil {
			return nil, err
		}
		d.Load = seg.Scale(d.Load)
	}
	if err := p.startDemoFor(prof, e); err != nil {
		return p, err
	}
	pools := map[string]*virtualuser.UserPool{}
	var prev *virtualuser.Plan
	for _, d := range scs {
		d.BaseURL = prof.BaseURL
		if idp := p.demoIdP(); idp != "" && d.NeedsIssuer() {
			if err := d.SetOAuth2Issuer(idp); err != nil {
				return p, err
			}
		}
		key := usersKey(d.Users)
		users, ok := pools[key]
		if !ok {
			if users, err = f.userPool(d, seg); err != nil {
				return p, err
			}
			pools[key] = users
		}
		plan, err := virtualuser.Compile(d, virtualuser.Options{UserAgent: "cohort/" + versionString(), Columns: users.Columns(), After: prev})
		if err != nil {
			return p, err
		}
		if err := plan.CheckUsers(users); err != nil {
			return p, usageError{err}
		}
		p.scenarios = append(p.scenarios, preparedScenario{profile: d, users: users, plan: plan})
		prev = plan
	}
	p.plan, p.users = prev, p.scenarios[0].users
	return p, checkThresholds(prof, p.plan, ths)
}

// usersKey tells apart the scenarios' users: those with the same source
// share a pool.
func usersKey(u profiles.Users) string {
	g := ""
	if u.Generate != nil {
		g = fmt.Sprintf("%+v", *u.Generate)
	}
	return fmt.Sprintf("%q %s %v", u.CSV, g, u.Share)
}

// peakVUs is the VUs the run may have at once: every scenario's at its
// peak, or the profile's.
func (p *prepared) peakVUs() int {
	if len(p.scenarios) == 0 {
		return p.profile.Load.PeakVUs()
	}
	n := 0
	for _, s := range p.scenarios {
		n += s.profile.Load.PeakVUs()
	}
	return n
}

// length is how long the run's load lasts: the profile's, or until the
// scenario that ends last (0: bounded by iterations only).
func (p *prepared) length() time.Duration {
	if len(p.scenarios) == 0 {
		return engine.ShapeOf(p.profile.Load).Duration()
	}
	var end time.Duration
	for _, s := range p.scenarios {
		d := engine.ShapeOf(s.profile.Load).Duration()
		if d == 0 {
			return 0
		}
		end = max(end, s.profile.StartAfter.D()+d)
	}
	return end
}

// describe says what load the run puts on.
func (p *prepared) describe() string {
	if len(p.scenarios) == 0 {
		return describeLoad(p.profile.Load, engine.ShapeOf(p.profile.Load))
	}
	var parts []string
	for _, s := range p.scenarios {
		l := s.profile.Load
		parts = append(parts, fmt.Sprintf("%s from %v: %s", s.profile.Scenario, s.profile.StartAfter.D(), describeLoad(l, engine.ShapeOf(l))))
	}
	return fmt.Sprintf("%d scenarios (%s)", len(parts), strings.Join(parts, "; "))
}

// engineScenarios are the run's scenarios for the engine, each with its
// collector (siblings of the first: they number instances alike).
func (p *prepared) engineScenarios() []engine.Scenario {
	var out []engine.Scenario
	var first *metrics.Collector
	for _, s := range p.scenarios {
		c := metrics.NewCollector(p.plan.Series, runtime.GOMAXPROCS(0))
		if first == nil {
			first = c
		} else {
			c = first.Sibling(runtime.GOMAXPROCS(0))
		}
		out = append(out, engine.Scenario{Name: s.profile.Scenario, StartAfter: s.profile.StartAfter.D(), Plan: s.plan,
			Users: s.users, Load: s.profile.Load, Collector: c})
	}
	return out
}

// setScenarios adds each scenario's block to a run's result.
func (p *prepared) setScenarios(res *results.Result, out *engine.Outcome) {
	if len(out.Scenarios) == 0 {
		return
	}
	var metas []results.ScenarioMeta
	var aggs []*metrics.Aggregate
	for i, s := range out.Scenarios {
		metas = append(metas, results.ScenarioMeta{Name: s.Name, Executor: p.scenarios[i].profile.Load.Executor,
			StartAfter: p.scenarios[i].profile.StartAfter.D(), Started: s.Started, VUsMax: s.MaxVUs, NeverLoggedIn: s.NeverLoggedIn})
		aggs = append(aggs, s.Total)
	}
	res.SetScenarios(out.Legend.Series, metas, aggs)
}

// scenarioSnapshots are the scenarios' totals, for the thresholds that
// name one.
func scenarioSnapshots(out *engine.Outcome) []metrics.ScenarioSnapshot {
	var snaps []metrics.ScenarioSnapshot
	for _, s := range out.Scenarios {
		snaps = append(snaps, metrics.ScenarioSnapshot{Name: s.Name, Started: s.Started, Total: s.Total})
	}
	return snaps
}
