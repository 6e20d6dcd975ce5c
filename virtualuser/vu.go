// Package virtualuser drives one simulated user: its session (cookie jar,
// extracted variables, credentials), its login flow, and its replay of the
// request mix, measuring every exchange with net/http/httptrace.
package virtualuser

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/cohort-dev/cohort/clock"
	"github.com/cohort-dev/cohort/findings"
	"github.com/cohort-dev/cohort/metrics"
)

// Session is one simulated user's state. It is data: it can outlive the
// goroutine that drives it.
type Session struct {
	User *User
	Jar  *Jar
	Vars []string
	// Lists holds the values of variables extracted with all: true, by
	// slot (nil until one is).
	Lists     [][]string
	LoggedIn  bool
	SessionID string // the last session cookie value the server set

	header       string        // a header-carried session (session.header)
	hasCookies   bool          // the jar has been given cookies
	loginStart   time.Duration // a moment (VU.moment)
	firstPending bool          // the next mix request is the first after a login
	instance     uint8         // the backend instance that answered last (instance_header)
	// refreshAt is the moment the access token of an oauth2 login is
	// refreshed ahead of its expiry (zero: not before a 401).
	refreshAt time.Duration
}

// momentEpoch is what a session's moments count from: a moment is 8 bytes
// where a time.Time is 24, and a million warm sessions hold two each.
var momentEpoch = time.Now()

// moment is the run's time now, as a duration since momentEpoch.
func (v *VU) moment() time.Duration { return v.now().Sub(momentEpoch) }

// NewSession returns a fresh session for user over plan, its cookies
// expiring on clock c (nil: the system's).
func NewSession(plan *Plan, user *User, c clock.Clock) *Session {
	// The session and its jar are one allocation, and the system's clock
	// is not wrapped anew for each: 48 bytes fewer for each of a million
	// warm sessions.
	both := &struct {
		s Session
		j Jar
	}{}
	both.j.now = realNow
	if c != nil && c != clock.Real {
		both.j.now = c.Now
	}
	both.s = Session{User: user, Jar: &both.j, Vars: make([]string, len(plan.Vars))}
	return &both.s
}

// Hooks let the engine pace a VU without the VU knowing the load shape.
type Hooks struct {
	// WaitRequest is called before every request (the global rate cap).
	WaitRequest func(context.Context) error
	// WaitLogin is called before every login (the login rate cap).
	WaitLogin func(context.Context) error
	// LoginDone, if set, is told how each login went that ran to its end:
	// how long it took, whether it worked, and whether it failed as an
	// overloaded server's logins do (a timeout, a reset, a 5xx, a 429):
	// login_rate: auto steers by it.
	LoginDone func(d time.Duration, ok, overloaded bool)
	// Clock is the run's time: every duration measured, every wait and
	// every cookie's expiry; nil means the system's.
	Clock clock.Clock
	// Debug, if set, sees every exchange (cohort check, --http-debug).
	Debug func(Exchange)
	// Judged, if set with Debug, sees every step once judged: what it
	// extracted and how its checks went (--http-debug).
	Judged func(StepResult)
	// NoTrace sends requests without httptrace (no phases, no reuse
	// figures): for measuring what tracing costs.
	NoTrace bool
	// Findings, if set, is told what the session's cookies, ids, logins
	// and tokens show (docs/findings.md): at logins and new cookies, not
	// at every request.
	Findings *findings.Observer
}

