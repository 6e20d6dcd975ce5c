package virtualuser

import (
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/net/publicsuffix"

	"github.com/cohort-dev/cohort/metrics"
)

// jarSet is one response: the URL it came from and its Set-Cookie lines.
type jarSet struct {
	from string
	set  []string
}

func setCookies(t *testing.T, lines []string) []*http.Cookie {
	t.Helper()
	return parseSetCookies(lines)
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestJar(t *testing.T) {
	cases := []struct {
		name string
		sets []jarSet
		to   map[string]string // request URL → Cookie header wanted
		// stdlib is false where net/http/cookiejar (with the public
		// suffix list) knowingly answers otherwise: it keeps no prefix
		// rules, no secure-origin rules and no limits.
		stdlib bool
	}{
		{"host-only", []jarSet{{"http://a.example.com/", []string{"x=1"}}},
			map[string]string{"http://a.example.com/": "x=1", "http://b.example.com/": "", "http://z.a.example.com/": ""}, true},
		{"domain cookie", []jarSet{{"http://a.example.com/", []string{"x=1; Domain=.example.com"}}},
			map[string]string{"http://b.example.com/": "x=1", "http://example.com/p": "x=1", "http://example.org/": ""}, true},
		{"foreign domain refused", []jarSet{{"http://a.example.com/", []string{"x=1; Domain=other.com"}}},
			map[string]string{"http://a.example.com/": "", "http://other.com/": ""}, true},
		{"top-level domain refused", []jarSet{{"http://shop.com/", []string{"x=1; Domain=com"}}},
			map[string]string{"http://shop.com/": "", "http://other.com/": ""}, true},
		{"public suffix refused", []jarSet{{"http://shop.co.uk/", []string{"x=1; Domain=co.uk", "y=2; Domain=shop.co.uk"}}},
			map[string]string{"http://shop.co.uk/": "y=2", "http://other.co.uk/": "", "http://a.shop.co.uk/": "y=2"}, true},
		{"private public suffix refused", []jarSet{{"http://me.github.io/", []string{"x=1; Domain=github.io"}}},
			map[string]string{"http://me.github.io/": "", "http://you.github.io/": ""}, true},
		{"public suffix that is the host: host-only", []jarSet{{"http://github.io/", []string{"x=1; Domain=github.io"}}},
			map[string]string{"http://github.io/": "x=1", "http://me.github.io/": ""}, true},
		{"__Secure- needs Secure", []jarSet{{"https://h.test/", []string{"__Secure-a=1", "__Secure-b=2; Secure", "__secure-c=3"}}},
			map[string]string{"https://h.test/": "__Secure-b=2"}, false},
		{"__Host- needs Secure, no Domain, Path=/", []jarSet{{"https://a.h.test/x/y", []string{
			"__Host-ok=1; Secure; Path=/", "__Host-dom=2; Secure; Path=/; Domain=h.test",
			"__Host-path=3; Secure; Path=/x", "__Host-nopath=4; Secure", "__Host-plain=5; Path=/"}}},
			map[string]string{"https://a.h.test/": "__Host-ok=1", "https://b.h.test/": ""}, false},
		{"no Secure cookie from plain HTTP", []jarSet{{"http://h.test/", []string{"s=1; Secure", "p=2"}}},
			map[string]string{"https://h.test/": "p=2", "http://h.test/": "p=2"}, false},
		{"plain HTTP leaves Secure cookies alone", []jarSet{{"https://h.test/", []string{"s=1; Secure"}}, {"http://h.test/", []string{"s=2", "t=3"}}},
			map[string]string{"https://h.test/": "s=1; t=3", "http://h.test/": "t=3"}, false},
		{"loopback is a secure origin", []jarSet{{"http://127.0.0.1:8080/", []string{"s=1; Secure", "__Host-h=2; Secure; Path=/"}}, {"http://localhost/", []string{"l=3; Secure"}}},
			map[string]string{"http://127.0.0.1:8080/": "s=1; __Host-h=2", "http://localhost:9/": "l=3"}, false},
		{"IP host", []jarSet{{"http://127.0.0.1:8080/", []string{"a=1; Domain=127.0.0.1", "b=2; Domain=0.0.1", "c=3"}}},
			map[string]string{"http://127.0.0.1:9090/": "a=1; c=3", "http://127.0.0.2/": ""}, true},
		{"path attribute", []jarSet{{"http://h.test/", []string{"x=1; Path=/app"}}},
			map[string]string{"http://h.test/app": "x=1", "http://h.test/app/x": "x=1", "http://h.test/application": "", "http://h.test/": ""}, true},
		{"default path", []jarSet{{"http://h.test/app/login", []string{"x=1"}}},
			map[string]string{"http://h.test/app/home": "x=1", "http://h.test/app": "x=1", "http://h.test/": ""}, true},
		{"secure only over https", []jarSet{{"https://h.test/", []string{"s=1; Secure", "p=2"}}},
			map[string]string{"https://h.test/": "s=1; p=2", "http://h.test/": "p=2"}, true},
		{"Max-Age=0 deletes", []jarSet{{"http://h.test/", []string{"a=1", "b=2"}}, {"http://h.test/", []string{"a=; Max-Age=0"}}},
			map[string]string{"http://h.test/": "b=2"}, true},
		{"past Expires deletes", []jarSet{{"http://h.test/", []string{"a=1"}}, {"http://h.test/", []string{"a=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT"}}},
			map[string]string{"http://h.test/": ""}, true},
		{"a replaced cookie keeps its place", []jarSet{{"http://h.test/", []string{"a=1", "b=2"}}, {"http://h.test/", []string{"a=3"}}},
			map[string]string{"http://h.test/": "a=3; b=2"}, true},
		{"longer paths first", []jarSet{{"http://h.test/", []string{"a=1; Path=/", "b=2; Path=/app/x", "c=3; Path=/app"}}},
			map[string]string{"http://h.test/app/x/y": "b=2; c=3; a=1"}, true},
		{"same name, other paths", []jarSet{{"http://h.test/", []string{"id=root; Path=/", "id=app; Path=/app"}}},
			map[string]string{"http://h.test/app": "id=app; id=root", "http://h.test/": "id=root"}, true},
		{"quoted and spaced values", []jarSet{{"http://h.test/", []string{`q="v1"`, "s=a b"}}},
			map[string]string{"http://h.test/": `q="v1"; s="a b"`}, true},
		{"host case and trailing dot", []jarSet{{"http://H.Test./", []string{"x=1"}}},
			map[string]string{"http://h.test/": "x=1"}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			j := NewJar(nil)
			ref, _ := cookiejar.New(&cookiejar.Options{PublicSuffixList: publicsuffix.List})
			for _, s := range c.sets {
				u := mustURL(t, s.from)
				j.SetCookies(u, setCookies(t, s.set))
				ref.SetCookies(u, setCookies(t, s.set))
			}
			for to, want := range c.to {
				u := mustURL(t, to)
				got := strings.Join(j.Header(u), "")
				if got != want {
					t.Errorf("to %s: Cookie %q, want %q", to, got, want)
				}
				if !c.stdlib {
					continue
				}
				req := &http.Request{Header: http.Header{}}
				for _, ck := range ref.Cookies(u) {
					req.AddCookie(ck)
				}
				if std := req.Header.Get("Cookie"); std != got {
					t.Errorf("to %s: Cookie %q, net/http/cookiejar sends %q", to, got, std)
				}
			}
		})
	}
}

