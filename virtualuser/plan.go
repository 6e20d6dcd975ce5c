package virtualuser

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/andybalholm/cascadia"

	"github.com/cohort-dev/cohort/metrics"
	"github.com/cohort-dev/cohort/profiles"
)

// Plan is a compiled profile: everything a VU needs, checked once and
// shared, read-only, by every VU.
type Plan struct {
	// Journeys are the mix's journeys, by index.
	Journeys []*Journey
	// patterns counts the templated regular expressions: each VU keeps
	// their compiled forms in as many slots.
	patterns int
	Profile  string
	Base     *url.URL
	Series   []metrics.SeriesInfo
	Login    []*Step
	Refresh  []*Step
	Logout   []*Step
	Mix      []*Step
	// Vars names the variable slots; Secret marks those never shown.
	Vars    []string
	Secret  []bool
	Columns []string
	// Checks names the profile's checks, by index.
	Checks []string
	// Scenario is the scenario the plan is of ("" without scenarios);
	// CheckScenarios and JourneyScenarios name the scenario of each check
	// and journey (nil without scenarios).
	Scenario                         string
	CheckScenarios, JourneyScenarios []string

	cumWeight     []int
	totalWeight   int
	think         think
	lost          lostRule
	sessionCookie string
	sessionHeader string
	// instanceHeader is the canonical name of the header that names the
	// backend instance ("" without one).
	instanceHeader string
	// instanceRoute takes the instance from the session id's jvmRoute.
	instanceRoute bool
	// oauth is the oauth2 login's (nil without one).
	oauth *oauthPlan
	// totpColumns are the user columns holding TOTP secrets.
	totpColumns []int
	// onlyHTTP2 fails an answer that did not come over HTTP/2
	// (http.version 2).
	onlyHTTP2   bool
	basic       bool
	stripURLIDs bool
	headers     []header
	timeout     time.Duration
	maxBody     int
}

// Step is one compiled exchange.
type Step struct {
	Name   string
	Group  string
	Method string
	Series uint16
	field  string // where the step is in the profile, for messages

	url         *Template
	fixedURL    *url.URL // the parsed URL, when the path is constant
	headers     []header
	form        []formField
	body        *Template
	contentType string
	redirects   int
	extract     []extractor
	expect      expect
	checks      []check
	needBody    bool
	journey     *Journey // set on a journey's mix entry, which is not sent itself
	oauth       oauthRole
}

type header struct {
	name  string // canonical
	val   *Template
	fixed []string // the value, when the template is constant
	// credential says the header carries a credential: by its name
	// (Cookie, Authorization, Proxy-Authorization) or by its value (the
	// user's password, a secret variable, a cookie's value). It never goes
	// to another host than the step's.
	credential bool
}

type formField struct {
	key string
	val *Template
}

type expect struct {
	status       []int
	bodyContains *Template
	textContains *Template
	bodyRegex    *pattern
	location     *pattern
	locationNot  *pattern
}

type lostRule struct {
	status   []int
	redirect *regexp.Regexp
	body     string
}

func (l *lostRule) empty() bool { return len(l.status) == 0 && l.redirect == nil && l.body == "" }

// Options are the settings of a compile that do not come from the profile.
type Options struct {
	// UserAgent is sent unless the profile sets one.
	UserAgent string
	// Columns are the user columns available to templates.
	Columns []string
	// After is the plan of the scenario before this one's, whose series,
	// checks and journeys this plan's follow: the scenarios of a run
	// number their figures in one space, and the last plan's tables
	// name them all.
	After *Plan
}

