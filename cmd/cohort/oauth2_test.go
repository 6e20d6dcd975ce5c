package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSpringOAuth2 runs the built-in oauth2Login profile: every VU goes
// to the identity provider on its other host and back, and is logged in
// as its own user (the home page and every profile answer name it).
func TestSpringOAuth2(t *testing.T) {
	code, out, r := runSimulated(t, "spring-oauth2", "--vus", "20", "--duration", "2s")
	if code != exitOK || r.Totals.Failures != 0 {
		t.Fatalf("exit %d, %d failures\n%s", code, r.Totals.Failures, out)
	}
	s := r.Sessions
	if s.Logins != 20 || s.LoginFailures != 0 || s.IDRotations != 20 || s.Logouts != 20 {
		t.Fatalf("sessions %+v: want 20 logins, 20 id rotations, 20 logouts", s)
	}
	for name, status := range map[string]string{"oauth2/start": "302", "oauth2/authorize": "200", "oauth2/login": "302", "oauth2/callback": "302", "home": "200"} {
		if q := request(t, r, name); q.Count != 20 || q.Status[status] != 20 {
			t.Fatalf("%s: %d requests, statuses %v; want 20 answered %s", name, q.Count, q.Status, status)
		}
	}
}

// oauthClientProfile is cohort as the OAuth client (a single-page app)
// of the built-in provider: the authorization code with cohort's own
// PKCE and state, then the API with the provider's bearer token.
const oauthClientProfile = `name: spa-oauth2
demo_target: ["--oauth2", "--token-ttl", "10s"%s]
users:
  generate: {username: "user{{n}}", password: "pass{{n}}", start: 1}
session:
  lost: {status: [401]}
oauth2:
%s
mix:
  - name: profile
    path: /api/profile
    headers: {Accept: application/json, Authorization: "Bearer {{vars.access_token}}"}
    expect: {status: [200], body_contains: '"username":"%s"'}
think: {type: constant, duration: 500ms}
load: {vus: 2, duration: 20s}
`

const pkceClient = `  client_id: cohort-spa
  redirect_uri: http://127.0.0.1:8080/callback
  scope: openid profile
  refresh_before: 4s`

