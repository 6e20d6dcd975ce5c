package virtualuser

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cohort-dev/cohort/bench/target"
	"github.com/cohort-dev/cohort/metrics"
	"github.com/cohort-dev/cohort/profiles"
)

// compile builds a plan from profile YAML aimed at base.
func compile(t *testing.T, yaml, base string, columns ...string) *Plan {
	t.Helper()
	p, err := profiles.Parse("test.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	p.BaseURL = base
	if len(columns) == 0 {
		columns = []string{"username", "password"}
	}
	plan, err := Compile(p, Options{UserAgent: "cohort/test", Columns: columns})
	if err != nil {
		t.Fatal(err)
	}
	return plan
}

// harness is VUs over one plan with a collector to read back.
type harness struct {
	plan *Plan
	col  *metrics.Collector
}

func (h *harness) vu(id int, user ...string) *VU {
	u := &User{Values: append([]string(nil), user...)}
	return NewVU(id, h.plan, http.DefaultTransport, NewSession(h.plan, u, nil), h.col.NewRecorder(), &Hooks{})
}

func (h *harness) drain() *metrics.Aggregate {
	a := metrics.NewAggregate(len(h.plan.Series))
	h.col.Drain(a)
	return a
}

func newHarness(t *testing.T, yaml, base string) *harness {
	plan := compile(t, yaml, base)
	return &harness{plan: plan, col: metrics.NewCollector(plan.Series, 1)}
}

func startTarget(t *testing.T, c target.Config) (*target.Target, string) {
	t.Helper()
	tg, err := target.New(c)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(tg)
	t.Cleanup(srv.Close)
	return tg, srv.URL
}

func TestVUsHaveTheirOwnSessions(t *testing.T) {
	tg, base := startTarget(t, target.Config{})
	src, _ := profiles.BuiltinSource("spring-form")
	h := newHarness(t, string(src), base)
	ctx := context.Background()
	vus := []*VU{h.vu(1, "user1", "pass1"), h.vu(2, "user2", "pass2"), h.vu(3, "user3", "pass3")}
	for _, v := range vus {
		if !v.Login(ctx) {
			t.Fatalf("VU %d could not log in", v.ID)
		}
	}
	for round := range 3 {
		for _, v := range vus {
			if !v.Iterate(ctx, zeroTime) {
				t.Fatalf("round %d: VU %d iteration failed", round, v.ID)
			}
		}
	}
	for _, v := range vus {
		v.Close()
		ids := map[string]bool{}
		for _, c := range v.Session().Jar.Cookies(h.plan.Base) {
			if c.Name == "JSESSIONID" {
				ids[c.Value] = true
			}
		}
		if len(ids) != 1 || !ids[v.Session().SessionID] {
			t.Fatalf("VU %d jar holds %v, tracked id %q", v.ID, ids, v.Session().SessionID)
		}
	}
	if vus[0].Session().SessionID == vus[1].Session().SessionID {
		t.Fatal("two VUs share a session id")
	}
	a := h.drain()
	req, fail := a.Requests()
	if fail != 0 || a.Sessions.Logins != 3 || a.Sessions.Rotations != 3 || a.Iterations != 9 {
		t.Fatalf("requests %d failures %d sessions %+v iterations %d", req, fail, a.Sessions, a.Iterations)
	}
	if st := tg.Stats(); st.LoginsOK != 3 || st.Rotated != 3 || st.LiveSessions != 3 {
		t.Fatalf("target saw %+v", st)
	}
}

// zeroTime asks Iterate to start now.
var zeroTime time.Time

func TestExtractors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "XSRF-TOKEN", Value: "cookie-val", Path: "/"})
		w.Header().Set("X-Auth-Token", "header-val")
		fmt.Fprint(w, `<html><head><meta name="_csrf" content="meta-val"></head><body><h1> Title </h1>
<script>var token = "regex-val";</script></body></html>`)
	}))
	defer srv.Close()
	json := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"data":{"items":[{"id":"json-val"}]}}`)
	}))
	defer json.Close()
	h := newHarness(t, `
login:
  - path: /
    extract:
      - {name: meta, css: 'meta[name="_csrf"]', attr: content}
      - {name: title, css: h1}
      - {name: re, regex: 'token = "([^"]+)"'}
      - {name: ck, cookie: XSRF-TOKEN}
      - {name: hd, header: x-auth-token}
      - {name: none, css: 'input[name=missing]', optional: true}
  - path: `+json.URL+`/x
    extract:
      - {name: js, json: data.items.0.id}