// Compile checks a profile against its users' columns and builds the plan.
// Errors are *profiles.Error, placed on the field at fault.
func Compile(p *profiles.Profile, o Options) (*Plan, error) {
	if p.BaseURL == "" {
		return nil, &profiles.Error{File: p.File, Field: "base_url", Msg: "required (set base_url in the profile, or --base-url)"}
	}
	base, err := url.Parse(p.BaseURL)
	if err != nil {
		return nil, p.Errorf("base_url", "%v", err)
	}
	pl := &Plan{
		Profile: p.Name, Base: base, Columns: o.Columns,
		sessionCookie: p.Session.Cookie, sessionHeader: p.Session.Header,
		instanceHeader: http.CanonicalHeaderKey(p.InstanceHeader), instanceRoute: p.InstanceRoute, onlyHTTP2: p.HTTP.Version == profiles.Version2,
		basic: p.Session.Basic, stripURLIDs: !p.Session.KeepURLSessionIDs,
		timeout: p.HTTP.Timeout.D(), maxBody: p.HTTP.MaxBody,
		think: newThink(p.Think),
	}
	pl.Scenario = p.Scenario
	if a := o.After; a != nil {
		pl.Series, pl.Checks, pl.Journeys = slices.Clone(a.Series), slices.Clone(a.Checks), slices.Clone(a.Journeys)
		pl.CheckScenarios, pl.JourneyScenarios = slices.Clone(a.CheckScenarios), slices.Clone(a.JourneyScenarios)
	}
	c := &compiler{p: p, pl: pl, sc: &scope{columns: o.Columns, vars: map[string]int{}}}
	c.collectVars()
	if err := c.compileHeaders(o.UserAgent); err != nil {
		return nil, err
	}
	if err := c.compileOAuth2(); err != nil {
		return nil, err
	}
	mixRedirects := profiles.DefaultRedirects
	if p.HTTP.Redirects != nil {
		mixRedirects = *p.HTTP.Redirects
	}
	groups := []struct {
		name      string
		steps     []profiles.Step
		into      *[]*Step
		redirects int
	}{
		{"login", p.Login, &pl.Login, 0},
		{"refresh", p.Session.Refresh, &pl.Refresh, 0},
		{"logout", p.Logout, &pl.Logout, 0},
	}
	for _, g := range groups {
		field := g.name
		if g.name == "refresh" {
			field = "session.refresh"
		}
		for i := range g.steps {
			st, err := c.compileStep(fmt.Sprintf("%s[%d]", field, i), g.name, &g.steps[i], g.redirects)
			if err != nil {
				return nil, err
			}
			*g.into = append(*g.into, st)
		}
	}
	for i := range p.Mix {
		var st *Step
		var err error
		if p.Mix[i].Journey() {
			st, err = c.compileJourney(fmt.Sprintf("mix[%d]", i), &p.Mix[i], mixRedirects)
		} else {
			st, err = c.compileStep(fmt.Sprintf("mix[%d]", i), "mix", &p.Mix[i].Step, mixRedirects)
		}
		if err != nil {
			return nil, err
		}
		pl.Mix = append(pl.Mix, st)
		pl.totalWeight += p.Mix[i].Weight
		pl.cumWeight = append(pl.cumWeight, pl.totalWeight)
	}
	if err := c.compileLost(); err != nil {
		return nil, err
	}
	pl.totpColumns = c.sc.totp
	return pl, nil
}

// Journey is a mix entry whose steps run in order: every step is a series
// of its own ("checkout/pay"), the journey a duration series of its own
// (by Index, into Plan.Journeys).
type Journey struct {
	Name  string
	Index uint16
	nodes []journeyNode
}

// journeyNode is one step of a journey: a request, or a group repeated;
// with its condition and the pause after it.
type journeyNode struct {
	step   *Step // nil for a group
	think  think
	cond   *condition
	repeat *repeatGroup
}

// condition runs a step when a variable is set, or matches re.
type condition struct {
	slot int
	re   *regexp.Regexp
}

// repeatGroup runs its nodes times times, or once for each value of the
// list variable in slot over, with the value in slot as.
type repeatGroup struct {
	times    int
	over, as int
	nodes    []journeyNode
}

