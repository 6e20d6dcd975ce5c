// Package profiles defines cohort's load profile: the YAML a user writes to
// describe a target, its users, its login flow, its request mix and its
// load. It decodes profiles strictly (an unknown or mistyped field is an
// error naming the file, line, column and field), validates their structure,
// and ships the built-in profiles.
//
// docs/profiles.md documents every field.
package profiles

import (
	"fmt"
	"time"

	"go.yaml.in/yaml/v3"
)

// Profile is one load profile.
type Profile struct {
	Name        string            `yaml:"name"`
	Description string            `yaml:"description"`
	BaseURL     string            `yaml:"base_url"`
	DemoTarget  []string          `yaml:"demo_target"`
	Headers     map[string]string `yaml:"headers"`
	HTTP        HTTP              `yaml:"http"`
	Users       Users             `yaml:"users"`
	Session     Session           `yaml:"session"`
	Sessions    Sessions          `yaml:"sessions"`
	// InstanceHeader names the response header that says which backend
	// instance answered (X-Instance): figures are split by instance, and
	// sessions that move between instances are counted.
	InstanceHeader string `yaml:"instance_header"`
	// InstanceRoute takes the instance from the jvmRoute suffix of the
	// session cookie's value ("ABC123.node1": node1), as mod_jk and a
	// sticky balancer read it: the node that made the session, or last
	// took it over. Needs session.cookie; instance_header wins when both
	// name one.
	InstanceRoute bool   `yaml:"instance_route"`
	Login         []Step `yaml:"login"`
	// OAuth2 is a login by OAuth 2 / OpenID Connect: its steps come
	// before Login's.
	OAuth2 *OAuth2   `yaml:"oauth2"`
	Mix    []Request `yaml:"mix"`
	Think  Think     `yaml:"think"`
	Logout []Step    `yaml:"logout"`
	Load   Load      `yaml:"load"`
	// Thresholds are pass/fail criteria, in k6's syntax
	// ("http_req_duration{name:login}: p(99)<500"); a failed one makes the
	// run exit 99.
	Thresholds []ThresholdSpec `yaml:"thresholds"`
	// Capacity says how --find-capacity steps the load.
	Capacity CapacitySpec `yaml:"capacity"`
	// Scenarios are populations that run at once, each with its own
	// load and start offset (ScenarioProfiles gives the profile each
	// runs).
	Scenarios []Scenario `yaml:"scenarios"`

	// Scenario names the scenario a profile of ScenarioProfiles runs, and
	// StartAfter is when it starts; "" and 0 for a profile run alone.
	Scenario   string   `yaml:"-"`
	StartAfter Duration `yaml:"-"`

	// File is where the profile was read from ("builtin:NAME" for built-ins);
	// relative paths in it (users.csv) are relative to its directory.
	File string `yaml:"-"`
	pos  map[string]Pos
	// extraVars are variables set by the profile itself, not by an
	// extractor: a repeat's as.
	extraVars  []string
	secretVars []string
	// ownLogin is the profile's own login steps, without the oauth2 ones.
	ownLogin []Step
	// derived are the scenarios' profiles; a scenario's profile knows
	// where its scenario is (scenarioField) and which top-level fields it
	// gives itself (overridden), for its errors.
	derived       []*Profile
	scenarioField string
	overridden    map[string]bool
	values        map[string]string
	byFlag        map[string]bool
	checkNames    map[string]string
}

// HTTP holds the client settings of every request.
type HTTP struct {
	// Timeout bounds one request, from sending to the end of the body.
	Timeout Duration `yaml:"timeout"`
	// Redirects is how many redirects a mix request follows (each hop is
	// recorded as a request). Login steps follow none unless they say so.
	Redirects *int `yaml:"redirects"`
	// UserAgent replaces "cohort/<version>".
	UserAgent string `yaml:"user_agent"`
	// MaxBody caps how much of a response body is kept for extractors and
	// expectations; the rest is read and discarded. Default 1 MiB.
	MaxBody int `yaml:"max_body"`
	// Compression is gzip (default: Accept-Encoding: gzip, as browsers
	// ask, and gzip answers inflated) or none (no Accept-Encoding).
	Compression string `yaml:"compression"`
	// Version is the HTTP version offered: auto (default: HTTP/2 where a
	// TLS server offers it, else HTTP/1.1), 1.1, or 2 (HTTP/2 only; over
	// plain HTTP, h2c with prior knowledge).
	Version string `yaml:"version"`
}

// HTTP compression settings.
const (
	CompressionGzip = "gzip"
	CompressionNone = "none"
)

// HTTP versions.
const (
	VersionAuto = "auto"
	Version11   = "1.1"
	Version2    = "2"
)

