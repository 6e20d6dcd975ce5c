package findings

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

func kinds(fs []Finding) []Kind {
	var out []Kind
	for _, f := range fs {
		out = append(out, f.Kind)
	}
	slices.Sort(out)
	return out
}

func cookie(t *testing.T, line string) *http.Cookie {
	t.Helper()
	c, err := http.ParseSetCookie(line)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSessionCookie(t *testing.T) {
	cases := []struct {
		name, url, line string
		want            []Kind
	}{
		{"sound", "https://shop.example/login", "JSESSIONID=abc; Path=/; Secure; HttpOnly; SameSite=Lax", []Kind{CookieAttributesInfo}},
		{"plain http", "http://shop.example/login", "JSESSIONID=abc; Path=/; HttpOnly; SameSite=Lax", []Kind{CookieOverHTTP}},
		{"no HttpOnly", "https://shop.example/login", "JSESSIONID=abc; Path=/; Secure; SameSite=Lax", []Kind{CookieNoHTTPOnly}},
		{"no Secure", "https://shop.example/login", "JSESSIONID=abc; Path=/; HttpOnly; SameSite=Strict", []Kind{CookieNoSecure}},
		{"no SameSite", "https://shop.example/login", "JSESSIONID=abc; Path=/; Secure; HttpOnly", []Kind{CookieNoSameSite}},
		{"SameSite=None without Secure", "https://shop.example/login", "JSESSIONID=abc; HttpOnly; SameSite=None", []Kind{CookieNoSecure, CookieSameSiteNone}},
		{"persistent", "https://shop.example/login", "JSESSIONID=abc; Secure; HttpOnly; SameSite=Lax; Max-Age=86400", []Kind{CookiePersistent}},
		{"a deletion is not judged", "http://shop.example/logout", "JSESSIONID=; Max-Age=0", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := NewObserver()
			u, _ := url.Parse(c.url)
			o.SessionCookie("login", u, cookie(t, c.line))
			got := o.Findings()
			if !slices.Equal(kinds(got), c.want) {
				t.Fatalf("findings %v, want %v", got, c.want)
			}
			for _, f := range got {
				if strings.Contains(f.Evidence, "abc") || f.Request != "login" {
					t.Fatalf("%+v: shows the value, or not the request", f)
				}
			}
		})
	}
	o := NewObserver()
	u, _ := url.Parse("http://127.0.0.1:8080/login")
	o.SessionCookie("login", u, cookie(t, "JSESSIONID=abc; HttpOnly; SameSite=Lax"))
	if f := o.Findings(); len(f) != 1 || f[0].Severity != Low || !strings.Contains(f[0].Evidence, "loopback") {
		t.Fatalf("plain http on loopback: %+v, want one low finding that says loopback", f)
	}
}

func TestLoginRotation(t *testing.T) {
	o := NewObserver()
	o.Login("login", "A", "B")
	o.Login("login", "", "C") // no session before: nothing to judge
	if got := kinds(o.Findings()); !slices.Equal(got, []Kind{NoRotationInfo}) {
		t.Fatalf("rotated: %v", got)
	}
	o.Login("login", "D", "D")
	o.Login("login", "E", "E")
	f := o.Findings()
	if f[0].Kind != NoRotation || f[0].Severity != High || f[0].Count != 2 || strings.Contains(f[0].Evidence, "D") {
		t.Fatalf("kept: %+v", f)
	}
}

