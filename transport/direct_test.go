package transport

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"strings"
	"testing"
	"time"
)

// get sends one request through rt and reads the body.
func get(t *testing.T, rt http.RoundTripper, method, url string, reused *bool) (int, string, error) {
	t.Helper()
	ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
		GotConn: func(i httptrace.GotConnInfo) {
			if reused != nil {
				*reused = i.Reused
			}
		},
	})
	req, _ := http.NewRequestWithContext(ctx, method, url, nil)
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

func directPool(t *testing.T) *Pool { t.Helper(); return directPoolOf(t, 1) }

// directPoolOf is a per-user pool for a run of vus VUs (LeanVUs or more:
// connections borrow their buffers).
func directPoolOf(t *testing.T, vus int) *Pool {
	t.Helper()
	p, err := NewPool(Config{Mode: PerUser, VUs: vus, Insecure: true})
	if err != nil || !p.direct {
		t.Fatalf("no direct per-user pool: %v", err)
	}
	t.Cleanup(p.Close)
	return p
}

func TestDirectConnKeepsAlive(t *testing.T) {
	for _, tls := range []bool{false, true} {
		t.Run(fmt.Sprint("tls=", tls), func(t *testing.T) {
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/chunked" {
					w.(http.Flusher).Flush() // no Content-Length: chunked
				}
				fmt.Fprint(w, "body of "+r.URL.Path)
			})
			srv := httptest.NewServer(h)
			if tls {
				srv = httptest.NewTLSServer(h)
			}
			defer srv.Close()
			p := directPool(t)
			rt := p.ForVU()
			for i, path := range []string{"/a", "/chunked", "/b", "/chunked", "/c"} {
				var reused bool
				code, body, err := get(t, rt, http.MethodGet, srv.URL+path, &reused)
				if err != nil || code != 200 || body != "body of "+path {
					t.Fatalf("%s: %d %q %v", path, code, body, err)
				}
				if reused != (i > 0) {
					t.Fatalf("request %d reused=%v", i, reused)
				}
			}
			if p.Opened() != 1 {
				t.Fatalf("%d connections for 5 requests", p.Opened())
			}
		})
	}
}

// TestDirectConnIdleHoldsNoSocket checks that a VU's connection let go
// before a long think keeps nothing of its socket (a closed descriptor and
// its addresses are 300 bytes of each of 100,000 idle VUs), and that the
// next request opens a new one.
func TestDirectConnIdleHoldsNoSocket(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "x") }))
	defer srv.Close()
	for _, vus := range []int{1, LeanVUs} {
		t.Run(fmt.Sprint("vus=", vus), func(t *testing.T) {
			p := directPoolOf(t, vus)
			d := p.ForVU().(*directConn)
			for round := range 2 {
				if code, body, err := get(t, d, http.MethodGet, srv.URL, nil); err != nil || code != 200 || body != "x" {
					t.Fatalf("round %d: %d %q %v", round, code, body, err)
				}
				d.ReleaseIdle()
				if d.conn != nil || d.lim.r != nil || d.raw != nil || d.br != nil || d.bw != nil || d.wire != nil {
					t.Fatalf("round %d: an idle connection still holds conn %v, reader %v, raw %v, buffers %v %v, codec %v",
						round, d.conn, d.lim.r, d.raw, d.br, d.bw, d.wire)
				}
			}
			if p.Opened() != 2 {
				t.Errorf("%d connections opened, want 2 (one after each let go)", p.Opened())
			}
		})
	}
}

// TestDirectConnCountsFailedHandshakes checks that a TCP connection whose
// TLS handshake fails is counted as opened: Opened is the TCP connections
// a run opened.
func TestDirectConnCountsFailedHandshakes(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "x") }))
	defer srv.Close()
	p := directPool(t)
	if _, _, err := get(t, p.ForVU(), http.MethodGet, strings.Replace(srv.URL, "http://", "https://", 1), nil); err == nil {
		t.Fatal("a TLS handshake with a plain HTTP server worked")
	}
	if p.Opened() != 1 {
		t.Errorf("%d connections opened, want 1 (its handshake failed)", p.Opened())
	}
}