// Users says where credentials come from.
type Users struct {
	// CSV names a file with a header row; username and password columns
	// are required, other columns are usable in templates as {{user.NAME}}.
	CSV string `yaml:"csv"`
	// Generate makes users from patterns instead.
	Generate *Generate `yaml:"generate"`
	// Share lets two live VUs use the same user.
	Share bool `yaml:"share"`
}

// Generate describes generated users: {{n}} in the patterns is replaced by
// Start, Start+1, ...
type Generate struct {
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	Start    int    `yaml:"start"`
	Count    int    `yaml:"count"`
}

// Session describes how the application tracks a session and what it looks
// like when a session is gone.
type Session struct {
	// Cookie is the session cookie's name (JSESSIONID, SESSION, ...), used to
	// count session ids issued and rotated.
	Cookie string `yaml:"cookie"`
	// Header names a header that carries the session (X-Auth-Token): taken
	// from responses and sent on later requests.
	Header string `yaml:"header"`
	// Basic sends the user's credentials as HTTP Basic on every request.
	Basic bool `yaml:"basic"`
	// KeepURLSessionIDs stops cohort from removing ";jsessionid=..." from
	// the URLs it follows (it removes them by default: it keeps cookies).
	KeepURLSessionIDs bool `yaml:"keep_url_session_ids"`
	// Lost says which responses mean the session is gone.
	Lost Lost `yaml:"lost"`
	// Refresh steps are tried when a session is lost, before a full login.
	Refresh []Step `yaml:"refresh"`
}

// Sessions describes the warm population: logged-in sessions kept alive
// beside the VUs, so that the session store holds as many sessions as a
// real site's while the VUs do the measured work. Warm sessions are data
// driven by a few workers, not a VU each.
type Sessions struct {
	// Warm is how many sessions to log in and keep alive (--warm-sessions).
	Warm int `yaml:"warm"`
	// TouchEvery is how often each warm session sends its touch request;
	// keep it under the server's max-inactive interval (Spring Session and
	// Tomcat: 30 min by default). Default 5m.
	TouchEvery Duration `yaml:"touch_every"`
	// Touch names the mix request a warm session sends; default the first.
	Touch string `yaml:"touch"`
	// Workers is how many goroutines log in and touch the warm sessions;
	// default 16.
	Workers int `yaml:"workers"`
}

// CapacitySpec says how a capacity search (--find-capacity) steps the
// load: Vary goes from Start to Max by Step, each level held for
// StepDuration, until a threshold breaks. The first Settle of each step is
// not judged.
type CapacitySpec struct {
	// Vary is vus (default), warm_sessions or login_rate.
	Vary         string   `yaml:"vary"`
	Start        float64  `yaml:"start"`
	Step         float64  `yaml:"step"`
	Max          float64  `yaml:"max"`
	StepDuration Duration `yaml:"step_duration"`
	Settle       Duration `yaml:"settle"`
}

// What a capacity search may vary.
const (
	VaryVUs       = "vus"
	VaryWarm      = "warm_sessions"
	VaryLoginRate = "login_rate"
)

// Lost lists the signs of a lost session; any one of them is enough.
type Lost struct {
	Status       []int  `yaml:"status"`
	RedirectTo   string `yaml:"redirect_to"`
	BodyContains string `yaml:"body_contains"`
}

// Step is one HTTP exchange of a login, logout or refresh flow, and the
// shape of every mix request.
type Step struct {
	Name    string            `yaml:"name"`
	Method  string            `yaml:"method"`
	Path    string            `yaml:"path"`
	Headers map[string]string `yaml:"headers"`
	Form    map[string]string `yaml:"form"`
	JSON    any               `yaml:"json"`
	Body    string            `yaml:"body"`
	// Redirects overrides http.redirects for this step.
	Redirects *int        `yaml:"redirects"`
	Extract   []Extractor `yaml:"extract"`
	Expect    Expect      `yaml:"expect"`
	// Checks are named assertions counted pass or fail; unlike Expect they
	// never fail the request.
	Checks []Check `yaml:"checks"`

	// OAuth2Role, on a step an oauth2 login made, is its part of the
	// protocol (OAuth2Start, ...); Field is where its settings are in the
	// profile, for messages.
	OAuth2Role string `yaml:"-"`
	Field      string `yaml:"-"`
}