// compileJourney makes the mix entry of a journey: a Step that is never
// sent itself, holding the journey its steps make.
func (c *compiler) compileJourney(field string, r *profiles.Request, redirects int) (*Step, error) {
	j := &Journey{Name: r.Name, Index: uint16(len(c.pl.Journeys))}
	nodes, err := c.compileNodes(field, r.Name, r.Steps, redirects)
	if err != nil {
		return nil, err
	}
	j.nodes = nodes
	c.pl.Journeys = append(c.pl.Journeys, j)
	if c.p.Scenario != "" {
		c.pl.JourneyScenarios = append(c.pl.JourneyScenarios, c.p.Scenario)
	}
	return &Step{Name: r.Name, Group: "mix", field: field, journey: j}, nil
}

func (c *compiler) compileNodes(field, journey string, steps []profiles.JourneyStep, redirects int) ([]journeyNode, error) {
	var nodes []journeyNode
	for i := range steps {
		sf := fmt.Sprintf("%s.steps[%d]", field, i)
		js := &steps[i]
		n := journeyNode{think: newThink(js.Think)}
		if cd := js.If; cd != nil {
			slot, ok := c.sc.vars[cd.Var]
			if !ok {
				return nil, c.p.Errorf(sf+".if.var", "no step extracts a variable named %q", cd.Var)
			}
			n.cond = &condition{slot: slot}
			if cd.Matches != "" {
				n.cond.re = regexp.MustCompile(cd.Matches) // the profile package checked it compiles
			}
		}
		if rp := js.Repeat; rp != nil {
			g := &repeatGroup{times: rp.Times, over: -1, as: -1}
			if rp.Over != "" {
				slot, ok := c.sc.vars[rp.Over]
				if !ok {
					return nil, c.p.Errorf(sf+".repeat.over", "no step extracts a variable named %q", rp.Over)
				}
				g.over, g.as = slot, c.sc.vars[rp.As]
			}
			inner, err := c.compileNodes(sf+".repeat", journey, rp.Steps, redirects)
			if err != nil {
				return nil, err
			}
			g.nodes, n.repeat = inner, g
			nodes = append(nodes, n)
			continue
		}
		s := js.Step
		s.Name = journey + "/" + s.Name
		st, err := c.compileStep(sf, "mix", &s, redirects)
		if err != nil {
			return nil, err
		}
		n.step = st
		nodes = append(nodes, n)
	}
	return nodes, nil
}

type compiler struct {
	p  *profiles.Profile
	pl *Plan
	sc *scope
}

// collectVars gives every extracted variable a slot, so that templates can
// refer to variables extracted by any step.
func (c *compiler) collectVars() {
	add := func(steps []profiles.Step) {
		for _, s := range steps {
			for _, e := range s.Extract {
				if slot, ok := c.sc.vars[e.Name]; ok {
					c.pl.Secret[slot] = c.pl.Secret[slot] || e.Secret
					continue
				}
				c.sc.vars[e.Name] = len(c.pl.Vars)
				c.pl.Vars = append(c.pl.Vars, e.Name)
				c.pl.Secret = append(c.pl.Secret, e.Secret)
			}
		}
	}
	add(c.p.Login)
	add(c.p.Session.Refresh)
	var addJourney func([]profiles.JourneyStep)
	addJourney = func(steps []profiles.JourneyStep) {
		for _, js := range steps {
			add([]profiles.Step{js.Step})
			if js.Repeat != nil {
				addJourney(js.Repeat.Steps)
			}
		}
	}
	for _, m := range c.p.Mix {
		add([]profiles.Step{m.Step})
		addJourney(m.Steps)
	}
	add(c.p.Logout)
	for _, name := range c.p.ExtraVars() {
		add([]profiles.Step{{Extract: []profiles.Extractor{{Name: name, Secret: slices.Contains(c.p.SecretVars(), name)}}}})
	}
}

func (c *compiler) template(field, src string) (*Template, error) {
	return c.templateEsc(field, src, escRaw)
}

// templateEsc is template with the references escaped by esc.
func (c *compiler) templateEsc(field, src string, esc escape) (*Template, error) {
	t, err := parseTemplate(src, c.sc, esc)
	if err != nil {
		return nil, c.p.Errorf(field, "%v", err)
	}
	return t, nil
}

