package target

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

func TestCSRFMaskedPerResponseAndBothAccepted(t *testing.T) {
	tt := startTarget(t, Config{})
	b := newBrowser(t, tt.url)
	first := csrfFrom(t, b.get("/login", htmlAccept).body)
	second := csrfFrom(t, b.get("/login", htmlAccept).body)
	if first == second {
		t.Fatalf("two login pages carried the same _csrf %q; want a fresh mask per response", first)
	}
	if tt.Stats().Created != 1 {
		t.Fatalf("sessions created = %d, want 1 (the second page reuses the session)", tt.Stats().Created)
	}
	// Both values pass, the newer and the older: the server unmasks them.
	// A wrong password gets past CSRF (302 to the error page, not 403).
	r := b.postForm("/login", url.Values{"username": {"user1"}, "password": {"wrong"}, "_csrf": {second}})
	wantStatus(t, "login with the second page's token", r, http.StatusFound)
	if loc := r.header.Get("Location"); loc != "/login?error" {
		t.Fatalf("Location = %q, want /login?error", loc)
	}
	r = b.postForm("/login", url.Values{"username": {"user1"}, "password": {"pass1"}, "_csrf": {first}})
	wantStatus(t, "login with the first page's token", r, http.StatusFound)
	if loc := r.header.Get("Location"); loc != "/" {
		t.Fatalf("Location = %q, want /", loc)
	}
}

func TestCSRFRejected(t *testing.T) {
	tt := startTarget(t, Config{})
	other := newBrowser(t, tt.url)
	othersToken := csrfFrom(t, other.get("/login", htmlAccept).body)
	cases := []struct {
		name  string
		token func(page string) (string, bool) // value, whether to send it
		why   string
	}{
		{"missing", func(string) (string, bool) { return "", false }, "no token was sent"},
		{"garbage", func(string) (string, bool) { return "not-a-token", true }, "does not match"},
		{"another session's", func(string) (string, bool) { return othersToken, true }, "does not match"},
		{"unmasked raw token", func(page string) (string, bool) {
			raw, _ := unmaskToken(csrfFrom(t, page))
			return raw, true
		}, "does not match"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := newBrowser(t, tt.url)
			page := b.get("/login", htmlAccept).body
			form := url.Values{"username": {"user1"}, "password": {"pass1"}}
			if v, send := c.token(page); send {
				form.Set("_csrf", v)
			}
			r := b.postForm("/login", form)
			wantStatus(t, "POST /login", r, http.StatusForbidden)
			if !strings.Contains(r.body, "Invalid CSRF token") || !strings.Contains(r.body, c.why) {
				t.Fatalf("body %q, want it to say Invalid CSRF token and %q", r.body, c.why)
			}
			if r.header.Get("Location") != "" {
				t.Fatal("a CSRF failure must not redirect")
			}
		})
	}
	if got := tt.Stats().LoginsOK + tt.Stats().LoginsFailed; got != 0 {
		t.Fatalf("%d credential checks ran; CSRF must be checked before authentication", got)
	}
}

func TestLoginRotatesSessionID(t *testing.T) {
	tt := startTarget(t, Config{})
	b := newBrowser(t, tt.url)
	b.get("/login", htmlAccept)
	before := b.cookie("JSESSIONID")
	r := b.login("user4", "pass4")
	wantStatus(t, "login", r, http.StatusFound)
	after := b.cookie("JSESSIONID")
	if before == "" || after == "" || before == after {
		t.Fatalf("session id before %q, after %q: want a new id at login", before, after)
	}
	if got := tt.Stats().Rotated; got != 1 {
		t.Fatalf("rotations = %d, want 1", got)
	}
	// The old id is dead: an attacker who planted it learns nothing.
	attacker := newBrowser(t, tt.url)
	r = attacker.get("/api/profile", map[string]string{"Accept": "application/json", "Cookie": "JSESSIONID=" + before})
	wantStatus(t, "profile with the pre-login id", r, http.StatusUnauthorized)
	r = b.get("/api/profile", jsonAccept)
	wantStatus(t, "profile", r, http.StatusOK)
	if r.body != `{"username":"user4","auth":"session"}` {
		t.Fatalf("profile = %s", r.body)
	}
}