// VU drives one session through the plan. It is not safe for concurrent
// use: it is one goroutine's.
type VU struct {
	ID   int
	plan *Plan
	rt   http.RoundTripper
	// timeoutRT is rt when it keeps request timeouts itself.
	timeoutRT TimeoutRoundTripper
	// recycler is rt when it reads answers into maps given back to it.
	recycler HeaderRecycler
	sess     *Session
	rec      *metrics.Recorder
	hooks    *Hooks
	rng      *rand.Rand
	iter     int64

	tm      *timing
	scratch []byte
	timer   clock.Timer

	// What the request loop reuses instead of allocating per request:
	// responses done with, the body's size cap, and, over a transport of
	// the VU's own, the request and its header map (made once per request
	// context: a request's context cannot be changed in place).
	spare   []*response
	limited io.LimitedReader
	// patterns holds the VU's compiled templated regular expressions, by
	// pattern slot.
	patterns []compiledPattern
	// dropped is what the jar refused of the last answer's cookies.
	dropped metrics.CookieDrops
	req     *http.Request
	reqCtx  context.Context

	// traceCtx carries the trace of tm under traceParent, reused by every
	// request while those stay the same.
	traceCtx, traceParent context.Context
	traceTiming           *timing

	// inLogin and loginStep tell takeCookies that a new session id answers
	// a later step of a login: the server rotated the id.
	inLogin   bool
	loginStep int
	// preLogin is the session id held when the login's first unsafe
	// step (its credentials, usually) was sent, and credStep that step's
	// name: a login that ends with that id did not rotate it.
	preLogin, credStep string
	// stepName is the step being sent, for the findings it shows.
	stepName string
	// loginPaid says the engine already waited the login rate cap for the
	// next login.
	loginPaid bool
	// unreachable says the last mix request found no server: refused, or
	// no such host.
	unreachable bool
	// deep says the VU logged in or opened a connection since WentDeep
	// last asked.
	deep bool
	// instances are the backend instances this VU has met, with their
	// numbers: behind a round-robin balancer the instance changes at every
	// request, and the run's registry (a lock) is asked only for a new one.
	instances []instanceSeen
}

type instanceSeen struct {
	name string
	idx  uint8
}

// NewVU returns VU id over rt, driving sess and recording into rec.
//
// hooks are shared by the VUs of a run (a copy in each would be 70 bytes
// of each of 100,000 VUs); NewVU does not change them.
func NewVU(id int, plan *Plan, rt http.RoundTripper, sess *Session, rec *metrics.Recorder, hooks *Hooks) *VU {
	if hooks.Clock == nil {
		own := *hooks
		own.Clock = clock.Real
		hooks = &own
	}
	// The mix is drawn from a seed of the clock's: on a fake clock, a test
	// sees the same picks every run.
	v := &VU{ID: id, plan: plan, rt: rt, sess: sess, rec: rec, hooks: hooks,
		rng: rand.New(rand.NewPCG(uint64(id), uint64(hooks.Clock.Now().UnixNano())))}
	v.tm = newTiming(hooks.Clock.Now)
	v.timeoutRT, _ = rt.(TimeoutRoundTripper)
	v.recycler, _ = rt.(HeaderRecycler)
	return v
}

// TimeoutRoundTripper is a transport of the VU's own that keeps a
// request's timeout itself (with connection deadlines), sparing a timer
// and a context per request.
type TimeoutRoundTripper interface {
	RoundTripTimeout(req *http.Request, timeout time.Duration) (*http.Response, error)
}

// HeaderRecycler is a transport of the VU's own that reads answers'
// headers into maps the VU gives back once it is done with an answer
// (the header of a judged, recorded step), sparing a map per answer.
type HeaderRecycler interface {
	RecycleHeader(http.Header)
}

// Session returns the VU's session.
func (v *VU) Session() *Session { return v.sess }

func (v *VU) now() time.Time { return v.hooks.Clock.Now() }

// Template environment.
func (v *VU) userValue(i int) string {
	if v.sess.User == nil || i >= len(v.sess.User.Values) {
		return ""
	}
	return v.sess.User.Values[i]
}
func (v *VU) varValue(slot int) string { return v.sess.Vars[slot] }

// listValue is a list variable's values; a variable extracted alone is a
// list of its one value (none when empty).
func (v *VU) listValue(slot int) []string {
	if slot < len(v.sess.Lists) && v.sess.Lists[slot] != nil {
		return v.sess.Lists[slot]
	}
	if x := v.sess.Vars[slot]; x != "" {
		return v.sess.Vars[slot : slot+1]
	}
	return nil
}

func (v *VU) intn(n int) int { return v.rng.IntN(n) }

// setList keeps a list variable's values.
func (s *Session) setList(slot int, list []string) {
	if s.Lists == nil {
		s.Lists = make([][]string, len(s.Vars))
	}
	s.Lists[slot] = list
}
func (v *VU) vuID() int        { return v.ID }
func (v *VU) iteration() int64 { return v.iter }
func (v *VU) cookieValue(name string) string {
	return v.sess.Jar.Value(v.plan.Base, name)
}

