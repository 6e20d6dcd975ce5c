package harimport

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cohort-dev/cohort/profiles"
)

// importFixture imports testdata/NAME.har, a recording Playwright made in
// Chromium against the built-in target (scripts/har-record), and loads
// the profile as cohort does.
func importFixture(t *testing.T, name string, o Options) (*Result, *profiles.Profile) {
	t.Helper()
	file := filepath.Join("testdata", name+".har")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	h, err := Parse(file, data)
	if err != nil {
		t.Fatal(err)
	}
	if o.Think == "" {
		o.Think = "recorded"
	}
	o.File, o.Name, o.UsersCSV = name+".har", name, name+".users.csv"
	res, err := Import(h, o)
	if err != nil {
		t.Fatal(err)
	}
	p, err := profiles.Parse(name+".yaml", res.Profile)
	if err != nil {
		t.Fatalf("the profile does not load: %v\n%s", err, res.Profile)
	}
	return res, p
}

// journey returns the steps of the imported journey by name.
func journey(t *testing.T, p *profiles.Profile) map[string]profiles.JourneyStep {
	t.Helper()
	if len(p.Mix) != 1 || !p.Mix[0].Journey() {
		t.Fatalf("want one journey in the mix, got %+v", p.Mix)
	}
	out := map[string]profiles.JourneyStep{}
	for _, s := range p.Mix[0].Steps {
		out[s.Name] = s
	}
	return out
}

func TestImportFormLoginAndShop(t *testing.T) {
	res, p := importFixture(t, "form", Options{})
	if p.Session.Cookie != "JSESSIONID" || p.Session.Lost.RedirectTo != "/login$" || len(p.Session.Lost.Status) != 1 {
		t.Fatalf("session %+v", p.Session)
	}
	if len(p.Login) != 2 {
		t.Fatalf("login %+v", p.Login)
	}
	submit := p.Login[1]
	if submit.Path != "/login" || submit.Form["username"] != "{{user.username}}" || submit.Form["password"] != "{{user.password}}" ||
		submit.Form["_csrf"] != "{{vars.csrf}}" || submit.Redirects != nil || submit.Expect.Status[0] != 302 {
		t.Fatalf("login submit %+v", submit)
	}
	// The login page's token is read on the page the first step lands on
	// (/ redirected to /login).
	if ex := p.Login[0].Extract; len(ex) != 1 || ex[0].CSS != `input[name="_csrf"]` || *p.Login[0].Redirects != 1 {
		t.Fatalf("login page %+v", p.Login[0])
	}
	j := journey(t, p)
	shop, product, cart, checkout := j["shop"], j["products"], j["cart"], j["checkout"]
	if len(shop.Extract) != 1 || shop.Extract[0].CSS != "a.product" || !shop.Extract[0].All || product.Path != "{{pick vars.product}}" {
		t.Fatalf("the product link: shop %+v, product %+v", shop.Extract, product.Path)
	}
	if cart.Form["product_id"] != "{{vars.product_id}}" || cart.Form["_csrf"] != "{{vars.csrf}}" || cart.Redirects != nil || cart.Expect.Status[0] != 200 {
		t.Fatalf("add to cart %+v", cart.Step)
	}
	// The masked token of each page is read from that page.
	for step, css := range map[string]string{"products": `input[name="_csrf"]`, "cart": `input[name="_csrf"]`} {
		found := false
		for _, ex := range j[step].Extract {
			found = found || (ex.Name == "csrf" && ex.CSS == css)
		}
		if !found {
			t.Errorf("%s does not read csrf from %s: %+v", step, css, j[step].Extract)
		}
	}
	if checkout.Form["_csrf"] != "{{vars.csrf}}" || *checkout.Redirects != 0 || checkout.Expect.Location != `^/shop/orders/[0-9]+$` ||
		len(checkout.Extract) != 1 || checkout.Extract[0].Header != "Location" {
		t.Fatalf("checkout %+v", checkout.Step)
	}
	for _, name := range []string{"orders", "orders-2"} {
		if j[name].Path != "{{vars.orders_url}}" {
			t.Errorf("%s: path %q, want the order read from the checkout's redirect", name, j[name].Path)
		}
	}
	if j["home-2"].Expect.BodyContains != "Logged in as {{user.username}}<" {
		t.Errorf("home: %q", j["home-2"].Expect.BodyContains)
	}
	// The logout's token is read from the page it was clicked on, again
	// in the logout: a VU that never ran the journey logs out too.
	if len(p.Logout) != 2 || p.Logout[0].Path != "/account" || p.Logout[0].Extract[0].CSS != `meta[name="_csrf"]` ||
		p.Logout[1].Path != "/logout" || p.Logout[1].Form["_csrf"] != "{{vars.csrf}}" {
		t.Fatalf("logout %+v", p.Logout)
	}
	if res.Username != "user1" || res.Password != "pass1" {
		t.Fatalf("user %q", res.Username)
	}
	noSecrets(t, "form", res)
	wantLines(t, res.Report, "dropped: 1 static assets (.ico 1)", "login: POST /login posts the credentials; it and the 1 request before it are the login",
		"session: cookie JSESSIONID (set anew at login)", "lost session: a 401, or a redirect to /login", "logout: POST /logout",
		"correlated: path of GET /shop/orders/2 ← header Location of POST /shop/checkout (vars.orders_url)")
}

