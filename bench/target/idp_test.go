package target

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// startOAuth2 starts a target with its identity provider on real
// loopback listeners (two hosts), on a fake clock.
func startOAuth2(t *testing.T, fault string) *testTarget {
	t.Helper()
	clock := newFakeClock()
	tg, err := New(Config{OAuth2: true, OAuth2Fault: fault, Now: clock.now, Sleep: clock.sleep})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	u, err := tg.Start("127.0.0.1:0")
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { tg.Close(context.Background()) })
	if !strings.HasPrefix(tg.IdPURL(), "http://127.0.0.2:") {
		t.Fatalf("IdPURL = %q, want the provider on 127.0.0.2", tg.IdPURL())
	}
	return &testTarget{Target: tg, url: u, clock: clock}
}

var idpCSRF = regexp.MustCompile(`name="_csrf" value="([^"]*)"`)

// pkce returns a verifier and its S256 challenge.
func pkce(verifier string) (string, string) {
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

// authorizeAndLogIn runs the browser's part for the public client: the
// authorization request, the provider's form, the redirect back. It
// returns the redirect's query.
func authorizeAndLogIn(t *testing.T, tt *testTarget, b *browser, redirect, state, challenge string) url.Values {
	t.Helper()
	q := url.Values{"response_type": {"code"}, "client_id": {PublicClient}, "redirect_uri": {redirect},
		"scope": {"openid profile"}, "state": {state}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
	page := b.get(tt.IdPURL()+"/oauth2/authorize?"+q.Encode(), htmlAccept)
	wantStatus(t, "authorize", page, http.StatusOK)
	m := idpCSRF.FindStringSubmatch(page.body)
	if m == nil {
		t.Fatalf("no _csrf on the provider's login page:\n%s", page.body)
	}
	r := b.postForm(tt.IdPURL()+"/login", url.Values{"username": {"user1"}, "password": {"pass1"}, "_csrf": {m[1]}})
	wantStatus(t, "provider login", r, http.StatusFound)
	loc, err := url.Parse(r.header.Get("Location"))
	if err != nil || !strings.HasPrefix(loc.String(), redirect+"?") {
		t.Fatalf("Location = %q, want the redirect URI %s with a query", r.header.Get("Location"), redirect)
	}
	return loc.Query()
}

func tokenRequest(t *testing.T, tt *testTarget, form url.Values) (int, map[string]any) {
	t.Helper()
	b := newBrowser(t, tt.IdPURL())
	r := b.postForm("/oauth2/token", form)
	var body map[string]any
	if err := json.Unmarshal([]byte(r.body), &body); err != nil {
		t.Fatalf("token endpoint answered %d, not JSON: %s", r.status, r.body)
	}
	return r.status, body
}

func TestOAuth2PublicClientPKCE(t *testing.T) {
	tt := startOAuth2(t, "")
	b := newBrowser(t, tt.url)
	redirect := tt.url + "/callback"
	verifier, challenge := pkce("a-verifier-of-forty-three-characters-at-least-x")
	back := authorizeAndLogIn(t, tt, b, redirect, "st-1", challenge)
	if back.Get("state") != "st-1" || back.Get("iss") != tt.IdPURL() || back.Get("code") == "" {
		t.Fatalf("redirect back = %v, want the code, state st-1 and iss %s", back, tt.IdPURL())
	}
	// Cookies per origin: the provider's session is the provider's.
	idpURL, _ := url.Parse(tt.IdPURL())
	appURL, _ := url.Parse(tt.url)
	if len(b.jar.Cookies(idpURL)) != 1 || len(b.jar.Cookies(appURL)) != 0 {
		t.Fatalf("cookies: provider %v, application %v; want IDPSESSION at the provider only", b.jar.Cookies(idpURL), b.jar.Cookies(appURL))
	}
	redeem := url.Values{"grant_type": {"authorization_code"}, "client_id": {PublicClient},
		"code": {back.Get("code")}, "redirect_uri": {redirect}, "code_verifier": {verifier}}
	status, tok := tokenRequest(t, tt, redeem)
	if status != http.StatusOK || tok["access_token"] == nil || tok["refresh_token"] == nil || tok["id_token"] == nil || tok["expires_in"] != float64(900) {
		t.Fatalf("redeem: %d %v; want access, refresh and ID tokens, expires_in 900", status, tok)
	}
	api := newBrowser(t, tt.url)
	r := api.get("/api/profile", map[string]string{"Authorization": "Bearer " + tok["access_token"].(string), "Accept": "application/json"})
	if r.status != http.StatusOK || !strings.Contains(r.body, `"username":"user1"`) {
		t.Fatalf("the provider's token on the API: %d %s", r.status, r.body)
	}
	// The same code again is a replay.
	status, e := tokenRequest(t, tt, redeem)
	if status != http.StatusBadRequest || e["error"] != "invalid_grant" || e["error_description"] != "authorization code already used" {
		t.Fatalf("second redeem: %d %v", status, e)
	}
	// A refresh token works once.
	rf := url.Values{"grant_type": {"refresh_token"}, "client_id": {PublicClient}, "refresh_token": {tok["refresh_token"].(string)}}
	if status, _ := tokenRequest(t, tt, rf); status != http.StatusOK {
		t.Fatalf("refresh: %d", status)
	}
	if status, _ := tokenRequest(t, tt, rf); status != http.StatusBadRequest {
		t.Fatalf("refresh again: %d, want 400", status)
	}
	// An expired access token is refused by the application.
	tt.clock.advance(16 * time.Minute)
	r = api.get("/api/profile", map[string]string{"Authorization": "Bearer " + tok["access_token"].(string), "Accept": "application/json"})
	if r.status != http.StatusUnauthorized || !strings.Contains(r.header.Get("WWW-Authenticate"), "Jwt expired") {
		t.Fatalf("an expired token: %d %q", r.status, r.header.Get("WWW-Authenticate"))
	}
	st := tt.Stats().OAuth2
	if st == nil || st.CodesIssued != 1 || st.CodesRedeemed != 1 || st.CodesRefused != 1 || st.TokensRefreshed != 1 {
		t.Fatalf("oauth2 stats = %+v", st)
	}
}

func TestOAuth2CodeRefused(t *testing.T) {
	cases := []struct {
		name, want string
		change     func(tt *testTarget, form url.Values)
	}{
		{"expired", "authorization code expired", func(tt *testTarget, _ url.Values) { tt.clock.advance(authCodeTTL) }},
		{"pkce mismatch", "PKCE verification failed", func(_ *testTarget, f url.Values) { f.Set("code_verifier", "another") }},
		{"other redirect", "redirect_uri does not match the authorization request", func(_ *testTarget, f url.Values) {
			f.Set("redirect_uri", f.Get("redirect_uri")+"x")
		}},
		{"unknown code", "unknown authorization code", func(_ *testTarget, f url.Values) { f.Set("code", "nope") }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tt := startOAuth2(t, "")
			redirect := tt.url + "/cb"
			verifier, challenge := pkce("v-" + strings.Repeat("y", 50))
			back := authorizeAndLogIn(t, tt, newBrowser(t, tt.url), redirect, "s", challenge)
			form := url.Values{"grant_type": {"authorization_code"}, "client_id": {PublicClient},
				"code": {back.Get("code")}, "redirect_uri": {redirect}, "code_verifier": {verifier}}
			c.change(tt, form)
			status, e := tokenRequest(t, tt, form)
			if status != http.StatusBadRequest || e["error"] != "invalid_grant" || e["error_description"] != c.want {
				t.Fatalf("redeem: %d %v, want invalid_grant %q", status, e, c.want)
			}
		})
	}
}

func TestOAuth2Grants(t *testing.T) {
	tt := startOAuth2(t, "")
	cases := []struct {
		name   string
		form   url.Values
		status int
		want   string // the error, or the field the answer must have
	}{
		{"client credentials", url.Values{"grant_type": {"client_credentials"}, "client_id": {ServiceClient}, "client_secret": {ServiceSecret}}, 200, "access_token"},
		{"client credentials, wrong secret", url.Values{"grant_type": {"client_credentials"}, "client_id": {ServiceClient}, "client_secret": {"x"}}, 401, "invalid_client"},
		{"client credentials for the public client", url.Values{"grant_type": {"client_credentials"}, "client_id": {PublicClient}}, 400, "unsupported_grant_type"},
		{"password", url.Values{"grant_type": {"password"}, "client_id": {PublicClient}, "username": {"user2"}, "password": {"pass2"}}, 200, "refresh_token"},
		{"password, wrong", url.Values{"grant_type": {"password"}, "client_id": {PublicClient}, "username": {"user2"}, "password": {"x"}}, 400, "invalid_grant"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body := tokenRequest(t, tt, c.form)
			if status != c.status {
				t.Fatalf("status %d, want %d: %v", status, c.status, body)
			}
			if status == 200 && body[c.want] == nil || status != 200 && body["error"] != c.want {
				t.Fatalf("answer %v, want %s", body, c.want)
			}
		})
	}
}

