package target

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestSPACookieMode(t *testing.T) {
	tt := startTarget(t, Config{CSRF: CSRFCookie})
	b := newBrowser(t, tt.url)
	r := b.get("/login", htmlAccept)
	xsrf := setCookies(r)["XSRF-TOKEN"]
	if xsrf == nil || xsrf.HttpOnly || xsrf.Path != "/" {
		t.Fatalf("XSRF-TOKEN cookie = %+v; want one scripts can read, Path=/", xsrf)
	}
	if setCookies(r)["JSESSIONID"] != nil {
		t.Fatal("cookie mode keeps the token out of the session: the login page must not create one")
	}
	wantStatus(t, "login with the form's masked _csrf", b.login("user5", "pass5"), http.StatusFound)
	after := b.cookie("XSRF-TOKEN")
	if after == "" || after == xsrf.Value {
		t.Fatalf("XSRF-TOKEN after login = %q, before %q: want a new token", after, xsrf.Value)
	}
	order := `{"item":"pen","qty":2}`
	cases := []struct {
		name   string
		header map[string]string
		want   int
	}{
		{"header echoes the cookie", map[string]string{"X-XSRF-TOKEN": after}, http.StatusCreated},
		{"no header", nil, http.StatusForbidden},
		{"stale token", map[string]string{"X-XSRF-TOKEN": xsrf.Value}, http.StatusForbidden},
		{"session-mode header name", map[string]string{"X-CSRF-TOKEN": after}, http.StatusForbidden},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := map[string]string{"Content-Type": "application/json", "Accept": "application/json"}
			for k, v := range c.header {
				h[k] = v
			}
			wantStatus(t, "POST /api/orders", b.do(http.MethodPost, "/api/orders", h, order), c.want)
		})
	}
}

// tokenLogin posts JSON credentials and decodes the token response.
func tokenLogin(t *testing.T, b *browser, user, pass string) (tokenResponse, response) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"username": user, "password": pass})
	r := b.do(http.MethodPost, "/api/auth/token", map[string]string{"Content-Type": "application/json"}, string(body))
	var tr tokenResponse
	if r.status == http.StatusOK {
		if err := json.Unmarshal([]byte(r.body), &tr); err != nil {
			t.Fatalf("token response %q: %v", r.body, err)
		}
	}
	return tr, r
}

func bearer(tok string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + tok, "Accept": "application/json"}
}

func TestBearerTokens(t *testing.T) {
	tt := startTarget(t, Config{TokenTTL: 5 * time.Minute})
	b := newBrowser(t, tt.url)
	tr, r := tokenLogin(t, b, "user8", "pass8")
	wantStatus(t, "token login", r, http.StatusOK)
	if tr.TokenType != "Bearer" || tr.ExpiresIn != 300 || tr.AccessToken == "" || tr.RefreshToken == "" {
		t.Fatalf("token response %+v", tr)
	}
	if len(setCookies(r)) != 0 {
		t.Fatal("the token API must not set cookies")
	}
	p := b.get("/api/profile", bearer(tr.AccessToken))
	wantStatus(t, "profile with bearer", p, http.StatusOK)
	if p.body != `{"username":"user8","auth":"bearer"}` {
		t.Fatalf("profile = %s", p.body)
	}
	// A bearer request is exempt from CSRF, as a resource server makes it.
	h := bearer(tr.AccessToken)
	h["Content-Type"] = "application/json"
	wantStatus(t, "POST with bearer, no CSRF", b.do(http.MethodPost, "/api/orders", h, `{"item":"a","qty":1}`), http.StatusCreated)

	tt.clock.advance(5*time.Minute + time.Second)
	p = b.get("/api/profile", bearer(tr.AccessToken))
	wantStatus(t, "profile with expired bearer", p, http.StatusUnauthorized)
	if wa := p.header.Get("WWW-Authenticate"); !strings.HasPrefix(wa, `Bearer error="invalid_token"`) || !strings.Contains(wa, "expired") {
		t.Fatalf("WWW-Authenticate = %q", wa)
	}

	rb, _ := json.Marshal(map[string]string{"refresh_token": tr.RefreshToken})
	r = b.do(http.MethodPost, "/api/auth/refresh", map[string]string{"Content-Type": "application/json"}, string(rb))
	wantStatus(t, "refresh", r, http.StatusOK)
	var fresh tokenResponse
	json.Unmarshal([]byte(r.body), &fresh)
	wantStatus(t, "profile with refreshed bearer", b.get("/api/profile", bearer(fresh.AccessToken)), http.StatusOK)
	r = b.do(http.MethodPost, "/api/auth/refresh", map[string]string{"Content-Type": "application/json"}, string(rb))
	wantStatus(t, "second use of a refresh token", r, http.StatusUnauthorized)

	if st := tt.Stats(); st.Created != 0 || st.TokensIssued != 2 || st.TokensRefresh != 1 {
		t.Fatalf("stats %+v: want no sessions, 2 tokens issued, 1 refresh", st)
	}
}