// Check is a named assertion on a response. Every condition given must
// hold for the check to pass.
type Check struct {
	Name         string `yaml:"name"`
	Status       int    `yaml:"status"`
	BodyContains string `yaml:"body_contains"`
	// TextContains is body_contains on the body's text: tags dropped and
	// runs of whitespace made one space, on both sides.
	TextContains string       `yaml:"text_contains"`
	BodyRegex    string       `yaml:"body_regex"`
	Header       *HeaderCheck `yaml:"header"`
	JSON         *JSONCheck   `yaml:"json"`
	// CSS, Attr, Regex and Cookie take a value as an extractor does (at
	// most one of CSS, Regex, Cookie); the check needs it found, and equal
	// to Equals (a template) when given.
	CSS    string `yaml:"css"`
	Attr   string `yaml:"attr"`
	Regex  string `yaml:"regex"`
	Cookie string `yaml:"cookie"`
	Equals string `yaml:"equals"`
}

// HeaderCheck asserts a response header matches a regular expression, or
// equals a value (a template).
type HeaderCheck struct {
	Name    string `yaml:"name"`
	Matches string `yaml:"matches"`
	Equals  string `yaml:"equals"`
}

// JSONCheck asserts a JSON path exists, or equals a value (template).
type JSONCheck struct {
	Path   string `yaml:"path"`
	Equals string `yaml:"equals"`
}

// ThresholdSpec is one threshold: a string, or a mapping with options.
type ThresholdSpec struct {
	Expr        string   `yaml:"threshold"`
	AbortOnFail bool     `yaml:"abort_on_fail"`
	Delay       Duration `yaml:"delay"`
}

// UnmarshalYAML takes "METRIC: EXPR" or {threshold, abort_on_fail, delay}.
func (t *ThresholdSpec) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		t.Expr = n.Value
		return nil
	}
	type plain ThresholdSpec
	return n.Decode((*plain)(t))
}

// Request is a named, weighted entry of the mix.
type Request struct {
	Step   `yaml:",inline"`
	Weight int `yaml:"weight"`
	// Steps make the entry a journey: its steps run in order, a value one
	// extracts used by the next, each with a pause after it; the entry
	// then has no request of its own.
	Steps []JourneyStep `yaml:"steps"`
}

// ExtraVars names the variables the profile sets other than by an
// extractor (a repeat's as).
func (p *Profile) ExtraVars() []string { return p.extraVars }

// SecretVars names those of ExtraVars that are never shown.
func (p *Profile) SecretVars() []string { return p.secretVars }

// Journey reports whether the entry is a journey.
func (r *Request) Journey() bool { return len(r.Steps) > 0 }

// JourneyStep is one step of a journey: a request, or (with Repeat) a
// group of steps run again.
type JourneyStep struct {
	Step `yaml:",inline"`
	// Think is the pause after the step, within the journey.
	Think Think `yaml:"think"`
	// If runs the step only when its condition holds.
	If *Condition `yaml:"if"`
	// Repeat makes the step a group of steps run several times, or once
	// for each value of a list; the step then has no request of its own.
	Repeat *Repeat `yaml:"repeat"`
}

// Condition is on a variable: set (not empty), or matching a regular
// expression.
type Condition struct {
	Var     string `yaml:"var"`
	Matches string `yaml:"matches"`
}

// Repeat runs Steps Times times, or once for each value of the list
// variable Over with that value in the variable As.
type Repeat struct {
	Times int           `yaml:"times"`
	Over  string        `yaml:"over"`
	As    string        `yaml:"as"`
	Steps []JourneyStep `yaml:"steps"`
}

// Extractor takes one value from a response into {{vars.NAME}}. Exactly one
// of CSS, Regex, JSON, Cookie and Header is set.
type Extractor struct {
	Name     string `yaml:"name"`
	CSS      string `yaml:"css"`
	Attr     string `yaml:"attr"`
	Regex    string `yaml:"regex"`
	JSON     string `yaml:"json"`
	Cookie   string `yaml:"cookie"`
	Header   string `yaml:"header"`
	Optional bool   `yaml:"optional"`
	Secret   bool   `yaml:"secret"`
	// All takes every match (css, regex, json) as a list: {{vars.NAME}} is
	// the first, {{pick vars.NAME}} one at random, {{nth vars.NAME}} the
	// one of the VU's iteration.
	All bool `yaml:"all"`
}

// Expect lists what a response must be for its step to pass.
type Expect struct {
	Status       []int  `yaml:"status"`
	BodyContains string `yaml:"body_contains"`
	// TextContains is body_contains on the body's text: tags dropped and
	// runs of whitespace made one space, on both sides.
	TextContains string `yaml:"text_contains"`
	BodyRegex    string `yaml:"body_regex"`
	Location     string `yaml:"location"`
	LocationNot  string `yaml:"location_not"`
}