func TestSessionIDs(t *testing.T) {
	o := NewObserver()
	o.SessionID("login", 1, "0123456789ABCDEF0123456789ABCDEF")
	o.SessionID("login", 2, "FEDCBA9876543210FEDCBA9876543210")
	o.SessionID("login", 2, "FEDCBA9876543210FEDCBA9876543210") // the same VU again: not a repeat
	f := o.Findings()
	if len(f) != 1 || f[0].Kind != SessionIDsInfo || !strings.Contains(f[0].Evidence, "32 characters of upper-case hex, at most 128 bits") || f[0].Count != 3 {
		t.Fatalf("Tomcat-like ids: %+v", f)
	}
	o = NewObserver()
	o.SessionID("login", 1, "1A2B3C4D")
	o.SessionID("login", 2, "1A2B3C4D")
	got := o.Findings()
	if !slices.Equal(kinds(got), []Kind{WeakIDs, DuplicateIDs}) || !strings.Contains(got[0].Evidence+got[1].Evidence, "at most 32 bits") {
		t.Fatalf("short ids, one given to two VUs: %+v", got)
	}
	for _, g := range got {
		if strings.Contains(g.Evidence, "1A2B3C4D") {
			t.Fatalf("%+v shows an id", g)
		}
	}
	o = NewObserver()
	o.SessionID("login", 1, base64.StdEncoding.EncodeToString([]byte("8d0a8f4e-1c2b-4e5f-9a7b-3c4d5e6f7a8b")))
	if f := o.Findings(); len(f) != 1 || f[0].Kind != SessionIDsInfo || !strings.Contains(f[0].Evidence, "48 characters of letters and digits") {
		t.Fatalf("a Spring Session id: %+v", f)
	}
}

func jwt(t *testing.T, header, claims, key string) string {
	t.Helper()
	enc := base64.RawURLEncoding.EncodeToString
	signed := enc([]byte(header)) + "." + enc([]byte(claims))
	if key == "-" {
		return signed + "."
	}
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(signed))
	return signed + "." + enc(m.Sum(nil))
}

func TestTokens(t *testing.T) {
	hs := `{"alg":"HS256","typ":"JWT"}`
	cases := []struct {
		name, token string
		want        []Kind
	}{
		{"sound", jwt(t, hs, `{"sub":"u","iat":1000,"exp":1900}`, "k3y-only-the-server-knows-0123456789"), []Kind{TokenLifetimeInfo}},
		{"long-lived", jwt(t, hs, `{"sub":"u","iat":1000,"exp":200000}`, "k3y-only-the-server-knows-0123456789"), []Kind{TokenLongLived}},
		{"no expiry", jwt(t, hs, `{"sub":"u","iat":1000}`, "k3y-only-the-server-knows-0123456789"), []Kind{TokenNoExpiry}},
		{"weak key", jwt(t, hs, `{"sub":"u","iat":1000,"exp":1900}`, "secret"), []Kind{TokenLifetimeInfo, TokenWeakKey}},
		{"alg none", jwt(t, `{"alg":"none"}`, `{"sub":"u","iat":1000,"exp":1900}`, "-"), []Kind{TokenAlgNone, TokenLifetimeInfo}},
		{"not a token", "5f1c0d9e-opaque-refresh-token", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := NewObserver()
			o.Token("token", c.token)
			got := o.Findings()
			if !slices.Equal(kinds(got), c.want) {
				t.Fatalf("findings %+v, want %v", got, c.want)
			}
			for _, f := range got {
				if strings.Contains(f.Evidence, c.token[:10]) {
					t.Fatalf("%+v shows the token", f)
				}
			}
		})
	}
}

func TestMerge(t *testing.T) {
	a := []Finding{{Kind: NoRotation, Severity: High, Count: 2, Request: "login"}, {Kind: CookieOverHTTP, Severity: Low, Count: 5}}
	b := []Finding{{Kind: CookieOverHTTP, Severity: High, Count: 1, Evidence: "over http://shop"}, {Kind: WeakIDs, Severity: High, Count: 3}}
	got := Merge(a, b)
	want := []Finding{{Kind: NoRotation, Severity: High, Count: 2, Request: "login"}, {Kind: CookieOverHTTP, Severity: High, Count: 6, Evidence: "over http://shop"},
		{Kind: WeakIDs, Severity: High, Count: 3}}
	Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("merged %+v\nwant %+v", got, want)
	}
}