func TestImportSPACookieCSRF(t *testing.T) {
	res, p := importFixture(t, "spa", Options{})
	j := journey(t, p)
	if j["orders"].Headers["X-XSRF-TOKEN"] != "{{cookie.XSRF-TOKEN}}" || p.Logout[0].Headers["X-XSRF-TOKEN"] != "{{cookie.XSRF-TOKEN}}" {
		t.Fatalf("the cookie echoed: %+v, logout %+v", j["orders"].Headers, p.Logout[0].Headers)
	}
	if p.Session.Cookie != "JSESSIONID" {
		t.Fatalf("session cookie %q: the XSRF-TOKEN cookie, echoed, is not the session's", p.Session.Cookie)
	}
	if j["orders-2"].Path != "{{vars.orders_url}}" || j["profile"].Expect.BodyContains != `"username":"{{user.username}}"` {
		t.Fatalf("journey %+v", j)
	}
	noSecrets(t, "spa", res)
	wantLines(t, res.Report, "correlated: header X-XSRF-TOKEN of POST /api/orders ← cookie XSRF-TOKEN",
		"dropped: 1 requests that were never answered (blocked, cancelled, or a redirect not followed)")
}

func TestImportJWT(t *testing.T) {
	res, p := importFixture(t, "jwt", Options{})
	tok := p.Login[len(p.Login)-1]
	if tok.Path != "/api/auth/token" || tok.JSON == nil || len(tok.Extract) != 1 || tok.Extract[0].JSON != "access_token" || !tok.Extract[0].Secret {
		t.Fatalf("token step %+v", tok)
	}
	body, _ := json.Marshal(tok.JSON)
	if string(body) != `{"password":"{{user.password}}","username":"{{user.username}}"}` {
		t.Fatalf("token body %s", body)
	}
	for name, s := range journey(t, p) {
		if s.Headers["Authorization"] != "Bearer {{vars.access_token}}" {
			t.Errorf("%s: Authorization %q", name, s.Headers["Authorization"])
		}
	}
	if p.Session.Cookie != "" || p.Session.Lost.Status[0] != 401 {
		t.Fatalf("session %+v", p.Session)
	}
	noSecrets(t, "jwt", res)
}

func TestImportServletForm(t *testing.T) {
	res, p := importFixture(t, "servlet", Options{})
	if len(p.Login) != 2 || p.Login[1].Path != "/app/j_security_check" || p.Login[1].Form["j_password"] != "{{user.password}}" || *p.Login[1].Redirects != 1 {
		t.Fatalf("login %+v", p.Login)
	}
	if p.Session.Lost.BodyContains != "j_security_check" || p.Session.Cookie != "JSESSIONID" {
		t.Fatalf("session %+v", p.Session)
	}
	if len(p.Logout) != 1 || p.Logout[0].Path != "/app/logout" {
		t.Fatalf("logout %+v", p.Logout)
	}
	noSecrets(t, "servlet", res)
}

func TestImportOAuth2(t *testing.T) {
	res, p := importFixture(t, "oauth2", Options{})
	if p.OAuth2 == nil || p.OAuth2.Start != "/oauth2/authorization/idp" {
		t.Fatalf("oauth2 %+v", p.OAuth2)
	}
	// After the provider, the application's page; nothing of the
	// provider's is a step (the oauth2 section replays it).
	var own []profiles.Step
	for _, s := range p.Login {
		if s.OAuth2Role == "" {
			own = append(own, s)
		}
	}
	if len(own) != 1 || own[0].Path != "/" || strings.Contains(string(res.Profile), "127.0.0.2") {
		t.Fatalf("login %+v\n%s", p.Login, res.Profile)
	}
	if p.Session.Lost.RedirectTo != "" {
		t.Fatalf("lost %+v: the provider's pages are no sign of a lost session", p.Session.Lost)
	}
	noSecrets(t, "oauth2", res)
}