mix: [{name: m, path: /}]
`, srv.URL)
	v := h.vu(1, "u", "p")
	if !v.Login(context.Background()) {
		t.Fatal("login failed")
	}
	got := map[string]string{}
	for i, name := range h.plan.Vars {
		got[name] = v.Session().Vars[i]
	}
	want := map[string]string{"meta": "meta-val", "title": "Title", "re": "regex-val", "ck": "cookie-val", "hd": "header-val", "none": "", "js": "json-val"}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %q, want %q", k, got[k], w)
		}
	}
}

func TestMissingExtractionFailsTheStep(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<form><input name="username"></form>`)
	}))
	defer srv.Close()
	h := newHarness(t, `
login:
  - name: page
    path: /login
    extract: [{name: csrf, css: 'input[name="_csrf"]', attr: value}]
mix: [{name: m, path: /}]
`, srv.URL)
	v := h.vu(1, "u", "p")
	ok, results := v.login(context.Background())
	if ok || len(results) != 1 || results[0].Reason != metrics.ReasonExtract ||
		!strings.Contains(results[0].Problem, `extractor csrf found nothing (attribute value of CSS input[name="_csrf"])`) {
		t.Fatalf("ok %v results %+v", ok, results)
	}
	v.Close()
	a := h.drain()
	if a.Sessions.LoginFailures != 1 || a.Series[0].Reasons[metrics.ReasonExtract] != 1 {
		t.Fatalf("sessions %+v reasons %v", a.Sessions, a.Series[0].Reasons)
	}
}

func TestRedirectsAreFollowedAndRecorded(t *testing.T) {
	var other *httptest.Server
	var sawAuth, sawCookie string
	other = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sawAuth, sawCookie = r.Header.Get("Authorization"), r.Header.Get("Cookie")
		fmt.Fprint(w, "elsewhere")
	}))
	defer other.Close()
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.Path)
		switch r.URL.Path {
		case "/start":
			http.SetCookie(w, &http.Cookie{Name: "JSESSIONID", Value: "A1", Path: "/"})
			http.Redirect(w, r, "/next;jsessionid=A1?x=1", http.StatusFound)
		case "/next":
			// Cross host: localhost is another host to a cookie jar.
			http.Redirect(w, r, strings.Replace(other.URL, "127.0.0.1", "localhost", 1)+"/away", http.StatusSeeOther)
		}
	}))
	defer srv.Close()
	h := newHarness(t, `
session: {cookie: JSESSIONID}
mix:
  - name: chain
    method: POST
    path: /start
    body: data
    headers: {Authorization: "Bearer secret"}
    expect: {status: [200], body_contains: elsewhere}
`, srv.URL)
	v := h.vu(1, "u", "p")
	v.sess.LoggedIn = true
	v.Iterate(context.Background(), zeroTime)
	v.Close()
	a := h.drain()
	s := a.Series[0]
	if s.Count != 3 || s.Failures != 0 {
		t.Fatalf("chain: %d requests (want every hop: 3), %d failures, statuses %v", s.Count, s.Failures, s.Status())
	}
	if fmt.Sprint(paths) != "[/start /next]" {
		t.Fatalf("paths %v: ;jsessionid= should be stripped", paths)
	}
	if sawAuth != "" || strings.Contains(sawCookie, "A1") {
		t.Fatalf("credentials crossed hosts: Authorization %q, Cookie %q", sawAuth, sawCookie)
	}
	if a.Sessions.Issued != 1 {
		t.Fatalf("ids issued %d", a.Sessions.Issued)
	}
}

func TestPhasesAndConnectionReuse(t *testing.T) {
	_, base := startTarget(t, target.Config{Basic: true})
	src, _ := profiles.BuiltinSource("basic")
	plan := compile(t, string(src), base)
	col := metrics.NewCollector(plan.Series, 1)
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	v := NewVU(1, plan, tr, NewSession(plan, &User{Values: []string{"user1", "pass1"}}, nil), col.NewRecorder(), &Hooks{})
	ctx := context.Background()
	v.Login(ctx)
	for range 10 {
		v.Iterate(ctx, zeroTime)
	}
	v.Close()
	a := metrics.NewAggregate(len(plan.Series))
	col.Drain(a)
	var reused, fresh, connects int64
	for _, s := range a.Series {
		reused += s.Reused
		fresh += s.New
		if h := s.Hists[metrics.HistConnect]; h != nil {
			connects += h.TotalCount()
		}
	}
	if fresh != 1 || reused != 9 || connects != 1 {
		t.Fatalf("new %d, reused %d, connects %d: want one new connection reused 9 times", fresh, reused, connects)
	}
}