func TestSavedRequestRedirect(t *testing.T) {
	cases := []struct{ path, want string }{
		{"/account", "/account?continue"},
		{"/account?tab=orders", "/account?tab=orders&continue"},
		{"/", "/?continue"},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			tt := startTarget(t, Config{})
			b := newBrowser(t, tt.url)
			r := b.get(c.path, htmlAccept)
			wantStatus(t, "protected page", r, http.StatusFound)
			if loc := r.header.Get("Location"); loc != tt.url+"/login" {
				t.Fatalf("entry point Location = %q, want %q", loc, tt.url+"/login")
			}
			r = b.login("user3", "pass3")
			wantStatus(t, "login", r, http.StatusFound)
			if loc := r.header.Get("Location"); loc != tt.url+c.want {
				t.Fatalf("after login Location = %q, want %q", loc, tt.url+c.want)
			}
			page := b.get(r.header.Get("Location"), htmlAccept)
			wantStatus(t, "saved page", page, http.StatusOK)
			if !strings.Contains(page.body, "Logged in as user3") {
				t.Fatalf("page does not name user3:\n%s", page.body)
			}
			// The saved request is used once.
			r = b.login("user3", "pass3")
			if loc := r.header.Get("Location"); loc != "/" {
				t.Fatalf("second login Location = %q, want /", loc)
			}
		})
	}
}

func TestBadCredentials(t *testing.T) {
	cases := []struct{ user, pass string }{
		{"user1", "pass2"}, {"user1", ""}, {"admin", "pass"}, {"user", "pass"}, {"userx", "passx"},
	}
	tt := startTarget(t, Config{})
	for _, c := range cases {
		t.Run(c.user+"/"+c.pass, func(t *testing.T) {
			b := newBrowser(t, tt.url)
			r := b.login(c.user, c.pass)
			wantStatus(t, "login", r, http.StatusFound)
			if loc := r.header.Get("Location"); loc != "/login?error" {
				t.Fatalf("Location = %q, want /login?error", loc)
			}
			if page := b.get("/login?error", htmlAccept).body; !strings.Contains(page, "Bad credentials") {
				t.Fatal("the error page does not say Bad credentials")
			}
			wantStatus(t, "profile after failed login", b.get("/api/profile", jsonAccept), http.StatusUnauthorized)
		})
	}
	if st := tt.Stats(); st.LoginsFailed != int64(len(cases)) || st.LoginsOK != 0 {
		t.Fatalf("logins failed/ok = %d/%d, want %d/0", st.LoginsFailed, st.LoginsOK, len(cases))
	}
}