func TestBearerRejected(t *testing.T) {
	tt := startTarget(t, Config{})
	b := newBrowser(t, tt.url)
	good, _ := tokenLogin(t, b, "user1", "pass1")
	parts := strings.Split(good.AccessToken, ".")
	forged := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"user2","exp":9999999999}`)) + "." + parts[2]
	cases := []struct{ name, token, why string }{
		{"garbage", "abc", "Malformed"},
		{"forged payload", forged, "Invalid signature"},
		{"truncated signature", good.AccessToken[:len(good.AccessToken)-4], "Invalid signature"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := b.get("/api/profile", bearer(c.token))
			wantStatus(t, "profile", r, http.StatusUnauthorized)
			wa := r.header.Get("WWW-Authenticate")
			if !strings.Contains(wa, `error="invalid_token"`) || !strings.Contains(wa, c.why) {
				t.Fatalf("WWW-Authenticate = %q, want invalid_token and %q", wa, c.why)
			}
		})
	}
	_, r := tokenLogin(t, b, "user1", "nope")
	wantStatus(t, "token login with a bad password", r, http.StatusUnauthorized)
	if st := tt.Stats(); st.LoginsFailed != 1 || st.LoginsOK != 1 {
		t.Fatalf("logins ok/failed = %d/%d", st.LoginsOK, st.LoginsFailed)
	}
}

func basicAuth(user, pass string) map[string]string {
	return map[string]string{
		"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass)),
		"Accept":        "application/json",
	}
}

func TestBasic(t *testing.T) {
	cases := []struct {
		name    string
		enabled bool
		user    string
		pass    string
		want    int
	}{
		{"good", true, "user6", "pass6", http.StatusOK},
		{"bad password", true, "user6", "pass7", http.StatusUnauthorized},
		{"not enabled", false, "user6", "pass6", http.StatusUnauthorized},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tt := startTarget(t, Config{Basic: c.enabled})
			r := newBrowser(t, tt.url).get("/api/profile", basicAuth(c.user, c.pass))
			wantStatus(t, "profile", r, c.want)
			if len(setCookies(r)) != 0 {
				t.Fatalf("Basic answered with Set-Cookie %q", r.header.Values("Set-Cookie"))
			}
			if c.want == http.StatusOK && r.body != `{"username":"user6","auth":"basic"}` {
				t.Fatalf("profile = %s", r.body)
			}
			if tt.Stats().Created != 0 {
				t.Fatal("Basic created a session")
			}
		})
	}
}

func TestOrdersArePerUser(t *testing.T) {
	tt := startTarget(t, Config{Basic: true})
	b := newBrowser(t, tt.url)
	post := func(user, item string) Order {
		h := basicAuth(user, strings.Replace(user, "user", "pass", 1))
		h["Content-Type"] = "application/json"
		r := b.do(http.MethodPost, "/api/orders", h, `{"item":"`+item+`","qty":1}`)
		wantStatus(t, "POST order", r, http.StatusCreated)
		var o Order
		json.Unmarshal([]byte(r.body), &o)
		if r.header.Get("Location") != fmt.Sprintf("/api/orders/%d", o.ID) {
			t.Fatalf("Location %q for order %d", r.header.Get("Location"), o.ID)
		}
		return o
	}
	a := post("user1", "apple")
	post("user2", "pear")
	post("user2", "plum")
	list := func(user string) []Order {
		r := b.get("/api/orders", basicAuth(user, strings.Replace(user, "user", "pass", 1)))
		var out []Order
		json.Unmarshal([]byte(r.body), &out)
		return out
	}
	if got := list("user1"); len(got) != 1 || got[0].Item != "apple" || got[0].User != "user1" {
		t.Fatalf("user1 sees %+v", got)
	}
	if got := list("user2"); len(got) != 2 || got[0].Item != "pear" || got[1].Item != "plum" {
		t.Fatalf("user2 sees %+v", got)
	}
	path := fmt.Sprintf("/api/orders/%d", a.ID)
	// user2's order ids start at 1 too; user2 must not reach user1's order 1 by id.
	r := b.do(http.MethodDelete, "/api/orders/99", basicAuth("user2", "pass2"), "")
	wantStatus(t, "DELETE of an unknown id", r, http.StatusNotFound)
	wantStatus(t, "DELETE own", b.do(http.MethodDelete, path, basicAuth("user1", "pass1"), ""), http.StatusNoContent)
	if got := list("user1"); len(got) != 0 {
		t.Fatalf("after delete user1 sees %+v", got)
	}
	if got := list("user2"); len(got) != 2 {
		t.Fatalf("user1's delete touched user2's orders: %+v", got)
	}
}

// TestConcurrentSessionsAreIsolated logs in many users at once over one
// target: every profile answer names the user of its own cookie jar.
func TestConcurrentSessionsAreIsolated(t *testing.T) {
	tt := startTarget(t, Config{})
	const users = 40
	var wg sync.WaitGroup
	errs := make(chan string, users)
	for i := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := newBrowser(t, tt.url)
			user := fmt.Sprintf("user%d", i)
			tok := csrfInput.FindStringSubmatch(b.get("/login", htmlAccept).body)[1]
			b.postForm("/login", url.Values{"username": {user}, "password": {fmt.Sprintf("pass%d", i)}, "_csrf": {tok}})
			for range 5 {
				if got := b.get("/api/profile", jsonAccept).body; got != `{"username":"`+user+`","auth":"session"}` {
					errs <- user + " was served as " + got
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if st := tt.Stats(); st.LoginsOK != users || st.LiveSessions != users || st.Created != users {
		t.Fatalf("stats %+v, want %d logins, live and created sessions", st, users)
	}
}
