package harimport

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
	wantLines(t, res.Report, "dropped: 1 static asset (.ico 1)", "login: POST /login posts the credentials; it and the 1 request before it are the login",
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
		"dropped: 1 request never answered (blocked, cancelled, or a redirect not followed)")
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
			"h.har:2: log.entries[0].request.url: not an absolute http, https or ws URL"},
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

// ex is one exchange of a HAR written by a test.
type ex struct {
	method, url string
	status      int
	req         []NV // request headers
	post        string
	postMime    string
	mime, body  string
	resp        []NV // response headers
	setCookies  []NV
	typ         string // _resourceType
}

// harOf builds a HAR of exchanges a second apart.
func harOf(t *testing.T, xs ...ex) *HAR {
	t.Helper()
	h := &HAR{}
	at, _ := time.Parse(time.RFC3339, "2026-12-01T10:00:00Z")
	for i, x := range xs {
		e := Entry{Started: at.Add(time.Duration(i) * time.Second), Time: 5, ResourceType: x.typ,
			Request:  Request{Method: x.method, URL: x.url, Headers: x.req},
			Response: Response{Status: x.status, Headers: x.resp, Cookies: x.setCookies, Content: Content{MimeType: x.mime, Text: x.body}}}
		if x.post != "" {
			mime := x.postMime
			if mime == "" {
				mime = "application/x-www-form-urlencoded"
			}
			e.Request.PostData = &PostData{MimeType: mime, Text: x.post}
		}
		for _, c := range x.setCookies {
			e.Response.Headers = append(e.Response.Headers, NV{Name: "Set-Cookie", Value: c.Name + "=" + c.Value})
		}
		h.Log.Entries = append(h.Log.Entries, e)
	}
	return h
}

