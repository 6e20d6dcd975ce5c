package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/cohort-dev/cohort/engine"
	"github.com/cohort-dev/cohort/findings"
	"github.com/cohort-dev/cohort/metrics"
	"github.com/cohort-dev/cohort/profiles"
	"github.com/cohort-dev/cohort/transport"
	"github.com/cohort-dev/cohort/virtualuser"
)

// runCheck takes one VU through the login and one request of each mix
// entry, explaining every step: the first thing to run against a new
// application.
func runCheck(ctx context.Context, e *env, args []string) int {
	f := newRunFlags()
	if code, ok := parseFlags(e, f.fs, args); !ok {
		return code
	}
	p, err := f.prepareWith(e, func(prof *profiles.Profile) {
		prof.Load = profiles.Load{Executor: profiles.ConstantVUs, VUs: 1, Iterations: 1, GracefulStop: prof.Load.GracefulStop}
	})
	if p != nil && p.demo != nil {
		defer p.demo.Close(context.Background())
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "cohort check: %v\n", err)
		return exitCode(err)
	}
	pool, err := transport.NewPool(transport.Config{Mode: transport.PerUser, VUs: 1, Insecure: f.insecure,
		CAFile: f.ca, CAPEM: p.demoCA, Proxy: f.proxy, Network: p.demoNet, Version: p.profile.HTTP.Version})
	if err != nil {
		fmt.Fprintf(e.stderr, "cohort check: %v\n", err)
		return exitUsage
	}
	defer pool.Close()
	if len(p.scenarios) == 0 {
		return checkOne(ctx, e, f, p, pool, p.plan, p.users, "")
	}
	// Each scenario has its own login and mix: each is walked, by a VU
	// of its own, and the worst verdict is the check's.
	code := exitOK
	for i, s := range p.scenarios {
		if i > 0 {
			fmt.Fprintln(e.stdout)
		}
		code = max(code, checkOne(ctx, e, f, p, pool, s.plan, s.users, s.profile.Scenario))
	}
	return code
}

// checkOne walks one VU of plan (a scenario's, named scenario) through
// its login, each mix entry and its logout.
func checkOne(ctx context.Context, e *env, f *runFlags, p *prepared, pool *transport.Pool, plan *virtualuser.Plan, users *virtualuser.UserPool, scenario string) int {
	user, err := users.Acquire()
	if err != nil {
		fmt.Fprintf(e.stderr, "cohort check: %v\n", err)
		return exitUsage
	}
	defer users.Release(user)
	c := &checker{w: e.stdout, probeCSRF: f.probeCSRF}
	if f.findings {
		c.found = findings.NewObserver()
	}
	v, release, err := engine.NewVU(engine.Config{Plan: plan, Pool: pool, Collector: metrics.NewCollector(plan.Series, 1), Clock: e.clock, Findings: c.found,
		Debug:     func(_ *virtualuser.VU, x virtualuser.Exchange) { c.exchange(x) },
		DebugStep: func(_ *virtualuser.VU, res virtualuser.StepResult) { c.judged = append(c.judged, res) }}, 1, user)
	if err != nil {
		fmt.Fprintf(e.stderr, "cohort check: %v\n", err)
		return exitUsage
	}
	defer release()
	c.vu = v
	of := ""
	if scenario != "" {
		of = ", scenario " + scenario
	}
	as := ", as user " + user.Name()
	if user.Name() == "" {
		as = ", as no user (the profile has no users)"
	}
	fmt.Fprintf(e.stdout, "cohort check: profile %s%s against %s%s\n", p.profile.Name, of, plan.Base, as)
	return c.walk(ctx, plan)
}

// checker prints each step of one VU as it goes.
type checker struct {
	w            io.Writer
	vu           *virtualuser.VU
	exchanges    []virtualuser.Exchange
	judged       []virtualuser.StepResult // the steps of a journey run, as judged
	passed       int
	failed       int
	checksFailed int
	// found gathers the session findings (nil: --findings=false);
	// probeCSRF sends one unsafe request without its token.
	found     *findings.Observer
	probeCSRF bool
}

func (c *checker) exchange(x virtualuser.Exchange) { c.exchanges = append(c.exchanges, x) }

