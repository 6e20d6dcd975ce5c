package target

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is the target's clock in tests: time moves only when told, and
// sleeping records the wait instead of waiting.
type fakeClock struct {
	mu     sync.Mutex
	t      time.Time
	sleeps []time.Duration
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func (c *fakeClock) sleep(_ context.Context, d time.Duration) {
	c.mu.Lock()
	c.sleeps = append(c.sleeps, d)
	c.mu.Unlock()
}

func (c *fakeClock) slept() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// testTarget is a target behind an httptest server, on a fake clock.
type testTarget struct {
	*Target
	url   string
	clock *fakeClock
}

func startTarget(t *testing.T, c Config) *testTarget {
	t.Helper()
	clock := newFakeClock()
	c.Now, c.Sleep = clock.now, clock.sleep
	tg, err := New(c)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv := httptest.NewServer(tg)
	t.Cleanup(srv.Close)
	return &testTarget{Target: tg, url: srv.URL, clock: clock}
}

// browser is a client with its own cookie jar that does not follow
// redirects, so tests see every hop.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
	jar  *cookiejar.Jar
}

func newBrowser(t *testing.T, base string) *browser {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: base, jar: jar, c: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// response is what a test reads of an answer.
type response struct {
	status int
	header http.Header
	body   string
}

func (b *browser) do(method, path string, header map[string]string, body string) response {
	b.t.Helper()
	u := path
	if !strings.HasPrefix(u, "http") {
		u = b.base + path
	}
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		b.t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: string(data)}
}

var (
	htmlAccept = map[string]string{"Accept": "text/html"}
	jsonAccept = map[string]string{"Accept": "application/json"}
)

func (b *browser) get(path string, header map[string]string) response {
	return b.do(http.MethodGet, path, header, "")
}

func (b *browser) postForm(path string, form url.Values) response {
	return b.do(http.MethodPost, path, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, form.Encode())
}

var csrfInput = regexp.MustCompile(`name="_csrf" type="hidden" value="([^"]*)"`)

// csrfFrom returns the hidden _csrf value of a page.
func csrfFrom(t *testing.T, page string) string {
	t.Helper()
	m := csrfInput.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no _csrf input in page:\n%s", page)
	}
	return m[1]
}

// login runs the form login of user<n> and returns the POST's response.
func (b *browser) login(user, pass string) response {
	b.t.Helper()
	tok := csrfFrom(b.t, b.get("/login", htmlAccept).body)
	return b.postForm("/login", url.Values{"username": {user}, "password": {pass}, "_csrf": {tok}})
}

func (b *browser) cookie(name string) string {
	u, _ := url.Parse(b.base)
	for _, c := range b.jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// setCookies returns the Set-Cookie headers of a response, parsed.
func setCookies(r response) map[string]*http.Cookie {
	out := map[string]*http.Cookie{}
	for _, line := range r.header.Values("Set-Cookie") {
		c, err := http.ParseSetCookie(line)
		if err == nil {
			out[c.Name] = c
		}
	}
	return out
}

func wantStatus(t *testing.T, what string, r response, want int) {
	t.Helper()
	if r.status != want {
		t.Fatalf("%s: status %d, want %d; body: %s", what, r.status, want, r.body)
	}
}