// TestJarLimits checks browsers' limits: a cookie over 4096 bytes is
// refused, a site keeps its 180 newest cookies and the jar 3000 in all,
// and every refusal and eviction is counted by reason.
func TestJarLimits(t *testing.T) {
	t.Run("size", func(t *testing.T) {
		j := NewJar(nil)
		u := mustURL(t, "http://h.test/")
		fits := "a=" + strings.Repeat("v", MaxCookieBytes-1)
		over := "b=" + strings.Repeat("v", MaxCookieBytes)
		j.SetCookies(u, setCookies(t, []string{fits, over}))
		if j.Len() != 1 || j.Value(u, "a") == "" {
			t.Errorf("kept %d cookies, a=%d bytes; want the 4096-byte one only", j.Len(), len(j.Value(u, "a")))
		}
		if d := j.TakeDropped(); d[metrics.DropTooLarge] != 1 || d != (metrics.CookieDrops{metrics.DropTooLarge: 1}) {
			t.Errorf("dropped %v, want one too_large", d)
		}
		if d := j.TakeDropped(); d != (metrics.CookieDrops{}) {
			t.Errorf("TakeDropped did not forget: %v", d)
		}
	})
	t.Run("per site", func(t *testing.T) {
		j := NewJar(nil)
		u := mustURL(t, "http://a.example.com/")
		lines := make([]string, 10000)
		for i := range lines {
			lines[i] = fmt.Sprintf("c%d=%d", i, i)
		}
		j.SetCookies(u, setCookies(t, lines))
		// A cookie of b.example.com counts against the same site.
		j.SetCookies(mustURL(t, "http://b.example.com/"), setCookies(t, []string{"other=1"}))
		if j.Len() != MaxCookiesPerSite {
			t.Fatalf("kept %d cookies, want %d", j.Len(), MaxCookiesPerSite)
		}
		hdr := strings.Split(strings.Join(j.Header(u), ""), "; ")
		if len(hdr) != MaxCookiesPerSite-1 || hdr[0] != "c9821=9821" || hdr[len(hdr)-1] != "c9999=9999" {
			t.Errorf("sent %d cookies, %q ... %q; want c9821 to c9999", len(hdr), hdr[0], hdr[len(hdr)-1])
		}
		if d := j.TakeDropped(); d[metrics.DropEvicted] != 10000+1-MaxCookiesPerSite {
			t.Errorf("evicted %d, want %d", d[metrics.DropEvicted], 10000+1-MaxCookiesPerSite)
		}
		// A cookie set anew (a rotated session id) still counts against
		// its site: one more new cookie evicts one.
		j.SetCookies(u, setCookies(t, []string{"c9999=again"}))
		j.SetCookies(u, setCookies(t, []string{"new=1"}))
		if j.Len() != MaxCookiesPerSite || j.Value(u, "c9999") != "again" || j.Value(u, "new") != "1" {
			t.Errorf("after a replaced and a new cookie: %d cookies (c9999=%q, new=%q), want %d", j.Len(), j.Value(u, "c9999"), j.Value(u, "new"), MaxCookiesPerSite)
		}
	})
	t.Run("in all", func(t *testing.T) {
		j := NewJar(nil)
		for site := range 20 {
			u := mustURL(t, fmt.Sprintf("http://s%d.test/", site))
			lines := make([]string, MaxCookiesPerSite)
			for i := range lines {
				lines[i] = fmt.Sprintf("c%d=1", i)
			}
			j.SetCookies(u, setCookies(t, lines))
		}
		if j.Len() != MaxCookies {
			t.Errorf("kept %d, want %d", j.Len(), MaxCookies)
		}
		if got := j.Header(mustURL(t, "http://s0.test/")); got != nil {
			t.Errorf("the oldest site kept %q, want it evicted first", got)
		}
		if d := j.TakeDropped(); d[metrics.DropEvicted] != 20*MaxCookiesPerSite-MaxCookies {
			t.Errorf("evicted %d, want %d", d[metrics.DropEvicted], 20*MaxCookiesPerSite-MaxCookies)
		}
	})
	t.Run("reasons", func(t *testing.T) {
		j := NewJar(nil)
		j.SetCookies(mustURL(t, "http://shop.co.uk/"), setCookies(t, []string{"a=1; Domain=co.uk", "b=1; Domain=other.uk", "__Host-c=1", "d=1; Secure"}))
		want := metrics.CookieDrops{metrics.DropPublicSuffix: 1, metrics.DropForeignDomain: 1, metrics.DropPrefix: 1, metrics.DropInsecure: 1}
		if d := j.TakeDropped(); d != want {
			t.Errorf("dropped %v, want %v", d, want)
		}
	})
}