func (c *checker) walk(ctx context.Context, plan *virtualuser.Plan) int {
	if len(plan.Login) > 0 {
		fmt.Fprintln(c.w, "\nlogin")
		ok, results := c.vu.LoginSteps(ctx)
		c.report(results)
		if !ok {
			fmt.Fprintln(c.w, "\nthe login failed: the mix was not tried (it needs a session)")
			return c.verdict()
		}
	}
	fmt.Fprintln(c.w, "\nmix (one request of each entry, every step of each journey)")
	for _, st := range plan.Mix {
		c.judged = c.judged[:0]
		if c.vu.RunJourney(ctx, st) {
			fmt.Fprintf(c.w, "  journey %s\n", st.Name)
			c.report(slices.Clone(c.judged))
			continue
		}
		c.report([]virtualuser.StepResult{c.vu.RunStep(ctx, st)})
	}
	if c.probeCSRF {
		c.csrfProbe(ctx, plan)
	}
	if len(plan.Logout) > 0 {
		fmt.Fprintln(c.w, "\nlogout")
		if c.found == nil {
			_, results := c.vu.LogoutSteps(ctx)
			c.report(results)
		} else {
			_, results, probe := c.vu.ProbeLogout(ctx, plan.ProbeStep())
			c.report(results)
			c.logoutProbe(probe)
		}
	}
	c.writeSessionFindings()
	return c.verdict()
}

// csrfProbe sends the first unsafe request of the mix without its CSRF
// token (--probe-csrf): the server should refuse it.
func (c *checker) csrfProbe(ctx context.Context, plan *virtualuser.Plan) {
	st, left := plan.CSRFProbe()
	fmt.Fprintln(c.w, "\nCSRF probe (--probe-csrf)")
	if st == nil {
		fmt.Fprintln(c.w, "  no unsafe request of the mix sends a CSRF token: nothing to probe")
		return
	}
	res := c.vu.RunStep(ctx, st)
	c.printProbe(st, fmt.Sprintf("%s %s without its %s", st.Method, st.Name, left))
	switch {
	case res.Status == http.StatusForbidden:
		fmt.Fprintf(c.w, "      refused with 403: CSRF protection is enforced\n")
		c.found.Note(findings.CSRFEnforced, findings.Info, st.Name, fmt.Sprintf("%s sent without its %s was refused with 403", st.Name, left))
	case res.Status >= 200 && res.Status < 400:
		fmt.Fprintf(c.w, "      answered %d: the server took an unsafe request without its CSRF token\n", res.Status)
		c.found.Note(findings.CSRFNotEnforced, findings.High, st.Name, fmt.Sprintf("%s sent without its %s was answered %d: another site can make a logged-in browser send it", st.Name, left, res.Status))
	default:
		fmt.Fprintf(c.w, "      answered %d: neither a refusal (403) nor a success, so it says nothing of CSRF\n", res.Status)
	}
}

// logoutProbe says whether the cookies of a logged-out session still
// worked.
func (c *checker) logoutProbe(p virtualuser.LogoutProbe) {
	if !p.Probed {
		return
	}
	st := p.Result.Step
	c.printProbe(st, fmt.Sprintf("%s %s again with the cookies held before the logout", st.Method, st.Name))
	switch {
	case p.Alive:
		fmt.Fprintln(c.w, "      answered as logged in: the logout did not end the session on the server")
		c.found.Note(findings.LogoutKeepsSession, findings.High, st.Name,
			"after the logout, "+st.Name+" with the session's old cookies was answered as logged in: a copied cookie outlives the logout")
	case p.Ended:
		fmt.Fprintln(c.w, "      answered as a lost session: the logout ended it")
		c.found.Note(findings.LogoutEndsSession, findings.Info, st.Name, "after the logout, the session's old cookies were answered as a lost session")
	default:
		fmt.Fprintf(c.w, "      %s: says nothing of the logout\n", p.Result.Problem)
	}
}

// printProbe prints a probe's line and its exchanges, which count as
// neither passed nor failed steps.
func (c *checker) printProbe(st *virtualuser.Step, what string) {
	fmt.Fprintf(c.w, "  probe: %s\n", what)
	m := c.vu.NewMasker()
	for _, x := range c.takeExchanges(st) {
		writeExchange(c.w, m, x, "      ")
	}
	c.judged = c.judged[:0]
}

// writeSessionFindings prints what the walk showed of the session's
// security, after the steps.
func (c *checker) writeSessionFindings() {
	if c.found == nil {
		return
	}
	fs := c.found.Findings()
	fmt.Fprintln(c.w, "\nsession findings (docs/findings.md)")
	if len(fs) == 0 {
		fmt.Fprintln(c.w, "  nothing to judge: no session cookie (session.cookie), id or token was seen")
	}
	for _, f := range fs {
		fmt.Fprintf(c.w, "  %-6s %s: %s\n", f.Severity, f.Kind, f.Evidence)
	}
}

// verdict ends the walk: exit 0 only when every step and every check
// passed.
func (c *checker) verdict() int {
	checks := ""
	if c.checksFailed > 0 {
		checks = fmt.Sprintf("; %d checks failed", c.checksFailed)
	}
	if c.failed == 0 && c.checksFailed == 0 {
		fmt.Fprintf(c.w, "\nall %d steps passed\n", c.passed)
		return exitOK
	}
	if c.failed == 0 {
		fmt.Fprintf(c.w, "\nall %d steps passed%s\n", c.passed, checks)
		return exitFailed
	}
	fmt.Fprintf(c.w, "\n%d of %d steps failed%s\n", c.failed, c.passed+c.failed, checks)
	return exitFailed
}