// StepResult is the outcome of one step, for callers that explain runs.
type StepResult struct {
	Step   *Step
	Status int
	Reason metrics.Reason
	// Problem says in words why the step failed; empty when it passed.
	Problem   string
	Checks    []CheckResult
	Extracted []Extracted
}

// runStep sends a step, judges the answer and extracts its variables.
func (v *VU) runStep(ctx context.Context, st *Step, due time.Time, flags metrics.Flags) (*response, StepResult) {
	r := v.sendStep(ctx, st, due, flags)
	return r, v.judgeStep(ctx, st, r)
}

// sendStep sends a step, keeping the body of its answer when the step or
// the profile's lost-session rule reads it.
func (v *VU) sendStep(ctx context.Context, st *Step, due time.Time, flags metrics.Flags) *response {
	keep := st.needBody || (st.Group == "mix" && v.plan.lost.body != "")
	r := v.send(ctx, st, due, keep)
	r.sample.Flags |= flags
	return r
}

// judgeStep judges a step's answer and extracts its variables.
func (v *VU) judgeStep(ctx context.Context, st *Step, r *response) StepResult {
	res := StepResult{Step: st, Status: r.status, Reason: r.reason}
	page := pageDoc{body: r.body}
	switch {
	case r.err != nil:
		if r.status != 0 {
			res.Problem = fmt.Sprintf("%s %s: answered %d, but the answer could not be read: %v", st.Method, st.Name, r.status, r.err)
		} else {
			res.Problem = fmt.Sprintf("%s %s: no response: %v", st.Method, st.Name, r.err)
		}
	case r.reason != metrics.ReasonNone:
		res.Problem = fmt.Sprintf("more than %d redirects", st.redirects)
	default:
		res.Reason, res.Problem = v.judge(st, r, &page)
		if res.Reason == metrics.ReasonNone {
			res.Reason, res.Problem, res.Extracted = v.extract(st, r, &page)
		}
		if st.oauth != oauthNone {
			res.Reason, res.Problem = v.afterOAuth(st, r, &page, res.Reason, res.Problem)
		}
	}
	if len(st.checks) > 0 && ctx.Err() == nil {
		res.Checks = v.runChecks(st, r, &page)
	}
	if v.hooks.Judged != nil {
		v.hooks.Judged(res)
	}
	return res
}

// judge checks the step's expectations on the final response.
func (v *VU) judge(st *Step, r *response, page *pageDoc) (metrics.Reason, string) {
	e := &st.expect
	if len(e.status) > 0 && !slices.Contains(e.status, r.status) {
		return metrics.ReasonStatus, fmt.Sprintf("status %d, want %v", r.status, e.status)
	}
	if len(e.status) == 0 && r.status >= 400 {
		return metrics.ReasonStatus, fmt.Sprintf("status %d", r.status)
	}
	if e.bodyContains != nil {
		v.scratch = e.bodyContains.expand(v.scratch[:0], v)
		if !bytes.Contains(r.body, v.scratch) {
			return metrics.ReasonExpectation, fmt.Sprintf("the body does not contain %q", e.bodyContains.String())
		}
	}
	if e.textContains != nil {
		v.scratch = e.textContains.expand(v.scratch[:0], v)
		if !textContains(page, v.scratch) {
			return metrics.ReasonExpectation, fmt.Sprintf("the text of the body does not contain %q", e.textContains.String())
		}
	}
	if e.bodyRegex != nil && !e.bodyRegex.match(v, r.body) {
		return metrics.ReasonExpectation, fmt.Sprintf("the body does not match %s", e.bodyRegex)
	}
	loc := r.header.Get("Location")
	if loc == "" {
		loc = r.location
	}
	if e.location != nil && !e.location.matchString(v, loc) {
		return metrics.ReasonExpectation, fmt.Sprintf("Location %q does not match %s", loc, e.location)
	}
	if e.locationNot != nil && loc != "" && e.locationNot.matchString(v, loc) {
		return metrics.ReasonExpectation, fmt.Sprintf("Location %q matches %s", loc, e.locationNot)
	}
	return metrics.ReasonNone, ""
}