// TestOAuth2ApplicationLogin is the application's oauth2Login: the
// browser goes to the provider and back, and its session is logged in.
func TestOAuth2ApplicationLogin(t *testing.T) {
	for _, fault := range []string{"", FaultState, FaultReuse, FaultExpired, FaultPKCE} {
		t.Run("fault "+fault, func(t *testing.T) {
			tt := startOAuth2(t, fault)
			b := newBrowser(t, tt.url)
			r := b.get("/oauth2/authorization/idp", htmlAccept)
			wantStatus(t, "start", r, http.StatusFound)
			before := b.cookie("JSESSIONID")
			page := b.get(r.header.Get("Location"), htmlAccept)
			wantStatus(t, "authorize", page, http.StatusOK)
			m := idpCSRF.FindStringSubmatch(page.body)
			r = b.postForm(tt.IdPURL()+"/login", url.Values{"username": {"user3"}, "password": {"pass3"}, "_csrf": {m[1]}})
			wantStatus(t, "provider login", r, http.StatusFound)
			r = b.get(r.header.Get("Location"), htmlAccept)
			wantStatus(t, "callback", r, http.StatusFound)
			want := "/"
			if fault != "" {
				want = "/login?error"
			}
			if loc := r.header.Get("Location"); loc != want {
				t.Fatalf("callback Location = %q, want %q", loc, want)
			}
			if fault != "" {
				if st := tt.Stats(); st.LoginsOK != 0 || st.LoginsFailed != 1 {
					t.Fatalf("logins ok %d, failed %d; want 0 and 1", st.LoginsOK, st.LoginsFailed)
				}
				return
			}
			if after := b.cookie("JSESSIONID"); after == before || after == "" {
				t.Fatalf("session id %q after the login, %q before: want a new one", after, before)
			}
			home := b.get("/", htmlAccept)
			if home.status != 200 || !strings.Contains(home.body, "Logged in as user3") {
				t.Fatalf("home: %d %s", home.status, home.body)
			}
		})
	}
}