// report prints the steps, with the exchanges each made.
func (c *checker) report(results []virtualuser.StepResult) {
	m := c.vu.NewMasker()
	for _, res := range results {
		mine := c.takeExchanges(res.Step)
		mark := "✔"
		if res.Problem != "" {
			mark = "✘"
			c.failed++
		} else {
			c.passed++
		}
		fmt.Fprintf(c.w, "  %s %s\n", mark, res.Step.Name)
		for _, x := range mine {
			writeExchange(c.w, m, x, "      ")
		}
		c.checksFailed += writeFindings(c.w, m, res, "      ")
		if res.Problem != "" {
			fmt.Fprintf(c.w, "      problem: %s\n", m.Mask(explain(res, mine)))
		}
	}
}

// takeExchanges takes the exchanges of one sending of st: its request
// and the redirects it followed. A step sent again (a journey's repeat)
// has its exchanges taken by its next result.
func (c *checker) takeExchanges(st *virtualuser.Step) []virtualuser.Exchange {
	var mine []virtualuser.Exchange
	rest := c.exchanges[:0]
	taking, done := false, false
	for _, x := range c.exchanges {
		switch {
		case !done && x.Step == st && (x.Hop == 0 && !taking || x.Hop > 0 && taking):
			taking = true
			mine = append(mine, x)
		default:
			done = done || taking
			rest = append(rest, x)
		}
	}
	c.exchanges = rest
	return mine
}

// writeFindings prints what a step extracted and how its checks went,
// values masked as everywhere else; it returns how many checks failed.
func writeFindings(w io.Writer, m *virtualuser.Masker, res virtualuser.StepResult, indent string) int {
	for _, ex := range res.Extracted {
		switch {
		case !ex.Found:
			fmt.Fprintf(w, "%sextracted %s: nothing (%s)\n", indent, ex.Name, ex.What)
		case virtualuser.Masked(ex.Value, ex.Secret):
			fmt.Fprintf(w, "%sextracted %s = %s (%s)\n", indent, ex.Name, virtualuser.MaskValue(ex.Value), ex.What)
		default:
			fmt.Fprintf(w, "%sextracted %s = %q (%s)\n", indent, ex.Name, m.Mask(ex.Value), ex.What)
		}
		if ex.Found && ex.Count > 1 {
			fmt.Fprintf(w, "%s  a list of %d values (all: true); the first shown\n", indent, ex.Count)
		}
	}
	failed := 0
	for _, ch := range res.Checks {
		if ch.Problem == "" {
			fmt.Fprintf(w, "%scheck %q passed\n", indent, ch.Name)
		} else {
			fmt.Fprintf(w, "%scheck %q failed: %s\n", indent, ch.Name, m.Mask(ch.Problem))
			failed++
		}
	}
	return failed
}

// writeExchange prints one request and its answer, secrets masked.
func writeExchange(w io.Writer, m *virtualuser.Masker, x virtualuser.Exchange, indent string) {
	line := x.Method + " " + m.Mask(x.URL)
	if len(x.FormFields) > 0 {
		line += " [form: " + strings.Join(x.FormFields, ", ") + "]"
	}
	switch {
	case x.Err != nil:
		fmt.Fprintf(w, "%s%s → no response: %v\n", indent, line, x.Err)
	default:
		fmt.Fprintf(w, "%s%s → %d in %.1f ms", indent, line, x.Status, float64(x.Duration.Microseconds())/1000)
		if loc := x.Received.Get("Location"); loc != "" {
			fmt.Fprintf(w, ", Location %s", m.Mask(loc))
		}
		fmt.Fprintln(w)
	}
	if names := cookieNames(x.Sent.Values("Cookie")); len(names) > 0 {
		fmt.Fprintf(w, "%s  sent cookies: %s\n", indent, strings.Join(names, ", "))
	}
	for _, h := range []string{"Authorization", "X-Csrf-Token", "X-Xsrf-Token"} {
		if v := x.Sent.Get(h); v != "" {
			fmt.Fprintf(w, "%s  sent %s: %s\n", indent, h, maskHeader(v))
		}
	}
	for _, sc := range x.Received.Values("Set-Cookie") {
		if ck, err := http.ParseSetCookie(sc); err == nil {
			attrs := strings.TrimPrefix(sc[strings.IndexByte(sc+";", ';'):], ";")
			fmt.Fprintf(w, "%s  set cookie %s=%s%s\n", indent, ck.Name, virtualuser.MaskValue(ck.Value), attrSuffix(attrs))
		}
	}
	var dropped []string
	for why, n := range x.CookiesDropped {
		if n > 0 {
			dropped = append(dropped, fmt.Sprintf("%d %s", n, metrics.CookieDrop(why)))
		}
	}
	if len(dropped) > 0 {
		fmt.Fprintf(w, "%s  cookies the jar refused, as a browser would: %s\n", indent, strings.Join(dropped, ", "))
	}
	if len(x.EmptyVars) > 0 {
		fmt.Fprintf(w, "%s  sent with empty variables: %s\n", indent, strings.Join(x.EmptyVars, ", "))
	}
}