func (v *VU) extract(st *Step, r *response, page *pageDoc) (metrics.Reason, string, []Extracted) {
	var got []Extracted
	for i := range st.extract {
		ex := &st.extract[i]
		var val string
		var found bool
		count := 1
		if ex.all {
			list := ex.runAll(r, page)
			if found, count = len(list) > 0, len(list); found {
				val = list[0]
				v.sess.setList(ex.slot, list)
			}
		} else {
			val, found = ex.run(r, page, v.cookieValue)
		}
		if v.hooks.Debug != nil {
			got = append(got, Extracted{Name: ex.name, Value: val, Found: found, Secret: v.plan.Secret[ex.slot], What: ex.describe(), Count: count})
		}
		if !found {
			if ex.optional {
				continue
			}
			return metrics.ReasonExtract, fmt.Sprintf("extractor %s found nothing (%s)%s", ex.name, ex.describe(), ex.hint(page)), got
		}
		v.sess.Vars[ex.slot] = val
		if v.hooks.Findings != nil && strings.Count(val, ".") == 2 {
			v.hooks.Findings.Token(st.Name, val) // perhaps a JWT
		}
	}
	return metrics.ReasonNone, "", got
}

// record records a step's final hop as judged.
func (v *VU) record(r *response, res StepResult) {
	s := r.sample
	if res.Reason != metrics.ReasonNone {
		s.Flags |= metrics.Failed
		s.Reason = res.Reason
	}
	v.rec.AddEnded(s, r.end)
}

// runFlow runs steps in order and stops at the first that fails.
func (v *VU) runFlow(ctx context.Context, steps []*Step) (bool, []StepResult) {
	var results []StepResult
	for i, st := range steps {
		v.loginStep = i
		if v.inLogin && v.credStep == "" && st.Method != http.MethodGet && st.Method != http.MethodHead {
			v.preLogin, v.credStep = v.sess.SessionID, st.Name
		}
		r, res := v.runStep(ctx, st, time.Time{}, 0)
		if ctx.Err() != nil {
			v.done(r)
			return false, results
		}
		v.record(r, res)
		v.done(r)
		results = append(results, res)
		if res.Reason != metrics.ReasonNone {
			return false, results
		}
	}
	return true, results
}

// LoginSteps runs the login flow and says how each step went.
func (v *VU) LoginSteps(ctx context.Context) (bool, []StepResult) { return v.login(ctx) }

// RunStep sends one step of the plan, records it, and says how it went.
func (v *VU) RunStep(ctx context.Context, st *Step) StepResult {
	r, res := v.runStep(ctx, st, time.Time{}, 0)
	defer v.done(r)
	v.record(r, res)
	return res
}

// LogoutSteps runs the logout flow and says how each step went.
func (v *VU) LogoutSteps(ctx context.Context) (bool, []StepResult) {
	ok, res := v.runFlow(ctx, v.plan.Logout)
	v.sess.LoggedIn = false
	return ok, res
}

// Login runs the login flow. It reports whether the session is logged in.
func (v *VU) Login(ctx context.Context) bool {
	ok, _ := v.login(ctx)
	return ok
}

// freshSession starts a login from nothing, as a browser whose session
// was lost, or whose login failed part way, starts again: an empty cookie
// jar, no session header, no variable of an earlier login (the user and
// its CSV columns stay). A retry on the old jar would meet the page the
// server sends an authenticated session (a login failed after the server
// had authenticated it) and never send its credentials again. What is
// thrown away is counted.
func (v *VU) freshSession() {
	s := v.sess
	if !s.hasCookies && s.header == "" && s.SessionID == "" && !anySet(s.Vars) {
		return // nothing to throw away: a first login
	}
	s.Jar.Reset() // in place: the jar is a part of the session's allocation
	s.hasCookies, s.header, s.SessionID = false, "", ""
	clear(s.Vars)
	clear(s.Lists)
	v.rec.Add(metrics.Sample{Kind: metrics.KindDiscarded})
}

func anySet(vars []string) bool {
	for _, x := range vars {
		if x != "" {
			return true
		}
	}
	return false
}

// WentDeep reports whether the VU logged in or opened a connection since
// the last call: the work that runs deepest on its goroutine's stack (a
// dial, a TLS handshake, an HTML page parsed), where a request over a kept
// connection runs within 4 KiB. The engine moves such a VU to a new
// goroutine between turns, so that it does not hold a stack grown for
// work it does not do again.
func (v *VU) WentDeep() bool {
	d := v.deep
	v.deep = false
	return d
}

// SkipLoginWait tells the VU that its next login's turn under the login
// rate cap was already taken for it.
func (v *VU) SkipLoginWait() { v.loginPaid = true }

