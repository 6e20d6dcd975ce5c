package target

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"testing"
)

// discardWriter is a ResponseWriter that keeps only the status and headers,
// so benchmarks measure the handler rather than a recorder's buffer.
type discardWriter struct {
	h      http.Header
	status int
}

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardWriter) WriteHeader(s int)           { d.status = s }

func (d *discardWriter) reset() {
	clear(d.h)
	d.status = http.StatusOK
}

// loginInProcess logs user in through the handler and returns the session
// cookie header value.
func loginInProcess(tb testing.TB, tg *Target, user, pass string) string {
	tb.Helper()
	w := &discardWriter{h: http.Header{}}
	rec := httptest.NewRecorder()
	tg.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/login", nil))
	cookie := strings.SplitN(rec.Header().Get("Set-Cookie"), ";", 2)[0]
	tok := csrfInput.FindStringSubmatch(rec.Body.String())[1]
	form := url.Values{"username": {user}, "password": {pass}, "_csrf": {tok}}.Encode()
	req := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Cookie", cookie)
	tg.ServeHTTP(w, req)
	if w.status != http.StatusFound || w.h.Get("Location") != "/" {
		tb.Fatalf("login of %s: status %d Location %q", user, w.status, w.h.Get("Location"))
	}
	return strings.SplitN(w.h.Get("Set-Cookie"), ";", 2)[0]
}

// BenchmarkProfileSession is the target's hot path: an authenticated API
// read through a session cookie.
func BenchmarkProfileSession(b *testing.B) {
	tg, _ := New(Config{})
	cookie := loginInProcess(b, tg, "user1", "pass1")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		req := httptest.NewRequest(http.MethodGet, "/api/profile", nil)
		req.Header.Set("Cookie", cookie)
		req.Header.Set("Accept", "application/json")
		w := &discardWriter{h: http.Header{}}
		for pb.Next() {
			w.reset()
			tg.ServeHTTP(w, req)
			if w.status != http.StatusOK {
				b.Fatalf("status %d", w.status)
			}
		}
	})
}

// BenchmarkFormLogin is the whole form login: the page and the POST.
func BenchmarkFormLogin(b *testing.B) {
	tg, _ := New(Config{})
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		loginInProcess(b, tg, fmt.Sprintf("user%d", i), fmt.Sprintf("pass%d", i))
	}
}

// BenchmarkLiveSessionMemory logs in 100,000 users and reports the heap
// each live, authenticated session holds (session, CSRF token, map entry).
func BenchmarkLiveSessionMemory(b *testing.B) {
	const sessions = 100_000
	for b.Loop() {
		tg, _ := New(Config{})
		before := heapInUse()
		for i := range sessions {
			loginInProcess(b, tg, fmt.Sprintf("user%d", i), fmt.Sprintf("pass%d", i))
		}
		after := heapInUse()
		if live := tg.Stats().LiveSessions; live != sessions {
			b.Fatalf("%d live sessions, want %d", live, sessions)
		}
		b.ReportMetric(float64(after-before)/sessions, "B/session")
		runtime.KeepAlive(tg)
	}
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