func (c *compiler) compileHeaders(userAgent string) error {
	hs, err := c.headerList("headers", c.p.Headers)
	if err != nil {
		return err
	}
	ua := c.p.HTTP.UserAgent
	if ua == "" {
		ua = userAgent
	}
	if ua != "" && !slices.ContainsFunc(hs, func(h header) bool { return h.name == "User-Agent" }) {
		hs = append(hs, fixedHeader("User-Agent", ua))
	}
	// Compression is asked for by the VU itself in every connection mode
	// (the transports never add Accept-Encoding), so shared, per-user and
	// per-request connections carry the same request and the VU inflates
	// what comes back (readBody).
	if c.p.HTTP.Compression == profiles.CompressionGzip && !slices.ContainsFunc(hs, func(h header) bool { return h.name == "Accept-Encoding" }) {
		hs = append(hs, fixedHeader("Accept-Encoding", "gzip"))
	}
	c.pl.headers = hs
	return nil
}

func fixedHeader(name, val string) header {
	return header{name: name, val: &Template{src: val, parts: []part{{lit: val}}}, fixed: []string{val}}
}

func (c *compiler) headerList(field string, m map[string]string) ([]header, error) {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	var out []header
	for _, k := range names {
		t, err := c.template(field+"."+k, m[k])
		if err != nil {
			return nil, err
		}
		hd := header{name: http.CanonicalHeaderKey(k), val: t}
		hd.credential = credentialHeaders[hd.name] || c.fromCredential(t)
		if t.Constant() {
			hd.fixed = []string{t.expandString(nil)}
		}
		out = append(out, hd)
	}
	return out, nil
}

// credentialHeaders are the headers that carry credentials by their name;
// Go's client drops Cookie and Proxy-Authorization on a redirect to another
// host too.
var credentialHeaders = map[string]bool{"Cookie": true, "Authorization": true, "Proxy-Authorization": true}

// fromCredential says whether t puts a credential in its value: the user's
// password, a secret variable, or a cookie's value.
func (c *compiler) fromCredential(t *Template) bool {
	return slices.ContainsFunc(t.parts, c.credentialPart)
}

// credentialPart says whether a part's value comes from a credential: the
// password, a secret variable, a cookie, or a function of one
// ({{base64 user.password}}, {{hmac_sha256 user.secret vars.body}}).
func (c *compiler) credentialPart(p part) bool {
	switch {
	case p.kind == refUser && p.idx == 1,
		p.isVar() && p.idx < len(c.pl.Secret) && c.pl.Secret[p.idx],
		p.kind == refCookie:
		return true
	}
	return slices.ContainsFunc(p.args, c.credentialPart)
}

func (c *compiler) compileStep(field, group string, s *profiles.Step, redirects int) (*Step, error) {
	if len(c.pl.Series) >= profiles.MaxSteps { // a sample names its step in 16 bits
		return nil, c.p.Errorf(field, "more than %d steps in all (journeys' steps included)", profiles.MaxSteps)
	}
	name := s.Name
	if s.Field != "" {
		field = s.Field // a step the profile's oauth2 section made
	}
	st := &Step{Name: name, Group: group, Method: s.Method, field: field, redirects: redirects,
		Series: uint16(len(c.pl.Series)), oauth: oauthRoles[s.OAuth2Role]}
	// The provider's page is read for its form, a refused token request
	// for the provider's error.
	st.needBody = st.oauth == oauthAuthorize || st.oauth == oauthToken
	c.pl.Series = append(c.pl.Series, metrics.SeriesInfo{Name: name, Method: s.Method, Group: group, Scenario: c.p.Scenario})
	if s.Redirects != nil {
		st.redirects = *s.Redirects
	}
	var err error
	if st.url, err = c.templateEsc(field+".path", s.Path, escURL); err != nil {
		return nil, err
	}
	if st.url.Constant() {
		u, err := c.pl.Base.Parse(s.Path)
		if err != nil {
			return nil, c.p.Errorf(field+".path", "%v", err)
		}
		if c.pl.stripURLIDs {
			stripSessionID(u)
		}
		st.fixedURL = u
	}
	if st.headers, err = c.headerList(field+".headers", s.Headers); err != nil {
		return nil, err
	}
	if err := c.compileBody(field, s, st); err != nil {
		return nil, err
	}
	for i := range s.Extract {
		ex, err := c.compileExtractor(fmt.Sprintf("%s.extract[%d]", field, i), &s.Extract[i])
		if err != nil {
			return nil, err
		}
		st.extract = append(st.extract, ex)
		st.needBody = st.needBody || ex.needsBody()
	}
	if err := c.compileExpect(field+".expect", &s.Expect, st); err != nil {
		return nil, err
	}
	for i := range s.Checks {
		ch, err := c.compileCheck(fmt.Sprintf("%s.checks[%d]", field, i), &s.Checks[i])
		if err != nil {
			return nil, err
		}
		st.checks = append(st.checks, ch)
		st.needBody = st.needBody || ch.needsBody()
	}
	return st, nil
}