func (v *VU) login(ctx context.Context) (bool, []StepResult) {
	if v.loginPaid {
		v.loginPaid = false
	} else if v.hooks.WaitLogin != nil {
		if err := v.hooks.WaitLogin(ctx); err != nil {
			return false, nil
		}
	}
	v.freshSession()
	v.deep = true
	if v.plan.oauth != nil {
		v.beginOAuth()
	}
	start := v.now()
	v.inLogin, v.preLogin, v.credStep = true, "", ""
	ok, results := v.runFlow(ctx, v.plan.Login)
	v.inLogin, v.loginStep = false, 0
	if ok && v.hooks.Findings != nil {
		v.hooks.Findings.Login(v.credStep, v.preLogin, v.sess.SessionID)
	}
	if ctx.Err() != nil {
		if len(v.plan.Login) > 0 {
			v.rec.Add(metrics.Sample{Kind: metrics.KindLoginInterrupted, Duration: v.now().Sub(start)})
		}
		return false, results
	}
	s := metrics.Sample{Kind: metrics.KindLogin, Duration: v.now().Sub(start)}
	if !ok {
		s.Flags = metrics.Failed
	}
	if v.hooks.LoginDone != nil {
		v.hooks.LoginDone(s.Duration, ok, !ok && overloaded(results))
	}
	if len(v.plan.Login) > 0 {
		v.rec.Add(s)
	}
	v.sess.LoggedIn = ok
	v.sess.loginStart, v.sess.firstPending = start.Sub(momentEpoch), ok
	return ok, results
}

// overloaded reports whether a failed login's last step failed as an
// overloaded server's requests do.
func overloaded(results []StepResult) bool {
	if len(results) == 0 {
		return false
	}
	r := results[len(results)-1]
	switch r.Reason {
	case metrics.ReasonTimeout, metrics.ReasonReset, metrics.ReasonEOF, metrics.ReasonRefused:
		return true
	}
	return r.Status >= 500 || r.Status == 429
}

// Iterate runs one iteration: log in if needed, send one request of the mix
// picked by weight, and deal with a lost session. due is when the iteration
// was meant to start (zero: now). It reports false when the VU could not
// get a session.
func (v *VU) Iterate(ctx context.Context, due time.Time) bool {
	v.iter++
	if !v.sess.LoggedIn && !v.Login(ctx) {
		return false
	}
	if v.plan.oauth != nil && v.refreshDue() && !v.refreshAhead(ctx) {
		return false
	}
	if st := v.pick(); st.journey != nil {
		v.runJourney(ctx, st.journey, due)
	} else {
		v.request(ctx, st, due, true)
	}
	if ctx.Err() != nil {
		v.rec.Add(metrics.Sample{Kind: metrics.KindInterrupted})
		return true
	}
	v.rec.Add(metrics.Sample{Kind: metrics.KindIteration})
	return true
}

func (v *VU) pick() *Step {
	if len(v.plan.Mix) == 1 {
		return v.plan.Mix[0]
	}
	n := v.rng.IntN(v.plan.totalWeight)
	i, _ := slices.BinarySearch(v.plan.cumWeight, n+1)
	return v.plan.Mix[i]
}

// request sends a mix request; on a lost session it refreshes or logs in
// again and, when retry is set, sends the request once more. It returns
// why the request failed (session_lost for a lost session), or
// ReasonNone.
func (v *VU) request(ctx context.Context, st *Step, due time.Time, retry bool) metrics.Reason {
	var flags metrics.Flags
	if v.sess.firstPending {
		flags = metrics.FirstAfterLogin
	}
	// The answer is judged and recorded by settle, beside the send rather
	// than under it: the send's stack stays shallow (see exchange).
	return v.settle(ctx, st, v.sendStep(ctx, st, due, flags), retry)
}

// settle judges and records a mix request's answer, and deals with a lost
// session; see request.
func (v *VU) settle(ctx context.Context, st *Step, r *response, retry bool) metrics.Reason {
	defer v.done(r)
	res := v.judgeStep(ctx, st, r)
	if ctx.Err() != nil {
		return metrics.ReasonNone
	}
	v.unreachable = r.reason == metrics.ReasonRefused || r.reason == metrics.ReasonDNS
	if r.err == nil && v.isLost(r) {
		if r.moved {
			v.rec.Add(metrics.Sample{Kind: metrics.KindMovedLost})
		}
		v.onLost(ctx, st, r, retry)
		return metrics.ReasonSessionLost
	}
	v.record(r, res)
	if v.sess.firstPending && res.Reason == metrics.ReasonNone {
		v.sess.firstPending = false
		v.rec.Add(metrics.Sample{Kind: metrics.KindFirstRequest, Duration: v.moment() - v.sess.loginStart})
	}
	return res.Reason
}