func TestJarExpiresOnItsClock(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	j := NewJar(func() time.Time { return now })
	u := mustURL(t, "http://h.test/")
	j.SetCookies(u, setCookies(t, []string{"short=1; Max-Age=10", "until=2; Expires=Thu, 26 Nov 2026 12:00:30 GMT", "session=3"}))
	steps := []struct {
		after time.Duration
		want  string
	}{
		{0, "short=1; until=2; session=3"},
		{9 * time.Second, "short=1; until=2; session=3"},
		{10 * time.Second, "until=2; session=3"},
		{30 * time.Second, "session=3"},
	}
	for _, s := range steps {
		now = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC).Add(s.after)
		if got := strings.Join(j.Header(u), ""); got != s.want {
			t.Errorf("after %v: %q, want %q", s.after, got, s.want)
		}
	}
	if j.Len() != 1 || j.Value(u, "session") != "3" || j.Value(u, "short") != "" {
		t.Errorf("%d cookies kept, session=%q short=%q", j.Len(), j.Value(u, "session"), j.Value(u, "short"))
	}
}

func TestJarHeaderFollowsChanges(t *testing.T) {
	j := NewJar(nil)
	u := mustURL(t, "http://h.test/api/profile")
	if h := j.Header(u); h != nil {
		t.Fatalf("empty jar sent %q", h)
	}
	j.SetCookies(u, setCookies(t, []string{"JSESSIONID=one; Path=/"}))
	first := j.Header(u)
	if again := j.Header(u); &again[0] != &first[0] {
		t.Error("an unchanged jar wrote its header again")
	}
	j.SetCookies(u, setCookies(t, []string{"JSESSIONID=two; Path=/"}))
	if got := j.Header(u); got[0] != "JSESSIONID=two" || first[0] != "JSESSIONID=one" {
		t.Errorf("after rotation %q (the earlier header %q must not change under a request holding it)", got, first)
	}
	if got := j.Header(mustURL(t, "http://other.test/api/profile")); got != nil {
		t.Errorf("another host got %q", got)
	}
	d := NewDiscardJar()
	d.SetCookies(u, setCookies(t, []string{"a=1"}))
	if d.Len() != 0 || d.Header(u) != nil {
		t.Error("a discarding jar kept a cookie")
	}
	// A session that logs in again empties its jar in place.
	j.Reset()
	if j.Len() != 0 || j.Header(u) != nil {
		t.Errorf("a reset jar holds %d cookies, sends %q", j.Len(), j.Header(u))
	}
	j.SetCookies(u, setCookies(t, []string{"JSESSIONID=three; Path=/"}))
	if got := j.Header(u); len(got) != 1 || got[0] != "JSESSIONID=three" {
		t.Errorf("after a reset and a new cookie the jar sends %q", got)
	}
	d.Reset()
	if d.SetCookies(u, setCookies(t, []string{"a=1"})); d.Len() != 0 {
		t.Error("a discarding jar, reset, kept a cookie")
	}
}