func TestDirectConnHonoursConnectionClose(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "x") }))
	srv.Config.SetKeepAlivesEnabled(false)
	srv.Start()
	defer srv.Close()
	p := directPool(t)
	rt := p.ForVU()
	for range 3 {
		if code, _, err := get(t, rt, http.MethodGet, srv.URL, nil); err != nil || code != 200 {
			t.Fatal(code, err)
		}
	}
	if p.Opened() != 3 {
		t.Fatalf("%d connections; Connection: close asks for one per request", p.Opened())
	}
}

// oneShot answers one request per connection, then closes it without
// saying so, as a server whose keep-alive timer ran out does.
func oneShot(t *testing.T) (string, *int) {
	t.Helper()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	t.Cleanup(func() { ln.Close() })
	served := new(int)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if req, err := http.ReadRequest(bufio.NewReader(c)); err == nil {
				*served++
				io.Copy(io.Discard, req.Body)
				fmt.Fprint(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
			}
			c.Close()
		}
	}()
	return "http://" + ln.Addr().String(), served
}

func TestDirectConnRetriesOnlyIdempotentRequests(t *testing.T) {
	url, served := oneShot(t)
	rt := directPool(t).ForVU()
	if code, _, err := get(t, rt, http.MethodGet, url, nil); err != nil || code != 200 {
		t.Fatal(code, err)
	}
	// The server closed the kept connection: a GET is sent again on a new one.
	if code, _, err := get(t, rt, http.MethodGet, url, nil); err != nil || code != 200 {
		t.Fatalf("GET after a silent close: %d %v", code, err)
	}
	// A POST may have been acted on: it is not sent twice.
	before := *served
	if _, _, err := get(t, rt, http.MethodPost, url, nil); err == nil {
		t.Fatal("a POST on a closed connection was retried")
	}
	if *served != before {
		t.Fatalf("the server saw the POST %d times", *served-before)
	}
}

func TestDirectConnAbortsOnCancel(t *testing.T) {
	for _, vus := range []int{1, LeanVUs} {
		t.Run(fmt.Sprint("vus=", vus), func(t *testing.T) { abortsOnCancel(t, vus) })
	}
}

func abortsOnCancel(t *testing.T, vus int) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	defer srv.Close()
	defer close(release)
	rt := directPoolOf(t, vus).ForVU()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	done := make(chan error, 1)
	go func() {
		_, err := rt.RoundTrip(req)
		done <- err
	}()
	cancel()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "canceled") {
			t.Fatalf("err %v, want context canceled", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("a cancelled request kept waiting")
	}
}

// deadlineConn records the deadlines set on it.
type deadlineConn struct {
	net.Conn
	set []time.Time
}

func (c *deadlineConn) SetDeadline(t time.Time) error {
	c.set = append(c.set, t)
	return nil
}

// A connection's deadline is moved once in timeout/64, never earlier than
// a request's own deadline and never more than timeout/64 later.
func TestDeadlineKeptWithSlack(t *testing.T) {
	const timeout = 640 * time.Millisecond // slack 10 ms
	c := &deadlineConn{}
	d := &directConn{conn: c, dl: deadlineUnknown, slack: timeout / deadlineSlack}
	start := time.Unix(1_000_000, 0)
	for i := range 100 { // a request every millisecond
		want := start.Add(time.Duration(i)*time.Millisecond + timeout)
		d.keepDeadline(want)
		if d.dl.Before(want) || d.dl.After(want.Add(10*time.Millisecond)) {
			t.Fatalf("request %d: deadline %v, want within [%v, +10ms]", i, d.dl.Sub(start), want.Sub(start))
		}
	}
	if n := len(c.set); n != 10 {
		t.Errorf("deadline set %d times for 100 requests over 100 ms, want 10", n)
	}
	d.keepDeadline(start.Add(time.Millisecond)) // the run ends sooner: moved back
	if got := c.set[len(c.set)-1]; !got.Equal(start.Add(time.Millisecond + 10*time.Millisecond)) {
		t.Errorf("an earlier deadline set to %v", got.Sub(start))
	}
	d.keepDeadline(time.Time{})
	if got := c.set[len(c.set)-1]; !got.IsZero() {
		t.Errorf("no deadline set to %v", got)
	}
	n := len(c.set)
	d.keepDeadline(time.Time{})
	if len(c.set) != n {
		t.Error("no deadline set again")
	}
}