// Think is the pause after each iteration.
type Think struct {
	// Type is none, constant, uniform or exponential.
	Type     string   `yaml:"type"`
	Duration Duration `yaml:"duration"`
	Min      Duration `yaml:"min"`
	Max      Duration `yaml:"max"`
	Mean     Duration `yaml:"mean"`
}

// Load is the load shape.
type Load struct {
	// Executor is constant-vus, ramping-vus, per-vu-iterations (closed
	// model), constant-arrival-rate, ramping-arrival-rate (open model) or
	// session-pool.
	Executor   string   `yaml:"executor"`
	VUs        int      `yaml:"vus"`
	Duration   Duration `yaml:"duration"`
	Iterations int      `yaml:"iterations"`
	StartVUs   int      `yaml:"start_vus"`
	// Stages ramp VUs (ramping-vus) or the arrival rate
	// (ramping-arrival-rate, targets per TimeUnit).
	Stages []Stage `yaml:"stages"`
	// Rate is the arrival rate of constant-arrival-rate: iterations per
	// TimeUnit (default 1s). StartRate is where ramping-arrival-rate starts.
	Rate      float64  `yaml:"rate"`
	StartRate float64  `yaml:"start_rate"`
	TimeUnit  Duration `yaml:"time_unit"`
	// PreAllocatedVUs are started and logged in before the arrivals begin;
	// up to MaxVUs are added when every VU is busy. An arrival that finds
	// no VU free is dropped (dropped_iterations).
	PreAllocatedVUs int `yaml:"pre_allocated_vus"`
	MaxVUs          int `yaml:"max_vus"`
	// MaxRPS caps requests per second over all VUs.
	MaxRPS float64 `yaml:"max_rps"`
	// LoginRate caps logins per second over all VUs.
	LoginRate float64 `yaml:"login_rate"`
	// LoginRateAuto (login_rate: auto, --login-rate auto) lets the run
	// find the rate: logins start slow and rise while they stay as fast
	// as the first ones, and back off when they slow down or time out.
	// LoginRate is then 0.
	LoginRateAuto bool `yaml:"-"`
	// GracefulStop is how long VUs may take to finish their iteration when
	// the run or a ramp-down stops them.
	GracefulStop Duration `yaml:"graceful_stop"`
	// SessionLife is how long a session of the session-pool executor is
	// used after its login; then its user leaves (without logging out, as
	// most users do) and the server expires the session. 0: until the end.
	SessionLife Duration `yaml:"session_life"`
}

// Stage moves the VU count (or the arrival rate) linearly to Target over
// Duration.
type Stage struct {
	Duration Duration `yaml:"duration"`
	Target   float64  `yaml:"target"`
}

// Executors known to the engine.
const (
	ConstantVUs         = "constant-vus"
	RampingVUs          = "ramping-vus"
	ConstantArrivalRate = "constant-arrival-rate"
	RampingArrivalRate  = "ramping-arrival-rate"
	// SessionPool is an open model of logins and requests apart: new users
	// log in at login_rate (per second) and join a pool of sessions; mix
	// requests arrive at rate (per time_unit), each sent by the next idle
	// session of the pool.
	SessionPool = "session-pool"
	// PerVUIterations is the closed model where each of vus VUs does
	// exactly iterations iterations (k6's per-vu-iterations), then logs
	// out; duration, if given, bounds the whole.
	PerVUIterations = "per-vu-iterations"
)

// UnmarshalYAML takes login_rate: auto beside a number.
func (l *Load) UnmarshalYAML(n *yaml.Node) error {
	type plain Load
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if v := n.Content[i+1]; n.Content[i].Value == "login_rate" && v.Kind == yaml.ScalarNode && v.Value == AutoRate {
				c := *n
				c.Content = append(append([]*yaml.Node{}, n.Content[:i]...), n.Content[i+2:]...)
				if err := c.Decode((*plain)(l)); err != nil {
					return err
				}
				l.LoginRateAuto = true
				return nil
			}
		}
	}
	return n.Decode((*plain)(l))
}

// AutoRate is login_rate's word for a rate the run finds itself.
const AutoRate = "auto"

// Open reports whether the executor is an open model (arrival rate).
func (l *Load) Open() bool {
	return l.Executor == ConstantArrivalRate || l.Executor == RampingArrivalRate
}

// Duration is a time.Duration written as "250ms", "10s", "1m30s".
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// UnmarshalYAML parses a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: want a duration such as 250ms or 10s", n.Line)
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: `%s`: not a duration (want e.g. 250ms, 10s, 1m30s)", n.Line, n.Value)
	}
	if v < 0 {
		return fmt.Errorf("line %d: `%s`: a duration must not be negative", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes d as a duration string.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }
