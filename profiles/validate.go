package profiles

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Defaults that a profile may leave out.
const (
	DefaultTimeout      = 30 * time.Second
	DefaultRedirects    = 10
	DefaultMaxBody      = 1 << 20
	DefaultGracefulStop = 10 * time.Second
)

// validate checks what can be checked of the profile alone and fills in
// defaults. Load figures are checked by CheckLoad, after flags have had
// their say.
func (p *Profile) validate() error {
	if p.Name == "" {
		p.Name = strings.TrimSuffix(filepath.Base(p.File), filepath.Ext(p.File))
	}
	if p.BaseURL != "" {
		if err := checkBaseURL(p.BaseURL); err != nil {
			return p.Errorf("base_url", "%v", err)
		}
	}
	if p.InstanceHeader != "" && !validHeaderName(p.InstanceHeader) {
		return p.Errorf("instance_header", "%q is not a header name", p.InstanceHeader)
	}
	if p.InstanceRoute && p.Session.Cookie == "" {
		return p.Errorf("instance_route", "the route is read from the session cookie: set session.cookie (JSESSIONID)")
	}
	for k := range p.Headers {
		if !validHeaderName(k) {
			return p.Errorf("headers."+k, "%q is not a header name", k)
		}
	}
	if err := p.validateHTTP(); err != nil {
		return err
	}
	if err := p.validateUsers(); err != nil {
		return err
	}
	if err := p.validateSession(); err != nil {
		return err
	}
	for i := range p.Login {
		if err := p.validateStep(fmt.Sprintf("login[%d]", i), &p.Login[i], "login"); err != nil {
			return err
		}
	}
	if err := p.validateOAuth2(); err != nil {
		return err
	}
	for i := range p.Logout {
		if err := p.validateStep(fmt.Sprintf("logout[%d]", i), &p.Logout[i], "logout"); err != nil {
			return err
		}
	}
	if len(p.Mix) > 0 || len(p.Scenarios) == 0 {
		if err := p.validateMix(); err != nil {
			return err
		}
	}
	if err := p.validateThink(); err != nil {
		return err
	}
	if err := p.validateSessions(); err != nil {
		return err
	}
	if err := p.validateCapacity(); err != nil {
		return err
	}
	for i, t := range p.Thresholds {
		if strings.TrimSpace(t.Expr) == "" {
			return p.Errorf(fmt.Sprintf("thresholds[%d]", i), "empty threshold")
		}
	}
	if err := p.validateLoadShape(); err != nil {
		return err
	}
	return p.validateScenarios()
}

func checkBaseURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("%q is not a URL: %v", s, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q: want an absolute http:// or https:// URL", s)
	}
	return nil
}

// CheckBaseURL reports whether s can be a base URL.
func CheckBaseURL(s string) error { return checkBaseURL(s) }

func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("()<>@,;:\\\"/[]?={}", c) >= 0 {
			return false
		}
	}
	return true
}

func (p *Profile) validateHTTP() error {
	h := &p.HTTP
	if h.Timeout == 0 {
		h.Timeout = Duration(DefaultTimeout)
	}
	if h.Redirects != nil && *h.Redirects < 0 {
		return p.Errorf("http.redirects", "must not be negative")
	}
	if h.MaxBody < 0 {
		return p.Errorf("http.max_body", "must not be negative")
	}
	if h.MaxBody == 0 {
		h.MaxBody = DefaultMaxBody
	}
	if err := p.notTemplate("http.user_agent", h.UserAgent); err != nil {
		return err
	}
	switch h.Compression {
	case "":
		h.Compression = CompressionGzip
	case CompressionGzip, CompressionNone:
	default:
		return p.Errorf("http.compression", "want gzip or none, got %q", h.Compression)
	}
	switch h.Version {
	case "":
		h.Version = VersionAuto
	case VersionAuto, Version11, Version2:
	default:
		return p.Errorf("http.version", "want auto, 1.1 or 2, got %q", h.Version)
	}
	return nil
}

func (p *Profile) validateUsers() error {
	u := &p.Users
	if u.CSV != "" && u.Generate != nil {
		return p.Errorf("users.generate", "give users.csv or users.generate, not both")
	}
	if g := u.Generate; g != nil {
		for _, f := range []struct{ name, v string }{{"username", g.Username}, {"password", g.Password}} {
			if !strings.Contains(f.v, "{{n}}") {
				return p.Errorf("users.generate."+f.name, "the pattern %q must contain {{n}}", f.v)
			}
		}
		if g.Count < 0 {
			return p.Errorf("users.generate.count", "must not be negative")
		}
		if g.Start < 0 {
			return p.Errorf("users.generate.start", "must not be negative")
		}
	}
	return nil
}

// CSVPath returns users.csv resolved against the profile's directory.
func (p *Profile) CSVPath() string {
	if p.Users.CSV == "" || filepath.IsAbs(p.Users.CSV) || strings.HasPrefix(p.File, "builtin:") {
		return p.Users.CSV
	}
	return filepath.Join(filepath.Dir(p.File), p.Users.CSV)
}

func (p *Profile) validateSession() error {
	s := &p.Session
	if s.Cookie != "" && !validHeaderName(s.Cookie) {
		return p.Errorf("session.cookie", "%q is not a cookie name", s.Cookie)
	}
	if s.Header != "" && !validHeaderName(s.Header) {
		return p.Errorf("session.header", "%q is not a header name", s.Header)
	}
	for i, st := range s.Lost.Status {
		if st < 100 || st > 599 {
			return p.Errorf(fmt.Sprintf("session.lost.status[%d]", i), "%d is not an HTTP status", st)
		}
	}
	if err := p.checkRegex("session.lost.redirect_to", s.Lost.RedirectTo); err != nil {
		return err
	}
	if err := p.notTemplate("session.lost.redirect_to", s.Lost.RedirectTo); err != nil {
		return err
	}
	if err := p.notTemplate("session.lost.body_contains", s.Lost.BodyContains); err != nil {
		return err
	}
	for i := range s.Refresh {
		if err := p.validateStep(fmt.Sprintf("session.refresh[%d]", i), &s.Refresh[i], "refresh"); err != nil {
			return err
		}
	}
	return nil
}

// Defaults of the warm population.
const (
	DefaultTouchEvery  = 5 * time.Minute
	DefaultWarmWorkers = 16
)

func (p *Profile) validateSessions() error {
	s := &p.Sessions
	if s.Workers < 0 {
		return p.Errorf("sessions.workers", "must not be negative, got %d", s.Workers)
	}
	if s.Workers == 0 {
		s.Workers = DefaultWarmWorkers
	}
	if s.TouchEvery == 0 {
		s.TouchEvery = Duration(DefaultTouchEvery)
	}
	if s.Touch == "" {
		i := slices.IndexFunc(p.Mix, func(r Request) bool { return !r.Journey() })
		switch {
		case i >= 0:
			s.Touch = p.Mix[i].Name
		case s.Warm > 0:
			return p.Errorf("sessions.touch", "the mix has only journeys: name a request for warm sessions to touch (add one, weight 0)")
		}
	} else if !slices.ContainsFunc(p.Mix, func(r Request) bool { return r.Name == s.Touch && !r.Journey() }) {
		return p.Errorf("sessions.touch", "%q is not the name of a mix request (a journey cannot touch)", s.Touch)
	}
	return nil
}

// DefaultStepDuration is how long a capacity search holds each level.
const DefaultStepDuration = 30 * time.Second

func (p *Profile) validateCapacity() error {
	c := &p.Capacity
	switch c.Vary {
	case "":
		c.Vary = VaryVUs
	case VaryVUs, VaryWarm, VaryLoginRate:
	default:
		return p.Errorf("capacity.vary", "want %s, %s or %s, got %q", VaryVUs, VaryWarm, VaryLoginRate, c.Vary)
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"start", c.Start}, {"step", c.Step}, {"max", c.Max}} {
		if f.v < 0 {
			return p.Errorf("capacity."+f.name, "must not be negative, got %v", f.v)
		}
	}
	if c.Start > 0 && c.Max > 0 && c.Max < c.Start {
		return p.Errorf("capacity.max", "%v is below start %v", c.Max, c.Start)
	}
	if c.StepDuration == 0 {
		c.StepDuration = Duration(DefaultStepDuration)
	}
	if _, set := p.pos["capacity.settle"]; !set {
		c.Settle = c.StepDuration / 5
	}
	if c.Settle >= c.StepDuration {
		return p.Errorf("capacity.settle", "%v leaves nothing of a %v step to judge", c.Settle.D(), c.StepDuration.D())
	}
	return nil
}

// checkWarm checks the warm population once flags have had their say.
func (p *Profile) checkWarm(at func(field, flag string) string) error {
	s := &p.Sessions
	if s.Warm < 0 {
		return p.Errorf(at("sessions.warm", "--warm-sessions"), "must not be negative, got %d", s.Warm)
	}
	if s.Warm > 0 && len(p.Login) == 0 {
		return p.Errorf(at("sessions.warm", "--warm-sessions"), "warm sessions need a login flow: the profile has none")
	}
	return nil
}

// checkRegex checks a regular expression compiles, with each template
// reference in it taken as the literal text its value will be.
func (p *Profile) checkRegex(field, expr string) error {
	if expr == "" {
		return nil
	}
	if _, err := regexp.Compile(templateRef.ReplaceAllString(expr, "x")); err != nil {
		return p.Errorf(field, "bad regular expression %q: %v", expr, strings.TrimPrefix(err.Error(), "error parsing regexp: "))
	}
	return nil
}

var methods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true,
}

func (p *Profile) validateStep(field string, s *Step, kind string) error {
	if s.Name == "" && kind != "mix" {
		s.Name = fmt.Sprintf("%s-%d", kind, stepIndex(field)+1)
	}
	if s.Path == "" {
		return p.Errorf(field, "path: required (a path such as /login, or an absolute URL)")
	}
	bodies := 0
	for _, set := range []bool{len(s.Form) > 0, s.JSON != nil, s.Body != ""} {
		if set {
			bodies++
		}
	}
	if bodies > 1 {
		return p.Errorf(field, "give one of form, json and body")
	}
	if s.Method == "" {
		s.Method = http.MethodGet
		if bodies > 0 {
			s.Method = http.MethodPost
		}
	}
	s.Method = strings.ToUpper(s.Method)
	if !methods[s.Method] {
		return p.Errorf(field+".method", "unknown method %q", s.Method)
	}
	for k := range s.Headers {
		if !validHeaderName(k) {
			return p.Errorf(field+".headers."+k, "%q is not a header name", k)
		}
	}
	for k := range s.Form {
		if err := p.notTemplate(field+".form."+k, k); err != nil { // a field's name; its value is a template
			return err
		}
	}
	if s.Redirects != nil && *s.Redirects < 0 {
		return p.Errorf(field+".redirects", "must not be negative")
	}
	for i := range s.Extract {
		if err := p.validateExtractor(fmt.Sprintf("%s.extract[%d]", field, i), &s.Extract[i]); err != nil {
			return err
		}
	}
	for i := range s.Checks {
		if err := p.validateCheck(fmt.Sprintf("%s.checks[%d]", field, i), &s.Checks[i]); err != nil {
			return err
		}
	}
	return p.validateExpect(field+".expect", &s.Expect)
}

func (p *Profile) validateCheck(field string, c *Check) error {
	if c.Name == "" {
		return p.Errorf(field+".name", "required: a check is counted under its name")
	}
	if p.checkNames == nil {
		p.checkNames = map[string]string{}
	}
	if other, dup := p.checkNames[c.Name]; dup {
		return p.Errorf(field+".name", "%q is also the name of %s", c.Name, other)
	}
	p.checkNames[c.Name] = field
	if err := p.validateCheckSource(field, c); err != nil {
		return err
	}
	if c.Status == 0 && c.BodyContains == "" && c.TextContains == "" && c.BodyRegex == "" && c.Header == nil && c.JSON == nil &&
		c.CSS == "" && c.Regex == "" && c.Cookie == "" {
		return p.Errorf(field, "give at least one of status, body_contains, text_contains, body_regex, header, json, css, regex, cookie")
	}
	if c.Status != 0 && (c.Status < 100 || c.Status > 599) {
		return p.Errorf(field+".status", "%d is not an HTTP status", c.Status)
	}
	if err := p.checkRegex(field+".body_regex", c.BodyRegex); err != nil {
		return err
	}
	if h := c.Header; h != nil {
		if !validHeaderName(h.Name) {
			return p.Errorf(field+".header.name", "%q is not a header name", h.Name)
		}
		if err := p.checkRegex(field+".header.matches", h.Matches); err != nil {
			return err
		}
		if h.Matches != "" && h.Equals != "" {
			return p.Errorf(field+".header", "give matches or equals, not both")
		}
		if err := p.notTemplate(field+".header.name", h.Name); err != nil {
			return err
		}
	}
	if j := c.JSON; j != nil {
		if j.Path == "" {
			return p.Errorf(field+".json.path", "required")
		}
		if err := p.notTemplate(field+".json.path", j.Path); err != nil {
			return err
		}
	}
	return nil
}

// validateCheckSource checks a check that takes a value as an extractor
// does (css, regex, cookie), and its equals.
func (p *Profile) validateCheckSource(field string, c *Check) error {
	n := 0
	for _, v := range []string{c.CSS, c.Regex, c.Cookie} {
		if v != "" {
			n++
		}
	}
	switch {
	case n > 1:
		return p.Errorf(field, "give at most one of css, regex and cookie")
	case c.Attr != "" && c.CSS == "":
		return p.Errorf(field+".attr", "attr goes with css")
	case c.Equals != "" && n == 0:
		return p.Errorf(field+".equals", "equals compares the value of css, regex or cookie: give one (header and json have their own equals)")
	}
	for _, f := range []struct{ name, v string }{{"css", c.CSS}, {"attr", c.Attr}, {"cookie", c.Cookie}} {
		if err := p.notTemplate(field+"."+f.name, f.v); err != nil {
			return err
		}
	}
	return p.checkRegex(field+".regex", c.Regex)
}

// notTemplate refuses {{...}} in a field that is not a template, rather
// than let it be taken literally (it would never match).
func (p *Profile) notTemplate(field, v string) error {
	if strings.Contains(v, "{{") {
		return p.Errorf(field, "%q: this field is not a template ({{...}} is taken for text only in paths, headers, bodies, expectations and checks)", v)
	}
	return nil
}

func stepIndex(field string) int {
	var i int
	if open := strings.LastIndexByte(field, '['); open >= 0 {
		fmt.Sscanf(field[open:], "[%d]", &i)
	}
	return i
}

// templateRef is a {{...}} reference.
var templateRef = regexp.MustCompile(`\{\{[^}]*\}\}`)

var varName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

func (p *Profile) validateExtractor(field string, e *Extractor) error {
	if !varName.MatchString(e.Name) {
		return p.Errorf(field+".name", "want a variable name (letters, digits, _ and -), got %q", e.Name)
	}
	n := 0
	for _, v := range []string{e.CSS, e.Regex, e.JSON, e.Cookie, e.Header} {
		if v != "" {
			n++
		}
	}
	if e.Header != "" && e.Regex != "" {
		n-- // a regex on a header's value
	}
	if n != 1 {
		return p.Errorf(field, "give exactly one of css, regex, json, cookie and header (or header with regex, to take part of a header)")
	}
	if e.Attr != "" && e.CSS == "" {
		return p.Errorf(field+".attr", "attr goes with css")
	}
	if e.All && (e.Cookie != "" || e.Header != "") {
		return p.Errorf(field+".all", "all takes every match of css, regex or json; a cookie or a header has one value")
	}
	for _, f := range []struct{ name, v string }{{"css", e.CSS}, {"attr", e.Attr}, {"regex", e.Regex}, {"json", e.JSON}, {"cookie", e.Cookie}, {"header", e.Header}} {
		if err := p.notTemplate(field+"."+f.name, f.v); err != nil {
			return err
		}
	}
	return p.checkRegex(field+".regex", e.Regex)
}

func (p *Profile) validateExpect(field string, e *Expect) error {
	for i, st := range e.Status {
		if st < 100 || st > 599 {
			return p.Errorf(fmt.Sprintf("%s.status[%d]", field, i), "%d is not an HTTP status", st)
		}
	}
	for _, f := range []struct{ name, expr string }{
		{"body_regex", e.BodyRegex}, {"location", e.Location}, {"location_not", e.LocationNot},
	} {
		if err := p.checkRegex(field+"."+f.name, f.expr); err != nil {
			return err
		}
	}
	return nil
}

// MaxSteps is how many steps (login, mix, logout and refresh together) a
// profile may have: a sample names its step in 16 bits.
const MaxSteps = 1<<16 - 1

// maxWeight bounds the sum of a mix's weights, so that picking by weight
// never overflows; only the weights' ratios count.
const maxWeight = 1 << 30

// maxRate bounds the load figures (VUs, iterations, rates): far beyond
// what one process can run, and small enough that no schedule overflows.
const maxRate = 1e9

func (p *Profile) validateMix() error {
	if len(p.Mix) == 0 {
		return p.Errorf("mix", "the mix is empty: give at least one request")
	}
	seen := map[string]int{}
	total := 0
	for i := range p.Mix {
		field := fmt.Sprintf("mix[%d]", i)
		r := &p.Mix[i]
		if r.Name == "" {
			return p.Errorf(field, "name: required (it names the request in every figure)")
		}
		if j, dup := seen[r.Name]; dup {
			return p.Errorf(field+".name", "%q is also the name of mix[%d]", r.Name, j)
		}
		seen[r.Name] = i
		if _, set := p.pos[field+".weight"]; !set {
			r.Weight = 1
		}
		if r.Weight < 0 {
			return p.Errorf(field+".weight", "must not be negative, got %d", r.Weight)
		}
		if r.Weight > maxWeight || total+r.Weight > maxWeight {
			return p.Errorf(field+".weight", "the weights add up past %d: give smaller ones (only their ratios count)", maxWeight)
		}
		total += r.Weight
		if _, set := p.pos[field+".steps"]; set && !r.Journey() {
			return p.Errorf(field+".steps", "a journey needs at least one step")
		}
		if r.Journey() {
			if err := p.validateJourney(field, r); err != nil {
				return err
			}
			continue
		}
		if err := p.validateStep(field, &r.Step, "mix"); err != nil {
			return err
		}
	}
	if total == 0 {
		return p.Errorf("mix", "every weight is 0: nothing could be sent")
	}
	return nil
}

// Think types.
const (
	ThinkNone        = "none"
	ThinkConstant    = "constant"
	ThinkUniform     = "uniform"
	ThinkExponential = "exponential"
)

// validateJourney checks a journey: no request of its own, steps with
// names unique in it, each a request and its pause.
func (p *Profile) validateJourney(field string, r *Request) error {
	if r.Path != "" || r.Method != "" || len(r.Form) > 0 || r.JSON != nil || r.Body != "" {
		return p.Errorf(field, "a journey's requests are its steps: move path, method and body into a step")
	}
	return p.validateJourneySteps(field, r.Steps, map[string]string{})
}

// validateJourneySteps checks steps of a journey at field, and the groups
// they repeat; seen holds the step names met so far in the journey.
func (p *Profile) validateJourneySteps(field string, steps []JourneyStep, seen map[string]string) error {
	for i := range steps {
		sf := fmt.Sprintf("%s.steps[%d]", field, i)
		st := &steps[i]
		if st.Name == "" {
			return p.Errorf(sf, "name: required (it names the step in every figure)")
		}
		if other, dup := seen[st.Name]; dup {
			return p.Errorf(sf+".name", "%q is also the name of %s", st.Name, other)
		}
		seen[st.Name] = sf
		if c := st.If; c != nil {
			if !varName.MatchString(c.Var) {
				return p.Errorf(sf+".if.var", "want the name of a variable, got %q", c.Var)
			}
			if err := p.checkRegex(sf+".if.matches", c.Matches); err != nil {
				return err
			}
		}
		if err := p.checkThink(sf+".think", &st.Think); err != nil {
			return err
		}
		if st.Repeat != nil {
			if err := p.validateRepeat(sf, st, seen); err != nil {
				return err
			}
			continue
		}
		if err := p.validateStep(sf, &st.Step, "mix"); err != nil {
			return err
		}
	}
	return nil
}

