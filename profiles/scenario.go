package profiles

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Scenario is one population of a profile, run beside the others: its
// own load shape and start offset, and, where it gives them, its own
// users, login, mix, think time and logout (else the profile's).
type Scenario struct {
	Name string `yaml:"name"`
	// StartAfter is how long after the run's start the scenario starts.
	StartAfter Duration  `yaml:"start_after"`
	Load       Load      `yaml:"load"`
	Users      *Users    `yaml:"users"`
	Login      *[]Step   `yaml:"login"`
	Mix        []Request `yaml:"mix"`
	Think      *Think    `yaml:"think"`
	Logout     *[]Step   `yaml:"logout"`
}

// maxScenarios bounds a profile's scenarios: each is a population with
// executors and figures of its own.
const maxScenarios = 32

// validateScenarios checks the scenarios and makes the profile each one
// runs (Profile.ScenarioProfiles).
func (p *Profile) validateScenarios() error {
	if len(p.Scenarios) == 0 {
		if _, set := p.pos["scenarios"]; set {
			return p.Errorf("scenarios", "give at least one scenario, or leave scenarios out")
		}
		return nil
	}
	if len(p.Scenarios) > maxScenarios {
		return p.Errorf("scenarios", "%d scenarios: at most %d", len(p.Scenarios), maxScenarios)
	}
	if _, set := p.pos["load"]; set {
		return p.Errorf("load", "with scenarios, each scenario has its own load: move it into them")
	}
	if _, set := p.pos["capacity"]; set {
		return p.Errorf("capacity", "a capacity search steps one load: it does not run with scenarios")
	}
	if p.Sessions.Warm > 0 {
		return p.Errorf("sessions.warm", "warm sessions are kept beside one load: they do not run with scenarios")
	}
	seen := map[string]int{}
	for i := range p.Scenarios {
		s := &p.Scenarios[i]
		field := fmt.Sprintf("scenarios[%d]", i)
		switch {
		case s.Name == "":
			return p.Errorf(field+".name", "required (it names the scenario in every figure)")
		case strings.ContainsAny(s.Name, "{},:\"/ "):
			return p.Errorf(field+".name", "%q: a scenario's name is a label of every figure: letters, digits, - and _ only", s.Name)
		case s.StartAfter < 0:
			return p.Errorf(field+".start_after", "must not be negative")
		}
		if j, dup := seen[s.Name]; dup {
			return p.Errorf(field+".name", "%q is also the name of scenarios[%d]", s.Name, j)
		}
		seen[s.Name] = i
		if _, set := p.pos[field+".load"]; !set {
			return p.Errorf(field, "load: required (the scenario's executor and its figures)")
		}
		d, err := p.scenarioProfile(i)
		if err != nil {
			return err
		}
		p.derived = append(p.derived, d)
	}
	return nil
}

// scenarioProfile is the profile scenario i runs: the profile with the
// scenario's parts in place of its own. Its positions are the scenario's
// where it gives a part, so that errors point into the scenario.
func (p *Profile) scenarioProfile(i int) (*Profile, error) {
	s := &p.Scenarios[i]
	prefix := fmt.Sprintf("scenarios[%d].", i)
	d := *p
	d.Scenarios, d.derived = nil, nil
	d.Scenario, d.StartAfter = s.Name, s.StartAfter
	d.scenarioField = strings.TrimSuffix(prefix, ".")
	d.pos = maps.Clone(p.pos)
	d.overridden = map[string]bool{"load": true}
	for k, v := range p.pos {
		if rest, ok := strings.CutPrefix(k, prefix); ok {
			d.pos[rest] = v
			d.overridden[topField(rest)] = true
		}
	}
	for k := range d.pos { // the profile's load, mix, ... are not the scenario's
		if top := topField(k); d.overridden[top] {
			if _, own := p.pos[prefix+k]; !own {
				delete(d.pos, k)
			}
		}
	}
	d.extraVars, d.secretVars = slices.Clone(p.extraVars), slices.Clone(p.secretVars)
	d.Load = s.Load
	if s.Users != nil {
		d.Users = *s.Users
		if err := d.validateUsers(); err != nil {
			return nil, err
		}
	}
	if s.Login != nil {
		d.ownLogin = *s.Login
		if err := d.validateSteps("login", d.ownLogin); err != nil {
			return nil, err
		}
		d.Login = d.ownLogin
		if d.OAuth2 != nil {
			if err := d.expandOAuth2(); err != nil {
				return nil, err
			}
		}
	}
	if s.Logout != nil {
		d.Logout = *s.Logout
		if err := d.validateSteps("logout", d.Logout); err != nil {
			return nil, err
		}
	}
	if s.Mix != nil {
		d.Mix = s.Mix
		if err := d.validateMix(); err != nil {
			return nil, err
		}
	} else if len(p.Mix) == 0 {
		return nil, p.Errorf(prefix+"mix", "required: the profile has no mix of its own for the scenario to use")
	}
	if s.Think != nil {
		d.Think = *s.Think
		if err := d.validateThink(); err != nil {
			return nil, err
		}
	}
	return &d, d.validateLoadShape()
}

// topField is the first part of a field path: "mix" of "mix[0].name".
func topField(f string) string {
	if i := strings.IndexAny(f, ".["); i >= 0 {
		return f[:i]
	}
	return f
}

// validateSteps checks a flow's steps (login, logout).
func (p *Profile) validateSteps(kind string, steps []Step) error {
	for i := range steps {
		if err := p.validateStep(fmt.Sprintf("%s[%d]", kind, i), &steps[i], kind); err != nil {
			return err
		}
	}
	return nil
}

// ScenarioProfiles returns the profile each scenario runs, in order; nil
// for a profile without scenarios. Each has Scenario and StartAfter set;
// their loads are checked by CheckLoad, each on its own.
func (p *Profile) ScenarioProfiles() []*Profile { return p.derived }
