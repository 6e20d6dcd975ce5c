package transport

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// BenchmarkPoolGet is one kept-alive GET over loopback through the shared
// transport: what the pool adds to a request (connection counting, byte
// counting) against the cost of the exchange itself.
func BenchmarkPoolGet(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	p, err := NewPool(Config{VUs: 1, Version: Version11})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	client := &http.Client{Transport: p.ForVU()}
	b.ReportAllocs()
	for b.Loop() {
		resp, err := client.Get(srv.URL)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

// BenchmarkDirectGet is one kept-alive GET over loopback on a VU's own
// connection (--conn per-user), with the cookie and headers of a logged-in
// request: the codec's write and read, the system calls and the server's
// work. Its allocations are the transport's: the answer's values slice
// (the server's are not counted here; it runs in another goroutine but
// the same process, so B/op includes them).
func BenchmarkDirectGet(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"username":"user1","auth":"session"}`)
	}))
	defer srv.Close()
	p, err := NewPool(Config{Mode: PerUser, VUs: 1, Version: Version11})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	rt := p.ForVU()
	req := profileRequest()
	req.URL, _ = req.URL.Parse(srv.URL + "/api/profile")
	req.Host = req.URL.Host
	tr := rt.(interface {
		RoundTripTimeout(*http.Request, time.Duration) (*http.Response, error)
		RecycleHeader(http.Header)
	})
	b.ReportAllocs()
	for b.Loop() {
		resp, err := tr.RoundTripTimeout(req, 30*time.Second)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		tr.RecycleHeader(resp.Header)
	}
}