// TestHeaderSession follows a session carried in a header (Spring Session's
// HeaderHttpSessionIdResolver), not a cookie.
func TestHeaderSession(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/login":
			w.Header().Set("X-Auth-Token", "tok-"+r.FormValue("u"))
		case r.Header.Get("X-Auth-Token") == "":
			w.WriteHeader(http.StatusUnauthorized)
		default:
			fmt.Fprint(w, r.Header.Get("X-Auth-Token"))
		}
	}))
	defer srv.Close()
	h := newHarness(t, `
session: {header: X-Auth-Token}
login: [{path: /login, form: {u: "{{user.username}}"}}]
mix: [{name: me, path: /me, expect: {body_contains: "tok-{{user.username}}"}}]
`, srv.URL)
	v := h.vu(1, "ann", "x")
	for range 3 {
		v.Iterate(context.Background(), zeroTime)
	}
	v.Close()
	a := h.drain()
	if _, fails := a.Requests(); fails != 0 || a.Sessions.Logins != 1 || a.Sessions.Issued != 1 || a.Iterations != 3 {
		t.Fatalf("failures %d sessions %+v iterations %d", fails, a.Sessions, a.Iterations)
	}
}

// TestLoginRetryStartsAfresh: a login that fails after the server has
// authenticated the session (here the page after the 303 answers 500 once)
// is retried from nothing. On the old jar the retry would get the
// protected page instead of the form, fail its first step, and never send
// the credentials again.
func TestLoginRetryStartsAfresh(t *testing.T) {
	tg, err := target.New(target.Config{ServletForm: true})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	posted, failedOnce := false, false
	var firstCookies []string // the Cookie header of each login's first request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		switch {
		case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "j_security_check"):
			posted = true
		case r.URL.Path == "/app/account" && posted && !failedOnce:
			failedOnce = true
			mu.Unlock()
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		case r.URL.Path == "/app/account" && !posted || (failedOnce && len(firstCookies) == 1):
			firstCookies = append(firstCookies, r.Header.Get("Cookie"))
		}
		mu.Unlock()
		tg.ServeHTTP(w, r)
	}))
	defer srv.Close()
	src, _ := profiles.BuiltinSource("servlet-form")
	h := newHarness(t, string(src), srv.URL)
	v := h.vu(1, "user1", "pass1")
	ctx := context.Background()
	if v.Login(ctx) {
		t.Fatal("the first login passed although its last page failed")
	}
	if !v.Login(ctx) {
		t.Fatal("the retry did not log in: it went on with the old session")
	}
	if len(firstCookies) != 2 || firstCookies[1] != "" {
		t.Fatalf("the logins' first requests carried cookies %q: the retry must start with an empty jar", firstCookies)
	}
	v.Close()
	s := h.drain().Sessions
	if s.Logins != 1 || s.LoginFailures != 1 || s.Discarded != 1 {
		t.Fatalf("sessions %+v: want 1 login, 1 failure, 1 session thrown away", s)
	}
}

// TestCredentialsStayOnTheirHost: a redirect to another host carries
// none of the credentials a step set: the Cookie and Proxy-Authorization
// headers, a header holding the password, a secret variable or a cookie's
// value, Authorization. A second listener records what it receives.
func TestCredentialsStayOnTheirHost(t *testing.T) {
	var mu sync.Mutex
	var got http.Header
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = r.Header.Clone()
		mu.Unlock()
	}))
	defer other.Close()
	first := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/login":
			http.SetCookie(w, &http.Cookie{Name: "SESSION", Value: "s3ss10n"})
			w.Header().Set("X-Token", "t0ken-secret")
		case "/go":
			// Another host name (cookies do not tell ports apart).
			http.Redirect(w, r, strings.Replace(other.URL, "127.0.0.1", "localhost", 1)+"/landing", http.StatusFound)
		}
	}))
	defer first.Close()
	h := newHarness(t, `
name: creds
session: {cookie: SESSION}
login:
  - {name: login, path: /login, extract: [{name: tok, header: X-Token, secret: true}]}
mix:
  - name: go
    path: /go
    headers:
      Cookie: "SESSION={{cookie.SESSION}}"
      Proxy-Authorization: "Basic {{user.password}}"
      Authorization: "Bearer fixed"
      X-Api-Key: "{{user.password}}"
      X-Csrf-Token: "{{vars.tok}}"
      X-Session-Copy: "{{cookie.SESSION}}"
      X-Signature: "{{hmac_sha256 user.password user.username}}"
      X-Trace: "plain-{{user.username}}"
`, first.URL)
	v := h.vu(1, "user1", "hunter2-pass")
	if !v.Iterate(context.Background(), time.Time{}) {
		t.Fatal("the iteration failed")
	}
	mu.Lock()
	defer mu.Unlock()
	if got == nil {
		t.Fatal("the redirect never reached the other host")
	}
	for _, name := range []string{"Cookie", "Proxy-Authorization", "Authorization", "X-Api-Key", "X-Csrf-Token", "X-Session-Copy", "X-Signature"} {
		if v := got.Get(name); v != "" {
			t.Errorf("%s: %q went to another host", name, v)
		}
	}
	if got.Get("X-Trace") != "plain-user1" {
		t.Errorf("X-Trace %q: a header without a credential must still go", got.Get("X-Trace"))
	}
}