// TestJarKeepsLittle checks what a jar of a million warm sessions holds: a
// cookie's strings are its own, not parts of the Set-Cookie line (which
// they would keep whole), and Compact lets the cached header go without
// changing what the next request sends.
func TestJarKeepsLittle(t *testing.T) {
	u := mustURL(t, "http://app.example.com/api/profile")
	line := "JSESSIONID=0F1E2D3C4B5A6978; Path=/; Domain=example.com; HttpOnly; SameSite=Lax" // lower case: nothing lowers it into a copy of its own
	j := NewJar(nil)
	j.SetCookies(u, setCookies(t, []string{line}))
	within := func(s string) bool {
		p, start := uintptr(unsafe.Pointer(unsafe.StringData(s))), uintptr(unsafe.Pointer(unsafe.StringData(line)))
		return len(s) > 0 && p >= start && p < start+uintptr(len(line))
	}
	c := j.cookies[0]
	for _, f := range []struct{ name, s string }{{"name", c.name}, {"value", c.value}, {"domain", c.domain}, {"path", c.path}} {
		if within(f.s) {
			t.Errorf("the cookie's %s %q is a part of the Set-Cookie line", f.name, f.s)
		}
	}
	if c.name != "JSESSIONID" || c.value != "0F1E2D3C4B5A6978" || c.domain != "example.com" || c.path != "/" {
		t.Fatalf("stored %+v", c)
	}
	before := j.Header(u)
	j.Compact()
	if j.cache != nil {
		t.Fatal("Compact kept the cache")
	}
	if after := j.Header(u); len(after) != 1 || after[0] != before[0] || after[0] != "JSESSIONID=0F1E2D3C4B5A6978" {
		t.Errorf("after Compact the header is %q, before %q", after, before)
	}
}

// BenchmarkJarHeader is the per-request cost of the Cookie header for a
// logged-in VU, against net/http/cookiejar plus Request.AddCookie.
func BenchmarkJarHeader(b *testing.B) {
	u, _ := url.Parse("http://127.0.0.1:8080/api/profile")
	lines := []string{"JSESSIONID=0F1E2D3C4B5A69788796A5B4C3D2E1F0; Path=/; HttpOnly", "XSRF-TOKEN=5d1c7a4e-8f0b-4c3e-9a21-6b7d8e9f0a1b; Path=/"}
	cookies := (&http.Response{Header: http.Header{"Set-Cookie": lines}}).Cookies()
	b.Run("cohort", func(b *testing.B) {
		j := NewJar(nil)
		j.SetCookies(u, cookies)
		h := http.Header{}
		b.ReportAllocs()
		for b.Loop() {
			h["Cookie"] = j.Header(u)
		}
	})
	b.Run("stdlib", func(b *testing.B) {
		j, _ := cookiejar.New(nil)
		j.SetCookies(u, cookies)
		b.ReportAllocs()
		for b.Loop() {
			req := http.Request{Header: http.Header{}}
			for _, c := range j.Cookies(u) {
				req.AddCookie(c)
			}
		}
	})
}