func TestEntryPointByAccept(t *testing.T) {
	tt := startTarget(t, Config{Basic: true})
	cases := []struct {
		name   string
		path   string
		header map[string]string
		want   int
	}{
		{"browser page", "/account", htmlAccept, http.StatusFound},
		{"browser asks an API path for HTML", "/api/profile", map[string]string{"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}, http.StatusFound},
		{"JSON client", "/api/profile", jsonAccept, http.StatusUnauthorized},
		{"JSON client on a page", "/account", jsonAccept, http.StatusUnauthorized},
		{"XHR", "/account", map[string]string{"X-Requested-With": "XMLHttpRequest", "Accept": "text/html"}, http.StatusUnauthorized},
		{"no preference, API", "/api/orders", nil, http.StatusUnauthorized},
		{"no preference, page", "/", nil, http.StatusFound},
		{"unknown path still needs login", "/no/such/page", htmlAccept, http.StatusFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newBrowser(t, tt.url).get(c.path, c.header)
			wantStatus(t, c.path, r, c.want)
			switch c.want {
			case http.StatusFound:
				if r.header.Get("Location") != tt.url+"/login" {
					t.Fatalf("Location = %q", r.header.Get("Location"))
				}
				if setCookies(r)["JSESSIONID"] == nil {
					t.Fatal("the entry point must create the session that saves the request")
				}
			case http.StatusUnauthorized:
				got := r.header.Values("WWW-Authenticate")
				if len(got) != 2 || got[0] != "Bearer" || got[1] != `Basic realm="Realm"` {
					t.Fatalf("WWW-Authenticate = %q", got)
				}
				if len(setCookies(r)) != 0 {
					t.Fatalf("a 401 set cookies: %v", r.header.Values("Set-Cookie"))
				}
			}
		})
	}
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestSessionCookieAttributes(t *testing.T) {
	cases := []struct {
		name     string
		cfg      Config
		sameSite http.SameSite
		checkID  func(string) bool
	}{
		{"JSESSIONID", Config{}, 0, regexp.MustCompile(`^[0-9A-F]{32}$`).MatchString},
		{"SESSION", Config{SessionCookie: "SESSION"}, http.SameSiteLaxMode, func(v string) bool {
			raw, err := base64.StdEncoding.DecodeString(v)
			return err == nil && uuidRE.Match(raw)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tt := startTarget(t, c.cfg)
			r := newBrowser(t, tt.url).get("/login", htmlAccept)
			ck := setCookies(r)[c.name]
			if ck == nil {
				t.Fatalf("no %s cookie in %q", c.name, r.header.Values("Set-Cookie"))
			}
			if ck.Path != "/" || !ck.HttpOnly || ck.Secure || ck.SameSite != c.sameSite {
				t.Fatalf("%s: Path=%q HttpOnly=%v Secure=%v SameSite=%v", c.name, ck.Path, ck.HttpOnly, ck.Secure, ck.SameSite)
			}
			if !c.checkID(ck.Value) {
				t.Fatalf("session id %q has the wrong shape", ck.Value)
			}
			b := newBrowser(t, tt.url)
			wantStatus(t, "login", b.login("user1", "pass1"), http.StatusFound)
			wantStatus(t, "profile", b.get("/api/profile", jsonAccept), http.StatusOK)
		})
	}
}

func TestLogoutInvalidates(t *testing.T) {
	tt := startTarget(t, Config{})
	b := newBrowser(t, tt.url)
	b.login("user9", "pass9")
	page := b.get("/account", htmlAccept)
	wantStatus(t, "account", page, http.StatusOK)
	tok := csrfFrom(t, page.body)

	wantStatus(t, "logout without CSRF", b.postForm("/logout", nil), http.StatusForbidden)
	wantStatus(t, "still logged in", b.get("/api/profile", jsonAccept), http.StatusOK)

	r := b.postForm("/logout", url.Values{"_csrf": {tok}})
	wantStatus(t, "logout", r, http.StatusFound)
	if loc := r.header.Get("Location"); loc != "/login?logout" {
		t.Fatalf("Location = %q", loc)
	}
	wantStatus(t, "profile after logout", b.get("/api/profile", jsonAccept), http.StatusUnauthorized)
	if st := tt.Stats(); st.Invalidated != 1 || st.LiveSessions != 0 {
		t.Fatalf("invalidated %d, live %d; want 1, 0", st.Invalidated, st.LiveSessions)
	}
	if !strings.Contains(b.get("/login?logout", htmlAccept).body, "You have been signed out") {
		t.Fatal("the logout page does not say so")
	}
}

func TestCSRFTokenReplacedAtLogin(t *testing.T) {
	tt := startTarget(t, Config{})
	b := newBrowser(t, tt.url)
	pre := csrfFrom(t, b.get("/login", htmlAccept).body)
	b.login("user1", "pass1")
	post := csrfFrom(t, b.get("/account", htmlAccept).body)
	order := `{"item":"book","qty":1}`
	hdr := func(tok string) map[string]string {
		return map[string]string{"Content-Type": "application/json", "Accept": "application/json", "X-CSRF-TOKEN": tok}
	}
	wantStatus(t, "POST with the pre-login token", b.do(http.MethodPost, "/api/orders", hdr(pre), order), http.StatusForbidden)
	wantStatus(t, "POST with the page's token", b.do(http.MethodPost, "/api/orders", hdr(post), order), http.StatusCreated)
}