// validateRepeat checks a group of steps run again.
func (p *Profile) validateRepeat(field string, st *JourneyStep, seen map[string]string) error {
	rp := st.Repeat
	switch {
	case st.Path != "" || st.Method != "":
		return p.Errorf(field, "a repeat's requests are its steps: move path and method into a step")
	case (rp.Times > 0) == (rp.Over != ""):
		return p.Errorf(field+".repeat", "give times (1 or more) or over, one of them")
	case rp.Times < 0:
		return p.Errorf(field+".repeat.times", "must not be negative, got %d", rp.Times)
	case rp.Over != "" && !varName.MatchString(rp.As):
		return p.Errorf(field+".repeat.as", "over a list needs as: the variable each value goes in")
	case len(rp.Steps) == 0:
		return p.Errorf(field+".repeat.steps", "a repeat needs steps")
	}
	if rp.Over != "" {
		p.extraVars = append(p.extraVars, rp.As)
	}
	return p.validateJourneySteps(field+".repeat", rp.Steps, seen)
}

func (p *Profile) validateThink() error {
	return p.checkThink("think", &p.Think)
}

// checkThink checks a think time at field (the profile's, or a journey
// step's).
func (p *Profile) checkThink(field string, t *Think) error {
	switch t.Type {
	case "", ThinkNone:
		t.Type = ThinkNone
	case ThinkConstant:
		if t.Duration == 0 {
			return p.Errorf(field+".duration", "required for constant think time")
		}
	case ThinkUniform:
		if t.Max == 0 || t.Min > t.Max {
			return p.Errorf(field, "uniform think time needs 0 <= min <= max and max > 0 (got min %v, max %v)", t.Min.D(), t.Max.D())
		}
	case ThinkExponential:
		if t.Mean == 0 {
			return p.Errorf(field+".mean", "required for exponential think time")
		}
	default:
		return p.Errorf(field+".type", "unknown think type %q (want none, constant, uniform or exponential)", t.Type)
	}
	return nil
}

func (p *Profile) validateLoadShape() error {
	l := &p.Load
	switch l.Executor {
	case "":
		l.Executor = ConstantVUs
		if len(l.Stages) > 0 {
			l.Executor = RampingVUs
		}
	case ConstantVUs, RampingVUs, PerVUIterations, ConstantArrivalRate, RampingArrivalRate, SessionPool:
	default:
		return p.Errorf("load.executor", "unknown executor %q (want %s, %s, %s, %s, %s or %s)", l.Executor,
			ConstantVUs, RampingVUs, PerVUIterations, ConstantArrivalRate, RampingArrivalRate, SessionPool)
	}
	if l.GracefulStop == 0 {
		l.GracefulStop = Duration(DefaultGracefulStop)
	}
	return nil
}

// SetByFlag notes that a flag replaced field, so that errors about it name
// the flag rather than the file.
func (p *Profile) SetByFlag(field string) {
	if p.byFlag == nil {
		p.byFlag = map[string]bool{}
	}
	p.byFlag[field] = true
}

// CheckLoad checks the load figures once flags have been applied, and
// fills in the open model's defaults; an error names the field, or the
// flag when the flag set it or the profile has no load of its own.
func (p *Profile) CheckLoad() error {
	l := &p.Load
	at := func(field, flag string) string {
		if p.byFlag[field] {
			return flag
		}
		// A field left out of the profile's load (or a scenario's,
		// which no flag can set) is named as a field, on load's line.
		if _, ok := p.pos["load"]; ok || p.Scenario != "" {
			return field
		}
		return flag
	}
	for _, f := range []struct {
		field, flag string
		v           float64
	}{
		{"load.vus", "--vus", float64(l.VUs)}, {"load.iterations", "--iterations", float64(l.Iterations)},
		{"load.max_rps", "--max-rps", l.MaxRPS}, {"load.login_rate", "--login-rate", l.LoginRate},
		{"load.rate", "--rate", l.Rate}, {"load.start_rate", "load.start_rate", l.StartRate},
		{"load.pre_allocated_vus", "load.pre_allocated_vus", float64(l.PreAllocatedVUs)},
		{"load.max_vus", "load.max_vus", float64(l.MaxVUs)}, {"load.start_vus", "load.start_vus", float64(l.StartVUs)},
	} {
		switch {
		case math.IsNaN(f.v) || math.IsInf(f.v, 0):
			return p.Errorf(at(f.field, f.flag), "want a finite number, got %v", f.v)
		case f.v < 0:
			return p.Errorf(at(f.field, f.flag), "must not be negative, got %v", f.v)
		case f.v > maxRate:
			return p.Errorf(at(f.field, f.flag), "%v is beyond what one process can run (at most %v)", f.v, maxRate)
		}
	}
	for i, s := range l.Stages {
		if s.Target < 0 {
			return p.Errorf(at(fmt.Sprintf("load.stages[%d].target", i), "--stages"), "must not be negative")
		}
		if !l.Open() && s.Target != float64(int(s.Target)) {
			return p.Errorf(at(fmt.Sprintf("load.stages[%d].target", i), "--stages"), "a VU count must be a whole number, got %v", s.Target)
		}
	}
	if err := p.checkWarm(at); err != nil {
		return err
	}
	switch l.Executor {
	case ConstantVUs:
		if l.VUs == 0 {
			return p.Errorf(at("load.vus", "--vus"), "want at least 1 VU, got 0")
		}
		if l.Duration == 0 && l.Iterations == 0 {
			return p.Errorf(at("load.duration", "--duration"), "give a duration or a number of iterations")
		}
	case RampingVUs:
		if len(l.Stages) == 0 {
			return p.Errorf(at("load.stages", "--stages"), "ramping-vus needs stages")
		}
	case PerVUIterations:
		if l.VUs == 0 {
			return p.Errorf(at("load.vus", "--vus"), "want at least 1 VU, got 0")
		}
		if l.Iterations == 0 {
			return p.Errorf(at("load.iterations", "--iterations"), "per-vu-iterations needs the iterations each VU does")
		}
	case ConstantArrivalRate, RampingArrivalRate:
		return p.checkOpen(at)
	case SessionPool:
		return p.checkSessionPool(at)
	}
	return nil
}