// TestCookieSizesAndDrops checks that a session's cookie sizes are
// recorded without a cap (an 80 KB Cookie header is not 64 KiB) and that
// the cookies a browser would refuse are counted, not sent.
func TestCookieSizesAndDrops(t *testing.T) {
	var sent sync.Map // path → Cookie header received
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sent.Store(r.URL.Path, r.Header.Get("Cookie"))
		if r.URL.Path == "/set" {
			for i := range 20 {
				w.Header().Add("Set-Cookie", fmt.Sprintf("c%02d=%s; Path=/", i, strings.Repeat("v", 4000)))
			}
			w.Header().Add("Set-Cookie", "big="+strings.Repeat("v", 5000)+"; Path=/")
			w.Header().Add("Set-Cookie", "__Host-x=1; Path=/app")
		}
	}))
	defer srv.Close()
	h := newHarness(t, `
login:
  - path: /set
  - path: /after
mix: [{name: m, path: /}]
`, srv.URL)
	v := h.vu(1, "u", "p")
	if !v.Login(context.Background()) {
		t.Fatal("login failed")
	}
	v.Close()
	a := h.drain()
	const want = 20*4004 + 19*2 // c00=vvv...; c01=...
	if a.CookieHeader == nil || a.CookieHeader.Max() < want || a.CookieHeader.Max() > want*1001/1000 {
		t.Errorf("Cookie header max %v B, want %d", a.CookieHeader, want)
	}
	got, _ := sent.Load("/after")
	if c := got.(string); len(c) != want || strings.Contains(c, "big=") || strings.Contains(c, "__Host-") {
		t.Errorf("sent a Cookie header of %d B (big or __Host- in it: %v), want %d", len(c), strings.Contains(c, "big="), want)
	}
	if d := a.Sessions.CookiesDropped; d[metrics.DropTooLarge] != 1 || d[metrics.DropPrefix] != 1 {
		t.Errorf("dropped %v, want one too_large and one prefix", d)
	}
}

// TestUserValuesStayInTheirPlaceInURLs: a username from the CSV cannot
// change the path or the query it is put in.
func TestUserValuesStayInTheirPlaceInURLs(t *testing.T) {
	var mu sync.Mutex
	var got []string // each request's path and query, as sent
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.URL.RequestURI())
		mu.Unlock()
	}))
	defer srv.Close()
	h := newHarness(t, `
login:
  - path: /users/{{user.username}}/home?who={{user.username}}&x=1
  - path: /up/{{user.password}}
  - path: /go/{{raw user.password}}
mix: [{name: m, path: /}]
`, srv.URL)
	v := h.vu(1, "../../admin?x=1#frag", "..")
	if !v.Login(context.Background()) {
		t.Fatal("login failed")
	}
	want := []string{"/users/..%2F..%2Fadmin%3Fx=1%23frag/home?who=..%2F..%2Fadmin%3Fx%3D1%23frag&x=1", "/up/%2E%2E", "/"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("sent %q\nwant %q", got, want)
	}
}