// runNodes runs journey steps in order (the conditions, the groups
// repeated, the pauses): the reason of the step that failed, or
// ReasonNone; done is false when ctx ended first. due is when the first
// request was due; it is cleared once that one is sent.
func (v *VU) runNodes(ctx context.Context, nodes []journeyNode, due *time.Time) (why metrics.Reason, done bool) {
	for i := range nodes {
		n := &nodes[i]
		if n.cond != nil && !v.holds(n.cond) {
			continue
		}
		if n.repeat != nil {
			why, done = v.runRepeat(ctx, n.repeat, due)
		} else {
			why = v.request(ctx, n.step, *due, false)
			*due, done = time.Time{}, ctx.Err() == nil
		}
		if !done || why != metrics.ReasonNone {
			return why, done
		}
		if !clock.Sleep(ctx, v.hooks.Clock, n.think.next(v.rng)) {
			return metrics.ReasonNone, false
		}
	}
	return metrics.ReasonNone, true
}

// runRepeat runs a group's steps times times, or once for each value of
// its list with the value in its variable.
func (v *VU) runRepeat(ctx context.Context, g *repeatGroup, due *time.Time) (metrics.Reason, bool) {
	if g.over < 0 {
		for range g.times {
			if why, done := v.runNodes(ctx, g.nodes, due); !done || why != metrics.ReasonNone {
				return why, done
			}
		}
		return metrics.ReasonNone, true
	}
	for _, x := range slices.Clone(v.listValue(g.over)) { // a step may extract the list again
		v.sess.Vars[g.as] = x
		if why, done := v.runNodes(ctx, g.nodes, due); !done || why != metrics.ReasonNone {
			return why, done
		}
	}
	return metrics.ReasonNone, true
}

// holds judges a step's condition on the VU's variables.
func (v *VU) holds(c *condition) bool {
	x := v.sess.Vars[c.slot]
	if c.re != nil {
		return c.re.MatchString(x)
	}
	return x != ""
}

// runJourney runs a journey's steps in order, each followed by its pause,
// and records the journey: its whole duration from when it was due, and,
// when a step failed, that it ended there and why. A lost session ends the
// journey too (the VU logs in again; the next iteration starts afresh).
func (v *VU) runJourney(ctx context.Context, j *Journey, due time.Time) {
	start := v.now()
	if due.IsZero() || due.After(start) {
		due = start
	}
	s := metrics.Sample{Kind: metrics.KindJourney, Series: j.Index}
	first := due
	why, done := v.runNodes(ctx, j.nodes, &first)
	if !done {
		return // cut short: the iteration is counted as interrupted
	}
	if why != metrics.ReasonNone {
		s.Flags, s.Reason = metrics.Failed, why
	}
	s.Duration = v.now().Sub(due)
	v.rec.Add(s)
}

// onLost handles a response that says the session is gone: a refresh flow
// (token expiry is normal, so that answer is not a failure) or a new login.
func (v *VU) onLost(ctx context.Context, st *Step, r *response, retry bool) {
	if len(v.plan.Refresh) > 0 {
		ok, _ := v.runFlow(ctx, v.plan.Refresh)
		if ctx.Err() != nil {
			return
		}
		if ok {
			v.rec.Add(r.sample)
			v.rec.Add(metrics.Sample{Kind: metrics.KindRefresh})
			if retry {
				v.request(ctx, st, time.Time{}, false)
			}
			return
		}
		v.rec.Add(metrics.Sample{Kind: metrics.KindRefresh, Flags: metrics.Failed})
	}
	s := r.sample
	s.Flags |= metrics.Failed
	s.Reason = metrics.ReasonSessionLost
	v.rec.Add(s)
	v.rec.Add(metrics.Sample{Kind: metrics.KindSessionLost})
	v.sess.LoggedIn = false
	if len(v.plan.Login) == 0 || !v.Login(ctx) {
		return
	}
	v.rec.Add(metrics.Sample{Kind: metrics.KindRelogin})
}

