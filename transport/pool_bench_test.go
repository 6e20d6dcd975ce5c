package transport

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
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