func writeOAuthProfile(t *testing.T, fault, section, who string) string {
	t.Helper()
	if fault != "" {
		fault = `, "--oauth2-fault", "` + fault + `"`
	}
	path := filepath.Join(t.TempDir(), "spa.yaml")
	body := strings.ReplaceAll(oauthClientProfile, "%s", "\x00")
	for _, v := range []string{fault, section, who} {
		body = strings.Replace(body, "\x00", v, 1)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestOAuth2ClientRefreshesAhead: tokens live 10 s and are refreshed 4 s
// before they end, so over 20 s each VU refreshes at 6, 12 and 18 s and
// no request meets an expired token.
func TestOAuth2ClientRefreshesAhead(t *testing.T) {
	code, out, r := runSimulated(t, writeOAuthProfile(t, "", pkceClient, "{{user.username}}"))
	if code != exitOK || r.Totals.Failures != 0 {
		t.Fatalf("exit %d, %d failures\n%s", code, r.Totals.Failures, out)
	}
	s := r.Sessions
	if s.Logins != 2 || s.Refreshes != 6 || s.RefreshFails != 0 || s.SessionsLost != 0 {
		t.Fatalf("sessions %+v: want 2 logins, 6 refreshes ahead of expiry, nothing lost\n%s", s, out)
	}
	if q := request(t, r, "oauth2/refresh"); q.Count != 6 || q.Status["200"] != 6 {
		t.Fatalf("oauth2/refresh: %d, statuses %v", q.Count, q.Status)
	}
	if q := request(t, r, "profile"); q.Status["401"] != 0 || q.Status["200"] != q.Count {
		t.Fatalf("profile statuses %v: want every request answered 200", q.Status)
	}
}

// TestOAuth2Grants: the password and client credentials grants.
func TestOAuth2Grants(t *testing.T) {
	cases := []struct {
		name, section, who, token string
	}{
		{"password", "  grant: password\n  client_id: cohort-spa", "{{user.username}}", "oauth2/token"},
		{"client credentials", "  grant: client_credentials\n  client_id: cohort-service\n  client_secret: service-secret", "cohort-service", "oauth2/token"},
		{"client credentials, secret posted", "  grant: client_credentials\n  client_id: cohort-service\n  client_secret: service-secret\n  client_auth: post", "cohort-service", "oauth2/token"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, r := runSimulated(t, writeOAuthProfile(t, "", c.section, c.who))
			if code != exitOK || r.Totals.Failures != 0 {
				t.Fatalf("exit %d, %d failures\n%s", code, r.Totals.Failures, out)
			}
			// 10 s tokens refreshed 5 s before they end (half their
			// life, under the default 30 s): at 5, 10 and 15 s.
			if s := r.Sessions; s.Logins != 2 || s.Refreshes != 6 || s.SessionsLost != 0 {
				t.Fatalf("sessions %+v: want 2 logins and 6 refreshes", s)
			}
			if q := request(t, r, c.token); q.Count != 2 || q.Group != "login" {
				t.Fatalf("%s: %d requests in group %s; want the 2 logins", c.token, q.Count, q.Group)
			}
			if q := request(t, r, "oauth2/refresh"); q.Count != 6 || q.Group != "refresh" {
				t.Fatalf("oauth2/refresh: %d requests in group %s; want the 6 refreshes", q.Count, q.Group)
			}
		})
	}
}

// TestOAuth2FailureModes: each way the provider can break the flow
// fails the login at the step that shows it, with its reason, and
// cohort check names it.
func TestOAuth2FailureModes(t *testing.T) {
	cases := []struct {
		fault, step, reason, status, problem string
	}{
		{"state", "oauth2/login", "oauth2", "302", "the state that came back is not the one sent"},
		{"reuse", "oauth2/token", "status", "400", "invalid_grant (authorization code already used)"},
		{"expired", "oauth2/token", "status", "400", "invalid_grant (authorization code expired)"},
		{"pkce", "oauth2/token", "status", "400", "invalid_grant (PKCE verification failed)"},
	}
	for _, c := range cases {
		t.Run(c.fault, func(t *testing.T) {
			path := writeOAuthProfile(t, c.fault, pkceClient, "{{user.username}}")
			code, out := runCheckCmd(t, path)
			if code != exitFailed || !strings.Contains(out, "✘ "+c.step) || !strings.Contains(out, c.problem) {
				t.Fatalf("check: exit %d, want %d naming %s and %q\n%s", code, exitFailed, c.step, c.problem, out)
			}
			if s := secretShapes.FindString(out); s != "" {
				t.Fatalf("a secret was printed: %q\n%s", s, out)
			}
			code, out, r := runSimulated(t, path, "--vus", "2", "--duration", "3s", "--http-debug")
			if code == exitOK || r.Sessions.Logins != 0 || r.Sessions.LoginFailures == 0 {
				t.Fatalf("run: exit %d, sessions %+v; want no login and a failing exit\n%s", code, r.Sessions, out)
			}
			if !strings.Contains(out, "[http-debug] oauth2/login:") {
				t.Fatalf("--http-debug logged no login step\n%s", out)
			}
			if s := secretShapes.FindString(out); s != "" {
				t.Fatalf("--http-debug printed a secret: %q\n%s", s, out)
			}
			q := request(t, r, c.step)
			if q.Failures != r.Sessions.LoginFailures || q.Reasons[c.reason] != q.Failures || q.Status[c.status] != q.Count {
				t.Fatalf("%s: %d requests, %d failed, reasons %v, statuses %v; want every login failing here for %s",
					c.step, q.Count, q.Failures, q.Reasons, q.Status, c.reason)
			}
		})
	}
}

// TestOAuth2CookiesStayWithTheirOrigin: cohort check shows which cookies
// each step sent: the provider's session cookie goes only to the
// provider's host, the application's only to the application's.
func TestOAuth2CookiesStayWithTheirOrigin(t *testing.T) {
	code, out := runCheckCmd(t, "spring-oauth2")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if !strings.Contains(out, "/login [form: _csrf, password, username] → 302") {
		t.Fatalf("oauth2/login does not show the fields of the provider's form it posted\n%s", out)
	}
	steps := strings.Split(out, "  ✔ ")
	sent := map[string]string{}
	for _, s := range steps[1:] {
		name, _, _ := strings.Cut(s, "\n")
		_, cookies, _ := strings.Cut(s, "sent cookies: ")
		cookies, _, _ = strings.Cut(cookies, "\n")
		sent[name] = cookies
	}
	want := map[string]string{"oauth2/start": "", "oauth2/authorize": "", "oauth2/login": "IDPSESSION",
		"oauth2/callback": "JSESSIONID", "home": "JSESSIONID", "profile": "JSESSIONID"}
	for step, cookies := range want {
		if got, ok := sent[step]; !ok || got != cookies {
			t.Errorf("%s sent cookies %q, want %q", step, got, cookies)
		}
	}
}

// TestOAuth2ProviderRefusesTheRequest: a redirect URI the provider does
// not have for the client is refused on the provider's page, and cohort
// check says what the page says.
func TestOAuth2ProviderRefusesTheRequest(t *testing.T) {
	section := strings.Replace(pkceClient, "http://127.0.0.1:8080/callback", "https://app.example.com/callback", 1)
	code, out := runCheckCmd(t, writeOAuthProfile(t, "", section, "{{user.username}}"))
	if code != exitFailed || !strings.Contains(out, "✘ oauth2/authorize") || !strings.Contains(out, "the provider says: invalid client_id or redirect_uri") {
		t.Fatalf("exit %d\n%s", code, out)
	}
}

// TestOAuth2WrongPassword: a provider that refuses the credentials shows
// its login form again with 200. That is the protocol failing at the
// login step (reason oauth2), not a server answering with a bad status.
func TestOAuth2WrongPassword(t *testing.T) {
	path := writeOAuthProfile(t, "", pkceClient, "{{user.username}}")
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	body = []byte(strings.Replace(string(body), `password: "pass{{n}}"`, `password: "wrong{{n}}"`, 1))
	if err := os.WriteFile(path, body, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out := runCheckCmd(t, path)
	if code != exitFailed || !strings.Contains(out, "✘ oauth2/login") || !strings.Contains(out, "it refused the credentials") {
		t.Fatalf("check: exit %d, want %d naming oauth2/login and the refusal\n%s", code, exitFailed, out)
	}
	code, out, r := runSimulated(t, path, "--vus", "2", "--duration", "3s")
	if code == exitOK || r.Sessions.Logins != 0 || r.Sessions.LoginFailures == 0 {
		t.Fatalf("run: exit %d, sessions %+v; want no login and a failing exit\n%s", code, r.Sessions, out)
	}
	q := request(t, r, "oauth2/login")
	if q.Failures != r.Sessions.LoginFailures || q.Reasons["oauth2"] != q.Failures || q.Status["200"] != q.Count {
		t.Fatalf("oauth2/login: %d requests, %d failed, reasons %v, statuses %v; want every login refused with 200 for oauth2",
			q.Count, q.Failures, q.Reasons, q.Status)
	}
	if strings.Contains(out, "wrong1") || strings.Contains(out, "wrong2") {
		t.Fatalf("the password was printed\n%s", out)
	}
}

// TestOAuth2WrongClientSecret: a client refused at the token endpoint
// is a login failure there, worded as such: no "is the target up?" for a
// provider that answered.
func TestOAuth2WrongClientSecret(t *testing.T) {
	section := "  grant: client_credentials\n  client_id: cohort-service\n  client_secret: wrong-secret"
	path := writeOAuthProfile(t, "", section, "cohort-service")
	code, out := runCheckCmd(t, path)
	if code != exitFailed || !strings.Contains(out, "✘ oauth2/token") || !strings.Contains(out, "401, want [200]: invalid_client (client authentication failed)") ||
		strings.Contains(out, "no session cookie") {
		t.Fatalf("check: exit %d; want oauth2/token refused for invalid_client, not a missing session\n%s", code, out)
	}
	code, out, r := runSimulated(t, path, "--vus", "2", "--duration", "3s")
	if code != exitFailed || r.Sessions.Logins != 0 {
		t.Fatalf("exit %d, sessions %+v\n%s", code, r.Sessions, out)
	}
	if strings.Contains(out, "is the target up?") || !strings.Contains(out, "no VU could log in: ") || !strings.Contains(out, "oauth2/token failed") {
		t.Fatalf("the failure line does not say where the login broke\n%s", out)
	}
	if strings.Contains(out, "wrong-secret") {
		t.Fatalf("the client secret was printed\n%s", out)
	}
}

// TestOAuth2ServiceWithoutUsers: a client credentials profile needs no
// users; cohort check says it runs as none.
func TestOAuth2ServiceWithoutUsers(t *testing.T) {
	path := writeOAuthProfile(t, "", "  grant: client_credentials\n  client_id: cohort-service\n  client_secret: service-secret", "cohort-service")
	body, _ := os.ReadFile(path)
	noUsers := strings.Replace(string(body), "users:\n  generate: {username: \"user{{n}}\", password: \"pass{{n}}\", start: 1}\n", "", 1)
	if err := os.WriteFile(path, []byte(noUsers), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out := runCheckCmd(t, path)
	if code != exitOK || !strings.Contains(out, ", as no user (the profile has no users)\n") {
		t.Fatalf("exit %d\n%s", code, out)
	}
}
