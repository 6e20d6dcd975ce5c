package engine

import (
	"bytes"
	"compress/gzip"
	"context"
	"github.com/cohort-dev/cohort/transport"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// gzipped is s compressed.
func gzipped(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

// TestCompressionInEveryMode checks that shared, per-user and
// per-request connections ask for compression the same way (gzip by
// default, nothing with http.compression: none) and hand the inflated body
// to expectations and extractors.
func TestCompressionInEveryMode(t *testing.T) {
	var mu sync.Mutex
	asked := map[string]int{} // Accept-Encoding → requests
	page := "<p>the token is tok-7f3a</p>"
	zipped := gzipped(t, page)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ae := r.Header.Get("Accept-Encoding")
		mu.Lock()
		asked[ae]++
		mu.Unlock()
		if strings.Contains(ae, "gzip") {
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(zipped)
			return
		}
		w.Write([]byte(page))
	}))
	defer srv.Close()
	for _, mode := range []string{transport.Shared, transport.PerUser, transport.PerRequest} {
		for _, c := range []struct{ setting, wantHeader string }{{"", "gzip"}, {"gzip", "gzip"}, {"none", ""}} {
			t.Run(mode+"/"+c.setting, func(t *testing.T) {
				mu.Lock()
				clear(asked)
				mu.Unlock()
				yaml := `
http: {timeout: 30s, compression: "` + c.setting + `"}
mix:
  - name: get
    path: /x
    expect: {body_contains: "tok-7f3a"}
    extract: [{name: tok, regex: 'token is (tok-[0-9a-f]+)'}]
`
				if c.setting == "" {
					yaml = strings.Replace(yaml, `, compression: ""`, "", 1)
				}
				out := runFaultOn(t, mode, srv.URL, yaml, faultLoad)
				s := out.Total.Series[0]
				if s.Count != 6 || s.Failures != 0 {
					t.Fatalf("%d requests, failures %v: the body was not what the page says", s.Count, reasons(s))
				}
				mu.Lock()
				defer mu.Unlock()
				if asked[c.wantHeader] != 6 || len(asked) != 1 {
					t.Errorf("Accept-Encoding sent %v, want %q on all 6", asked, c.wantHeader)
				}
			})
		}
	}
}

// TestGzipBombStaysBounded: an answer that inflates to 1 GiB is inflated
// only up to max_body, the rest read as it came. The bomb ends in bytes
// that are not gzip: a client that inflated it all would fail on them.
func TestGzipBombStaysBounded(t *testing.T) {
	member := new(bytes.Buffer)
	w, _ := gzip.NewWriterLevel(member, gzip.BestCompression)
	w.Write([]byte("marker "))
	w.Write(make([]byte, 1<<20))
	w.Close()
	bomb := bytes.Repeat(member.Bytes(), 1024) // 1 GiB inflated, about 1 MiB sent
	bomb = append(bomb, "not gzip at all"...)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(bomb)
	}))
	defer srv.Close()
	for _, mode := range []string{transport.Shared, transport.PerUser, transport.PerRequest} {
		t.Run(mode, func(t *testing.T) {
			out := runFaultOn(t, mode, srv.URL, `
http: {timeout: 30s, max_body: 65536}
mix: [{name: get, path: /x, expect: {body_contains: "marker"}}]
`, faultLoad)
			if s := out.Total.Series[0]; s.Count != 6 || s.Failures != 0 {
				t.Fatalf("%d requests, failures %v", s.Count, reasons(s))
			}
		})
	}
}