func TestImportOptions(t *testing.T) {
	t.Run("base URL", func(t *testing.T) {
		_, p := importFixture(t, "form", Options{BaseURL: "https://shop.example.test/"})
		if p.BaseURL != "https://shop.example.test" {
			t.Fatalf("base_url %q", p.BaseURL)
		}
	})
	t.Run("think none", func(t *testing.T) {
		_, p := importFixture(t, "form", Options{Think: "none"})
		for _, s := range p.Mix[0].Steps {
			if s.Think.Type != "" && s.Think.Type != "none" {
				t.Fatalf("%s thinks %+v", s.Name, s.Think)
			}
		}
	})
	t.Run("think fixed", func(t *testing.T) {
		_, p := importFixture(t, "form", Options{Think: "2s"})
		if p.Think.Type != "constant" || p.Think.Duration.D().String() != "2s" {
			t.Fatalf("think %+v", p.Think)
		}
	})
	t.Run("think recorded", func(t *testing.T) {
		_, p := importFixture(t, "form", Options{})
		if s := journey(t, p)["home-2"]; s.Think.Type != "constant" || s.Think.Duration.D() <= 0 {
			t.Fatalf("home thinks %+v", s.Think)
		}
	})
	t.Run("keep assets", func(t *testing.T) {
		// The login's redirect to the favicon (Spring's saved request:
		// the browser's own request) is no part of the login: a step of
		// its own when assets are kept.
		res, p := importFixture(t, "form", Options{KeepAssets: true})
		if !strings.Contains(string(res.Profile), "path: /favicon.ico?continue") || p.Login[1].Redirects != nil {
			t.Fatalf("the favicon was dropped with --keep-assets, or the login follows it:\n%s", res.Profile)
		}
	})
}

// noSecrets checks the profile and the report hold no value the recording
// has for a password, a cookie, a hidden field or a token.
func noSecrets(t *testing.T, name string, res *Result) {
	t.Helper()
	data, _ := os.ReadFile(filepath.Join("testdata", name+".har"))
	h, _ := Parse(name, data)
	secrets := map[string]bool{res.Password: true}
	for _, e := range h.Log.Entries {
		for _, c := range append(e.Request.Cookies, e.Response.Cookies...) {
			secrets[c.Value] = true
		}
		if v, ok := decodeJSON(e.Response.body()); ok {
			walkJSON(v, "", func(path, key, value string) {
				if strings.HasSuffix(key, "_token") || key == "token" {
					secrets[value] = true
				}
			})
		}
		if pd := e.Request.PostData; pd != nil {
			for _, f := range parseForm(pd) {
				if len(f.Value) >= 16 {
					secrets[f.Value] = true
				}
			}
		}
	}
	out := string(res.Profile) + strings.Join(res.Report, "\n")
	for s := range secrets {
		if len(s) >= 5 && strings.Contains(out, s) {
			t.Errorf("the import shows a secret of the recording (%d characters): %q", len(s), s)
		}
	}
}

func wantLines(t *testing.T, report []string, want ...string) {
	t.Helper()
	all := strings.Join(report, "\n")
	for _, w := range want {
		if !strings.Contains(all, w) {
			t.Errorf("the report has no %q:\n%s", w, all)
		}
	}
}

func TestParseErrors(t *testing.T) {
	entry := `{"startedDateTime": "2026-12-01T10:00:00Z", "request": {"method": "GET", "url": "http://127.0.0.1/"}, "response": {"status": 200}}`
	cases := []struct {
		name, har, want string
	}{
		{"syntax", "{\n  \"log\": [\n", "h.har:3: not JSON"},
		{"type", "{\"log\": {\"entries\": [\n {\"time\": \"slow\"}]}}", "h.har:2: log.entries.time: want a float64, not a JSON string"},
		{"no entries", `{"log": {"entries": []}}`, "h.har: log.entries: no entries"},
		{"third entry's method", "{\"log\": {\"entries\": [\n" + entry + ",\n" + entry + ",\n" +
			`{"startedDateTime": "2026-12-01T10:00:00Z", "request": {"url": "http://127.0.0.1/"}}` + "]}}",
			"h.har:4: log.entries[2].request.method: missing"},
		{"relative URL", "{\"log\": {\"entries\": [\n" + strings.Replace(entry, "http://127.0.0.1/", "/login?token=abc", 1) + "]}}",
			"h.har:2: log.entries[0].request.url: not an absolute http or https URL"},
		{"no time", "{\"log\": {\"entries\": [\n" + strings.Replace(entry, `"startedDateTime": "2026-12-01T10:00:00Z", `, "", 1) + "]}}",
			"h.har:2: log.entries[0].startedDateTime: missing"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("h.har", []byte(c.har))
			if err == nil || !strings.HasPrefix(err.Error(), c.want) {
				t.Fatalf("error %v\nwant %q", err, c.want)
			}
			if strings.Contains(err.Error(), "token=abc") {
				t.Fatalf("the error shows the URL: %v", err)
			}
		})
	}
}