// TestExpectationsAndChecksTakeTheUser: regular expressions are templates
// with the values quoted, text_contains and CSS text ignore how the page
// breaks its lines, equals compares an extracted value with the user, and
// a regex takes part of a header.
func TestExpectationsAndChecksTakeTheUser(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-User", "a+b")
		w.Header().Set("X-Next", "/cb?code=xyz123&state=s")
		fmt.Fprint(w, "<html><body><p>remote user\n      <b>\n        a+b\n      </b></p><script>var who = 'nobody';</script></body></html>")
	}))
	defer srv.Close()
	h := newHarness(t, `
login:
  - path: /
    expect:
      body_regex: 'remote user\s*<b>\s*{{user.username}}\s*</b>'
      text_contains: "remote user {{user.username}}"
    extract:
      - {name: code, header: X-Next, regex: 'code=([a-z0-9]+)'}
    checks:
      - {name: page names the user, css: b, equals: "{{user.username}}"}
      - {name: header names the user, header: {name: X-User, equals: "{{user.username}}"}}
      - {name: script text is not page text, text_contains: "nobody"}
      - {name: another user, css: b, equals: "a+bb"}
      - {name: regex quoted, body_regex: '<b>\s*{{user.password}}'}
mix: [{name: m, path: /}]
`, srv.URL)
	v := h.vu(1, "a+b", "a.b")
	ok, steps := v.LoginSteps(context.Background())
	if !ok {
		t.Fatalf("login failed: %s", steps[0].Problem)
	}
	if got := v.Session().Vars[0]; got != "xyz123" {
		t.Errorf("code = %q, want xyz123 (regex on a header)", got)
	}
	want := map[string]bool{"page names the user": true, "header names the user": true,
		"script text is not page text": false, "another user": false, "regex quoted": false}
	for _, c := range steps[0].Checks {
		if pass := c.Problem == ""; pass != want[c.Name] {
			t.Errorf("check %q passed %v (%s), want %v", c.Name, pass, c.Problem, want[c.Name])
		}
	}
	if len(steps[0].Checks) != len(want) {
		t.Errorf("%d checks ran, want %d", len(steps[0].Checks), len(want))
	}
}

// TestListsFollowWhatThePageLinks: an extractor with all: true takes every
// link of the page, and {{nth vars.NAME}} follows the one of the VU's
// iteration, as a user picks a product from the catalogue; a journey's
// second step uses what its first found.
func TestListsFollowWhatThePageLinks(t *testing.T) {
	var mu sync.Mutex
	var followed []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/catalogue" {
			fmt.Fprint(w, `<a class="p" href="/products/1">one</a> <a class="p" href="/products/2">two</a> <a class="p" href="/products/3">three</a>`)
			return
		}
		mu.Lock()
		followed = append(followed, r.URL.Path)
		mu.Unlock()
	}))
	defer srv.Close()
	h := newHarness(t, `
mix:
  - name: shop
    steps:
      - name: catalogue
        path: /catalogue
        extract: [{name: product, css: a.p, attr: href, all: true}]
      - name: product
        path: "{{nth vars.product}}"
`, srv.URL)
	v := h.vu(1, "u", "p")
	for range 4 {
		v.Iterate(context.Background(), time.Time{})
	}
	v.Close()
	want := []string{"/products/2", "/products/3", "/products/1", "/products/2"} // iterations 1 to 4 of a list of 3
	if strings.Join(followed, " ") != strings.Join(want, " ") {
		t.Fatalf("followed %v, want %v", followed, want)
	}
	if j := h.drain().Journeys; len(j) != 1 || j[0].Count != 4 || j[0].Failed != 0 {
		t.Fatalf("journeys %+v, want 4 run, none failed", j)
	}
}

// TestJourneyControl: a group repeated over a list (each value in its
// variable), a group repeated N times, and a step skipped when its
// condition does not hold (an empty variable, a value that does not
// match).
func TestJourneyControl(t *testing.T) {
	var mu sync.Mutex
	var sent []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		sent = append(sent, r.URL.Path)
		mu.Unlock()
		if r.URL.Path == "/catalogue" {
			fmt.Fprint(w, `<a class="p" href="/products/1">1</a><a class="p" href="/products/2">2</a><span id="status">open</span>`)
		}
	}))
	defer srv.Close()
	h := newHarness(t, `
mix:
  - name: shop
    steps:
      - name: catalogue
        path: /catalogue
        extract:
          - {name: product, css: a.p, attr: href, all: true}
          - {name: coupon, css: '#coupon', optional: true}
          - {name: status, css: '#status'}
      - name: each
        repeat:
          over: product
          as: item
          steps:
            - {name: view, path: "{{vars.item}}"}
      - name: twice
        repeat: {times: 2, steps: [{name: ping, path: /ping}]}
      - {name: coupon, path: /coupon, if: {var: coupon}}
      - {name: closed, path: /closed, if: {var: status, matches: "^closed$"}}
      - {name: open, path: /open, if: {var: status, matches: "^open$"}}
`, srv.URL)
	v := h.vu(1, "u", "p")
	v.Iterate(context.Background(), time.Time{})
	v.Close()
	want := "/catalogue /products/1 /products/2 /ping /ping /open"
	if got := strings.Join(sent, " "); got != want {
		t.Fatalf("sent %s\nwant %s", got, want)
	}
	if j := h.drain().Journeys; len(j) != 1 || j[0].Count != 1 || j[0].Failed != 0 {
		t.Fatalf("journeys %+v", j)
	}
}