// TestHTTPVersionInEveryMode checks that every connection mode offers the
// same protocols: under auto, HTTP/2 where a TLS server offers it and
// HTTP/1.1 over plain HTTP; 1.1 never HTTP/2; 2 HTTP/2 only, h2c over plain
// HTTP. Per-user VUs keep one connection each, multiplexed over HTTP/2.
func TestHTTPVersionInEveryMode(t *testing.T) {
	var mu sync.Mutex
	protos := map[int]int{} // ProtoMajor → requests the server saw
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		protos[r.ProtoMajor]++
		mu.Unlock()
		w.Write([]byte("ok"))
	})
	tlsSrv := httptest.NewUnstartedServer(h)
	tlsSrv.EnableHTTP2 = true
	tlsSrv.StartTLS()
	defer tlsSrv.Close()
	plain := httptest.NewUnstartedServer(h)
	plain.Config.Protocols = new(http.Protocols)
	plain.Config.Protocols.SetHTTP1(true)
	plain.Config.Protocols.SetUnencryptedHTTP2(true)
	plain.Start()
	defer plain.Close()
	cases := []struct {
		version, base string
		major         int
	}{
		{transport.VersionAuto, tlsSrv.URL, 2}, {transport.Version11, tlsSrv.URL, 1}, {transport.Version2, tlsSrv.URL, 2},
		{transport.VersionAuto, plain.URL, 1}, {transport.Version11, plain.URL, 1}, {transport.Version2, plain.URL, 2},
	}
	for _, mode := range []string{transport.Shared, transport.PerUser, transport.PerRequest} {
		for _, c := range cases {
			t.Run(mode+"/"+c.version+"/"+c.base[:strings.Index(c.base, ":")], func(t *testing.T) {
				mu.Lock()
				clear(protos)
				mu.Unlock()
				out := runFaultWith(context.Background(), t, transport.Config{Mode: mode, Version: c.version, Insecure: true},
					c.base, oneRequest, faultLoad)
				s := out.Total.Series[0]
				if s.Count != 6 || s.Failures != 0 {
					t.Fatalf("%d requests, failures %v", s.Count, reasons(s))
				}
				mu.Lock()
				defer mu.Unlock()
				if protos[c.major] != 6 {
					t.Errorf("the server saw %v (by major version), want 6 over HTTP/%d", protos, c.major)
				}
				if got := map[int]int64{1: out.Total.HTTP1, 2: out.Total.HTTP2}; got[c.major] != 6 {
					t.Errorf("recorded HTTP/1 %d, HTTP/2 %d; want 6 over HTTP/%d", out.Total.HTTP1, out.Total.HTTP2, c.major)
				}
				// Per-user: one connection a VU (a VU may have done all six
				// before the other started). Per-request: none reused (an
				// HTTP/2 transport may dial one more than it uses).
				if opened := out.Total.Opened; mode == transport.PerUser && (opened < 1 || opened > 2 || s.New != opened) {
					t.Errorf("%d connections opened, %d requests on new ones; want one connection a VU", opened, s.New)
				}
				if mode == transport.PerRequest && (s.Reused != 0 || out.Total.Opened < 6) {
					t.Errorf("%d requests reused a connection, %d opened; want none, at least 6", s.Reused, out.Total.Opened)
				}
			})
		}
	}
}

// TestHTTP2OnlyRefusesAnHTTP1Server: with http.version 2, a TLS server that
// offers no h2 fails every request, with reason tls (it refuses the
// handshake that offers only h2), in every mode.
func TestHTTP2OnlyRefusesAnHTTP1Server(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	defer srv.Close()
	yaml := strings.Replace(oneRequest, "http: {", "http: {version: \"2\", ", 1)
	for _, mode := range []string{transport.Shared, transport.PerUser, transport.PerRequest} {
		t.Run(mode, func(t *testing.T) {
			out := runFaultWith(context.Background(), t, transport.Config{Mode: mode, Version: transport.Version2, Insecure: true}, srv.URL, yaml, faultLoad)
			if s := out.Total.Series[0]; s.Count != 6 || reasonCount(s, "tls") != 6 {
				t.Fatalf("%d requests, reasons %v; want all 6 tls", s.Count, reasons(s))
			}
		})
	}
}