func (p *Profile) checkSessionPool(at func(field, flag string) string) error {
	l := &p.Load
	if l.LoginRate <= 0 && !l.LoginRateAuto {
		return p.Errorf(at("load.login_rate", "--login-rate"), "session-pool needs a login rate above 0 (new users per second), or auto")
	}
	if l.Duration == 0 {
		return p.Errorf(at("load.duration", "--duration"), "session-pool needs a duration")
	}
	if len(p.Login) == 0 {
		return p.Errorf("load.executor", "session-pool needs a login flow: the profile has none")
	}
	if l.TimeUnit == 0 {
		l.TimeUnit = Duration(time.Second)
	}
	if l.PreAllocatedVUs == 0 {
		l.PreAllocatedVUs = max(l.VUs, 1)
	}
	if l.MaxVUs == 0 {
		l.MaxVUs = max(l.PreAllocatedVUs, 100)
	}
	if l.MaxVUs < l.PreAllocatedVUs {
		return p.Errorf(at("load.max_vus", "load.max_vus"), "max_vus %d is below pre_allocated_vus %d", l.MaxVUs, l.PreAllocatedVUs)
	}
	return nil
}

func (p *Profile) checkOpen(at func(field, flag string) string) error {
	l := &p.Load
	if l.TimeUnit == 0 {
		l.TimeUnit = Duration(time.Second)
	}
	if l.Executor == ConstantArrivalRate {
		if l.Rate <= 0 {
			return p.Errorf(at("load.rate", "--rate"), "constant-arrival-rate needs a rate above 0")
		}
		if l.Duration == 0 {
			return p.Errorf(at("load.duration", "--duration"), "constant-arrival-rate needs a duration")
		}
	} else if len(l.Stages) == 0 {
		return p.Errorf(at("load.stages", "--stages"), "ramping-arrival-rate needs stages")
	}
	if l.PreAllocatedVUs == 0 {
		l.PreAllocatedVUs = max(l.VUs, 1)
	}
	if l.MaxVUs == 0 {
		l.MaxVUs = l.PreAllocatedVUs
	}
	if l.MaxVUs < l.PreAllocatedVUs {
		return p.Errorf(at("load.max_vus", "load.max_vus"), "max_vus %d is below pre_allocated_vus %d", l.MaxVUs, l.PreAllocatedVUs)
	}
	return nil
}

// PeakVUs is the most VUs the load shape runs at once.
func (l *Load) PeakVUs() int {
	switch l.Executor {
	case RampingVUs:
		m := float64(l.StartVUs)
		for _, s := range l.Stages {
			m = max(m, s.Target)
		}
		return int(m)
	case ConstantArrivalRate, RampingArrivalRate, SessionPool:
		return max(l.MaxVUs, l.PreAllocatedVUs)
	}
	return l.VUs
}