func (c *compiler) compileBody(field string, s *profiles.Step, st *Step) error {
	switch {
	case len(s.Form) > 0:
		keys := make([]string, 0, len(s.Form))
		for k := range s.Form {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			t, err := c.template(field+".form."+k, s.Form[k])
			if err != nil {
				return err
			}
			st.form = append(st.form, formField{key: k, val: t})
		}
		st.contentType = "application/x-www-form-urlencoded"
	case s.JSON != nil:
		t, err := jsonTemplate(s.JSON, c.sc)
		if err != nil {
			return c.p.Errorf(field+".json", "%v", err)
		}
		st.body, st.contentType = t, "application/json"
	case s.Body != "":
		t, err := c.template(field+".body", s.Body)
		if err != nil {
			return err
		}
		st.body = t
	}
	return nil
}

func (c *compiler) compileExpect(field string, e *profiles.Expect, st *Step) error {
	st.expect.status = e.Status
	if e.BodyContains != "" {
		t, err := c.template(field+".body_contains", e.BodyContains)
		if err != nil {
			return err
		}
		st.expect.bodyContains = t
		st.needBody = true
	}
	if e.TextContains != "" {
		t, err := c.template(field+".text_contains", e.TextContains)
		if err != nil {
			return err
		}
		st.expect.textContains = t
		st.needBody = true
	}
	var err error
	for _, f := range []struct {
		name, src string
		into      **pattern
	}{{"body_regex", e.BodyRegex, &st.expect.bodyRegex}, {"location", e.Location, &st.expect.location}, {"location_not", e.LocationNot, &st.expect.locationNot}} {
		if f.src == "" {
			continue
		}
		if *f.into, err = c.pattern(field+"."+f.name, f.src); err != nil {
			return err
		}
	}
	if e.BodyRegex != "" {
		st.needBody = true
	}
	return nil
}

// compileLost takes the profile's signs of a lost session or, when it gives
// none, infers them from the login flow: a 401, or a redirect to the first
// login step's path.
func (c *compiler) compileLost() error {
	l := c.p.Session.Lost
	c.pl.lost = lostRule{status: l.Status, body: l.BodyContains}
	if l.RedirectTo != "" {
		c.pl.lost.redirect = regexp.MustCompile(l.RedirectTo)
	}
	if c.pl.lost.empty() && len(c.p.Login) > 0 {
		c.pl.lost.status = []int{http.StatusUnauthorized}
		if path := c.p.Login[0].Path; !strings.Contains(path, "{{") {
			if u, err := url.Parse(path); err == nil {
				c.pl.lost.redirect = regexp.MustCompile(regexp.QuoteMeta(u.Path) + `(\?.*)?$`)
			}
		}
	}
	return nil
}

// compileSelector checks a CSS selector as goquery will use it.
func compileSelector(sel string) (cascadia.Selector, error) {
	return cascadia.Compile(sel)
}