func importHAR(t *testing.T, h *HAR) (*Result, *profiles.Profile) {
	t.Helper()
	res, err := Import(h, Options{File: "t.har", Name: "t", Think: "none", UsersCSV: "t.users.csv"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := profiles.Parse("t.yaml", res.Profile)
	if err != nil {
		t.Fatalf("%v\n%s", err, res.Profile)
	}
	return res, p
}

const (
	app       = "http://127.0.0.1:8080"
	loginForm = `<form method="post" action="/login"><input name="username"><input type="password" name="password"></form>`
)

func TestImportFindsWhatOtherRecordersWrite(t *testing.T) {
	sid := []NV{{Name: "JSESSIONID", Value: "0123456789ABCDEF0123456789ABCDEF"}}
	sid2 := []NV{{Name: "JSESSIONID", Value: "FEDCBA9876543210FEDCBA9876543210"}}
	home := ex{method: "GET", url: app + "/", status: 200, mime: "text/html", body: "<p>Logged in as user1</p>"}
	t.Run("a login on a host of its own, the beacons outnumbering the pages", func(t *testing.T) {
		beacon := ex{method: "POST", url: "http://127.0.0.3:9/collect", status: 204, post: "e=1", typ: "fetch"}
		res, p := importHAR(t, harOf(t,
			ex{method: "GET", url: app + "/", status: 302, resp: []NV{{Name: "Location", Value: "http://127.0.0.4:8443/login"}}, typ: "document"},
			ex{method: "GET", url: "http://127.0.0.4:8443/login", status: 200, mime: "text/html", body: loginForm, typ: "document"},
			beacon, beacon, beacon,
			ex{method: "POST", url: "http://127.0.0.4:8443/login", status: 302, post: "username=user1&password=pass1", resp: []NV{{Name: "Location", Value: app + "/"}}, typ: "document"},
			home, beacon, beacon))
		if p.BaseURL != app || len(p.Login) != 2 || p.Login[1].Path != "http://127.0.0.4:8443/login" || p.Login[1].Form["password"] != "{{user.password}}" {
			t.Fatalf("base %s, login %+v\n%s", p.BaseURL, p.Login, res.Profile)
		}
		wantLines(t, res.Report, "dropped: 5 requests to other hosts (127.0.0.3:9 5)")
	})
	t.Run("the exact user name field before one that contains user", func(t *testing.T) {
		res, p := importHAR(t, harOf(t,
			ex{method: "GET", url: app + "/login", status: 200, mime: "text/html", body: loginForm},
			ex{method: "POST", url: app + "/login", status: 302, post: "user_type=customer&username=user1&password=pass1", resp: []NV{{Name: "Location", Value: "/"}}},
			home))
		if res.Username != "user1" || p.Login[1].Form["user_type"] != "customer" || p.Login[1].Form["username"] != "{{user.username}}" {
			t.Fatalf("user %q, form %v", res.Username, p.Login[1].Form)
		}
	})
	t.Run("credentials nested in JSON", func(t *testing.T) {
		res, p := importHAR(t, harOf(t,
			ex{method: "POST", url: app + "/api/session", status: 200, postMime: "application/json", post: `{"user":{"email":"ann@example.test","password":"s3cret!"}}`,
				mime: "application/json", body: `{"token":"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbm4ifQ.c2lnbmF0dXJlMTIz"}`, typ: "fetch"},
			ex{method: "GET", url: app + "/api/me", status: 200, req: []NV{{Name: "Authorization", Value: "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbm4ifQ.c2lnbmF0dXJlMTIz"}}, mime: "application/json", body: `{}`, typ: "fetch"}))
		if res.Username != "ann@example.test" || res.Password != "s3cret!" || strings.Contains(string(res.Profile), "s3cret") ||
			p.Mix[0].Steps[0].Headers["Authorization"] != "Bearer {{vars.token}}" || !p.Login[0].Extract[0].Secret {
			t.Fatalf("user %q\n%s", res.Username, res.Profile)
		}
	})
	t.Run("HTTP Basic", func(t *testing.T) {
		basic := []NV{{Name: "Authorization", Value: "Basic dXNlcjE6cGFzczE="}} // user1:pass1
		res, p := importHAR(t, harOf(t,
			ex{method: "GET", url: app + "/api/profile", status: 200, req: basic, mime: "application/json", body: `{"username":"user1"}`, typ: "fetch"},
			ex{method: "GET", url: app + "/api/orders", status: 200, req: basic, mime: "application/json", body: `[]`, typ: "fetch"}))
		if !p.Session.Basic || res.Username != "user1" || res.Password != "pass1" || strings.Contains(string(res.Profile), "dXNlcjE6cGFzczE=") {
			t.Fatalf("session %+v, user %q\n%s", p.Session, res.Username, res.Profile)
		}
	})
	t.Run("a bearer token no response gave is left out, said so", func(t *testing.T) {
		tok := "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyMSJ9.c2lnbmF0dXJlNDU2"
		res, p := importHAR(t, harOf(t,
			ex{method: "GET", url: app + "/api/me", status: 200, req: []NV{{Name: "Authorization", Value: "Bearer " + tok}}, mime: "application/json", body: `{}`, typ: "fetch"}))
		if strings.Contains(string(res.Profile), tok) || p.Mix[0].Steps[0].Headers["Authorization"] != "" {
			t.Fatalf("%s", res.Profile)
		}
		wantLines(t, res.Report, "not correlated: header Authorization of GET /api/me carries a credential no earlier response holds; it is left out")
	})
	t.Run("the browser's own requests are no steps", func(t *testing.T) {
		res, p := importHAR(t, harOf(t,
			ex{method: "GET", url: app + "/", status: 200, mime: "text/html", body: "<p>hi</p>", typ: "document"},
			ex{method: "OPTIONS", url: app + "/api/orders", status: 204, req: []NV{{Name: "Access-Control-Request-Method", Value: "POST"}}, typ: "preflight"},
			ex{method: "GET", url: "ws://127.0.0.1:8080/live", status: 101, typ: "websocket"},
			ex{method: "GET", url: app + "/account", status: 200, mime: "text/html", body: "<p>a</p>", typ: "document"}))
		if len(p.Mix[0].Steps) != 2 {
			t.Fatalf("%s", res.Profile)
		}
		wantLines(t, res.Report, "dropped: 2 of the browser's own requests (CORS preflight 1, WebSocket 1)")
	})
	t.Run("a path that contains log-out is no logout", func(t *testing.T) {
		_, p := importHAR(t, harOf(t,
			ex{method: "GET", url: app + "/login", status: 200, mime: "text/html", body: loginForm},
			ex{method: "POST", url: app + "/login", status: 302, post: "username=user1&password=pass1", resp: []NV{{Name: "Location", Value: "/"}}},
			home,
			ex{method: "GET", url: app + "/catalog-outlet/shoes", status: 200, mime: "text/html", body: "<p>shoes</p>"},
			ex{method: "POST", url: app + "/auth/sign-out", status: 302, post: "x=1", resp: []NV{{Name: "Location", Value: "/login?logout"}}}))
		if len(p.Logout) != 1 || p.Logout[0].Path != "/auth/sign-out" {
			t.Fatalf("logout %+v", p.Logout)
		}
	})
	t.Run("a session id kept at login is still the session's", func(t *testing.T) {
		res, p := importHAR(t, harOf(t,
			ex{method: "GET", url: app + "/login", status: 200, mime: "text/html", body: loginForm, setCookies: sid},
			ex{method: "POST", url: app + "/login", status: 302, post: "username=user1&password=pass1", resp: []NV{{Name: "Location", Value: "/"}}},
			home))
		if p.Session.Cookie != "JSESSIONID" {
			t.Fatalf("session %+v", p.Session)
		}
		wantLines(t, res.Report, "session: cookie JSESSIONID (set before the login and kept")
		_, p = importHAR(t, harOf(t,
			ex{method: "GET", url: app + "/login", status: 200, mime: "text/html", body: loginForm, setCookies: sid},
			ex{method: "POST", url: app + "/login", status: 302, post: "username=user1&password=pass1", resp: []NV{{Name: "Location", Value: "/"}}, setCookies: sid2},
			home))
		if p.Session.Cookie != "JSESSIONID" {
			t.Fatalf("session %+v", p.Session)
		}
	})
	t.Run("an absolute Location", func(t *testing.T) {
		_, p := importHAR(t, harOf(t,
			ex{method: "POST", url: app + "/orders", status: 303, post: "item=1", resp: []NV{{Name: "Location", Value: app + "/orders/100"}}},
			ex{method: "GET", url: app + "/orders/100", status: 200, mime: "text/html", body: "<p>100</p>"},
			ex{method: "GET", url: app + "/orders/100", status: 200, mime: "text/html", body: "<p>100</p>"}))
		if got := p.Mix[0].Steps[0].Expect.Location; got != `^https?://[^/]+/orders/[0-9]+$` {
			t.Fatalf("location %q", got)
		}
	})
	t.Run("names are unique", func(t *testing.T) {
		_, p := importHAR(t, harOf(t,
			ex{method: "GET", url: app + "/login", status: 200, mime: "text/html", body: "a"},
			ex{method: "GET", url: app + "/login", status: 200, mime: "text/html", body: "b"},
			ex{method: "GET", url: app + "/login-2", status: 200, mime: "text/html", body: "c"}))
		seen := map[string]bool{}
		for _, s := range p.Mix[0].Steps {
			if seen[s.Name] {
				t.Fatalf("%s twice", s.Name)
			}
			seen[s.Name] = true
		}
	})
	t.Run("a recording of the login alone loads its page again", func(t *testing.T) {
		res, p := importHAR(t, harOf(t,
			ex{method: "GET", url: app + "/", status: 302, resp: []NV{{Name: "Location", Value: "/login"}}, typ: "document"},
			ex{method: "GET", url: app + "/login", status: 200, mime: "text/html", body: loginForm, typ: "document"},
			ex{method: "POST", url: app + "/login", status: 302, post: "username=user1&password=pass1", resp: []NV{{Name: "Location", Value: "/favicon.ico?continue"}}, typ: "document"}))
		if s := p.Mix[0].Steps; len(s) != 1 || s[0].Name != "again" || s[0].Path != "/" || s[0].Method == "POST" {
			t.Fatalf("%s", res.Profile)
		}
	})
	t.Run("no login, no users file", func(t *testing.T) {
		res, p := importHAR(t, harOf(t, ex{method: "GET", url: app + "/", status: 200, mime: "text/html", body: "a"}))
		if p.Users.CSV != "" || res.Username != "" {
			t.Fatalf("users %+v", p.Users)
		}
	})
}