// isLost applies the plan's signs of a lost session to a mix response.
func (v *VU) isLost(r *response) bool {
	l := &v.plan.lost
	if slices.Contains(l.status, r.firstStatus) {
		return true
	}
	if l.redirect != nil && r.firstLocation != "" && l.redirect.MatchString(r.firstLocation) {
		return true
	}
	return l.body != "" && bytes.Contains(r.body, []byte(l.body))
}

// Unreachable reports whether the VU's last mix request found no server
// at all (connection refused, or no such host): the caller backs off.
func (v *VU) Unreachable() bool { return v.unreachable }

// Logout runs the logout flow of a logged-in session.
func (v *VU) Logout(ctx context.Context) {
	if len(v.plan.Logout) == 0 || !v.sess.LoggedIn {
		return
	}
	ok, _ := v.runFlow(ctx, v.plan.Logout)
	if ctx.Err() != nil {
		return
	}
	s := metrics.Sample{Kind: metrics.KindLogout}
	if !ok {
		s.Flags = metrics.Failed
	}
	v.rec.Add(s)
	v.sess.LoggedIn = false
}

// IdleRelease is the think time from which a VU lets its own connection
// go while it waits: servers close idle connections after about as long
// (Tomcat's keep-alive timeout is 20 s by default), and an idle VU should
// hold no more than its session.
const IdleRelease = 15 * time.Second

// ThinkTime flushes what the VU recorded and draws its next think time,
// at least atLeast. A VU about to think for IdleRelease or longer lets go
// of its connection, buffers and trace, so that while it waits it holds
// no more than its session.
func (v *VU) ThinkTime(atLeast time.Duration) time.Duration {
	v.rec.Flush()
	d := max(v.plan.think.next(v.rng), atLeast)
	if d >= IdleRelease {
		v.releaseIdle()
	}
	return d
}

func (v *VU) releaseIdle() {
	if own, ok := v.rt.(IdleReleaser); ok {
		own.ReleaseIdle()
	}
	if v.tm != nil && v.tm.settled() {
		v.tm = nil // made again for the next request
		v.traceCtx, v.traceParent, v.traceTiming = nil, nil, nil
	}
	v.scratch = nil
	v.timer = nil
	v.spare, v.req, v.reqCtx = nil, nil, nil
	if v.sess != nil {
		v.sess.Jar.Compact()
	}
	v.rec.Park()
}

// Wait waits d, or until ctx or stop ends. It reports false if it was cut
// short.
func (v *VU) Wait(ctx context.Context, stop <-chan struct{}, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	if v.timer == nil {
		v.timer = v.hooks.Clock.NewTimer(d)
	} else {
		v.timer.Reset(d)
	}
	select {
	case <-v.timer.C():
		return true
	case <-ctx.Done():
	case <-stop:
	}
	v.timer.Stop()
	return false
}

// IdleReleaser is a transport of the VU's own (not a pool shared with
// other VUs) that can let its connection go while the VU thinks.
type IdleReleaser interface {
	ReleaseIdle()
}

// Close flushes the VU's recorder; the VU is not used after.
func (v *VU) Close() { v.rec.Flush() }

// Bind makes the VU drive sess from now on: a few workers drive many warm
// sessions, each a Session kept as data between its turns.
func (v *VU) Bind(sess *Session) {
	v.sess = sess
	v.inLogin, v.loginStep, v.loginPaid = false, 0, false
}

// Touch sends st for the VU's session, as the mix would (a lost session is
// logged in again), to keep the session alive on the server.
func (v *VU) Touch(ctx context.Context, st *Step) {
	v.request(ctx, st, time.Time{}, false)
}

// RunJourney runs the journey of mix entry st once, as an iteration that
// picked it would (the steps' results reach Hooks.Judged); false when st
// is no journey.
func (v *VU) RunJourney(ctx context.Context, st *Step) bool {
	if st.journey == nil {
		return false
	}
	v.runJourney(ctx, st.journey, time.Time{})
	return true
}

// MixStep returns the mix request called name, or nil.
func (p *Plan) MixStep(name string) *Step {
	for _, st := range p.Mix {
		if st.Name == name {
			return st
		}
	}
	return nil
}