func attrSuffix(attrs string) string {
	attrs = strings.TrimSpace(attrs)
	if attrs == "" {
		return ""
	}
	return " (" + attrs + ")"
}

func cookieNames(lines []string) []string {
	var names []string
	for _, l := range lines {
		for _, part := range strings.Split(l, ";") {
			if name, _, ok := strings.Cut(strings.TrimSpace(part), "="); ok && !slices.Contains(names, name) {
				names = append(names, name)
			}
		}
	}
	return names
}

func maskHeader(v string) string {
	if scheme, cred, ok := strings.Cut(v, " "); ok && (scheme == "Bearer" || scheme == "Basic") {
		return scheme + " " + virtualuser.MaskValue(cred)
	}
	return virtualuser.MaskValue(v)
}

func shorten(s string) string {
	if len(s) > 60 {
		return s[:40] + "…(" + fmt.Sprint(len(s)) + " chars)"
	}
	return s
}

// explain turns a failed step into plain words: what happened, and the
// likely cause.
func explain(res virtualuser.StepResult, xs []virtualuser.Exchange) string {
	if len(xs) == 0 {
		return res.Problem
	}
	last := xs[len(xs)-1]
	first := xs[0]
	what := fmt.Sprintf("%d after %s %s", last.Status, first.Method, pathOf(first.URL))
	if last.Err != nil {
		return fmt.Sprintf("no response to %s %s: %v", first.Method, pathOf(first.URL), last.Err)
	}
	var cause []string
	switch {
	case last.Status >= 400 && virtualuser.OAuthError([]byte(last.Body)) != "":
		// The problem names the provider's error already; a 401
		// invalid_client is a client refused, not a missing session.
	case last.Status == http.StatusForbidden && strings.Contains(strings.ToLower(last.Body), "csrf"):
		cause = append(cause, "the server rejected the CSRF token")
		if msg := csrfReason(last.Body); msg != "" {
			cause = append(cause, msg)
		}
	case last.Status == http.StatusUnauthorized:
		cause = append(cause, "the request was not authenticated: no session cookie or token the server accepts")
	case last.Status == http.StatusNotFound:
		cause = append(cause, "the path does not exist on this server")
	case strings.Contains(last.Received.Get("Location"), "error"):
		cause = append(cause, "the login was refused: the server sent the client back to "+last.Received.Get("Location")+" (bad credentials?)")
	}
	for _, v := range first.EmptyVars {
		cause = append(cause, fmt.Sprintf("{{vars.%s}} was empty when the request was sent", v))
	}
	if len(cause) == 0 {
		return what + ": " + res.Problem
	}
	return what + ": " + strings.Join(cause, "; ") + " (" + res.Problem + ")"
}

func csrfReason(body string) string {
	i := strings.Index(body, "Invalid CSRF token")
	if i < 0 {
		return ""
	}
	msg := body[i:]
	if j := strings.IndexAny(msg, "\"<\n"); j > 0 {
		msg = msg[:j]
	}
	return msg
}

func pathOf(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		if j := strings.IndexByte(u[i+3:], '/'); j >= 0 {
			return u[i+3+j:]
		}
	}
	return u
}

// debugPrinter logs every exchange of one VU for --http-debug, secrets
// masked.
type debugPrinter struct {
	mu sync.Mutex
	w  io.Writer
}

// step logs what a judged step extracted and how its checks went.
func (d *debugPrinter) step(v *virtualuser.VU, res virtualuser.StepResult) {
	if len(res.Extracted) == 0 && len(res.Checks) == 0 && res.Problem == "" {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	m := v.NewMasker()
	fmt.Fprintf(d.w, "[http-debug] %s judged:\n", res.Step.Name)
	writeFindings(d.w, m, res, "  ")
	if res.Problem != "" {
		fmt.Fprintf(d.w, "  problem: %s\n", m.Mask(res.Problem))
	}
}

func (d *debugPrinter) exchange(v *virtualuser.VU, x virtualuser.Exchange) {
	d.mu.Lock()
	defer d.mu.Unlock()
	m := v.NewMasker()
	fmt.Fprintf(d.w, "[http-debug] %s:\n", x.Step.Name)
	writeExchange(d.w, m, x, "  ")
	if x.Body != "" {
		fmt.Fprintf(d.w, "  body: %s\n", m.Mask(shorten(x.Body)))
	}
}