// A body drained with io.Copy (the codec's WriteTo) leaves the connection
// ready for the next request; one cut short fails with net/http's error and
// the connection is not used again.
func TestDirectConnDrainsBodies(t *testing.T) {
	for _, vus := range []int{1, LeanVUs} {
		t.Run(fmt.Sprint("vus=", vus), func(t *testing.T) { drainsBodies(t, vus) })
	}
}

func drainsBodies(t *testing.T, vus int) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	t.Cleanup(func() { ln.Close() })
	answers := []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			br := bufio.NewReader(c)
			for _, a := range answers {
				if _, err := http.ReadRequest(br); err != nil {
					break
				}
				io.WriteString(c, a)
			}
			c.Close()
			answers = answers[:1]
		}
	}()
	p := directPoolOf(t, vus)
	rt := p.ForVU()
	drain := func() error {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, "http://"+ln.Addr().String()+"/", nil)
		resp, err := rt.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		n, err := io.Copy(io.Discard, resp.Body)
		if err == nil && n != 5 {
			t.Errorf("drained %d bytes, want 5", n)
		}
		return err
	}
	for i, want := range []error{nil, nil, io.ErrUnexpectedEOF, nil} {
		if err := drain(); err != want {
			t.Fatalf("answer %d: %v, want %v", i, err, want)
		}
	}
	if p.Opened() != 2 {
		t.Errorf("%d connections, want 2 (a new one after the cut answer)", p.Opened())
	}
}

// In a run of LeanVUs VUs, a connection over plain TCP gives its buffers
// back after each exchange (a VU waiting for its answer holds none); with
// fewer VUs, or over TLS, it keeps its own.
func TestDirectConnLendsBuffers(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") })
	for _, tt := range []struct {
		vus  int
		tls  bool
		lent bool
	}{{LeanVUs, false, true}, {LeanVUs, true, false}, {LeanVUs - 1, false, false}} {
		t.Run(fmt.Sprint("vus=", tt.vus, "/tls=", tt.tls), func(t *testing.T) {
			srv := httptest.NewServer(h)
			if tt.tls {
				srv = httptest.NewTLSServer(h)
			}
			defer srv.Close()
			// HTTP/1.1 only: over TLS the connection itself speaks (auto
			// would offer h2 through a transport of the VU's own).
			p, err := NewPool(Config{Mode: PerUser, VUs: tt.vus, Insecure: true, Version: Version11})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			rt := p.ForVU()
			for range 3 {
				if code, body, err := get(t, rt, http.MethodGet, srv.URL, nil); err != nil || code != 200 || body != "ok" {
					t.Fatal(code, body, err)
				}
			}
			d := rt.(*directConn)
			if held := d.br != nil || d.bw != nil; held == tt.lent {
				t.Errorf("buffers held between exchanges: %v, want %v", held, !tt.lent)
			}
			if p.Opened() != 1 {
				t.Errorf("%d connections, want 1", p.Opened())
			}
		})
	}
}

// A VU that waits for an answer with no buffer still times out.
func TestDirectConnTimesOutWaiting(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	defer srv.Close()
	defer close(release)
	p, err := NewPool(Config{Mode: PerUser, VUs: LeanVUs})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	d := p.ForVU().(*directConn)
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	if _, err := d.RoundTripTimeout(req, 100*time.Millisecond); err != context.DeadlineExceeded {
		t.Fatalf("err %v, want context.DeadlineExceeded", err)
	}
}
