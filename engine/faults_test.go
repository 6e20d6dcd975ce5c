package engine

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/cohort-dev/cohort/bench/target"
	"github.com/cohort-dev/cohort/metrics"
	"github.com/cohort-dev/cohort/profiles"
	"github.com/cohort-dev/cohort/transport"
	"github.com/cohort-dev/cohort/virtualuser"
)

// rawServer is a TCP listener that answers HTTP badly, in the ways a real
// server or network can and the built-in target cannot.
type rawServer struct {
	ln    net.Listener
	mode  string
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns []net.Conn
}

func startRaw(t *testing.T, mode string) *rawServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &rawServer{ln: ln, mode: mode}
	s.wg.Add(1)
	go s.accept()
	return s
}

func (s *rawServer) url() string { return "http://" + s.ln.Addr().String() }

func (s *rawServer) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns = append(s.conns, c)
		s.mu.Unlock()
		s.wg.Add(1)
		go s.serve(c)
	}
}

// close stops the server and ends every connection it holds.
func (s *rawServer) close() {
	s.ln.Close()
	s.mu.Lock()
	for _, c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *rawServer) serve(c net.Conn) {
	defer s.wg.Done()
	defer c.Close()
	r := bufio.NewReader(c)
	for {
		req, err := http.ReadRequest(r)
		if err != nil {
			return
		}
		req.Body.Close()
		switch s.mode {
		case "reset":
			c.(*net.TCPConn).SetLinger(0)
			return
		case "stall":
			r.ReadByte() // until the client gives up and closes
			return
		case "slow-body":
			fmt.Fprint(c, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
			for range 1000 {
				if _, err := c.Write([]byte("x")); err != nil {
					return
				}
				time.Sleep(20 * time.Millisecond) // the fault itself: a server dripping its body
			}
			return
		case "truncated":
			fmt.Fprint(c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b")
			return
		case "early-hints":
			// A 103, and an unsolicited 100, before the answer.
			fmt.Fprint(c, "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"+
				"HTTP/1.1 100 Continue\r\n\r\n"+
				"HTTP/1.1 200 OK\r\nContent-Length: "+strconv.Itoa(len(req.URL.Path))+"\r\n\r\n"+req.URL.Path)
		case "negative-length":
			fmt.Fprint(c, "HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n")
			return
		case "bad-gzip":
			fmt.Fprint(c, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 9\r\n\r\nnot gzip!")
		case "broken-chunked":
			fmt.Fprint(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n")
			return
		case "huge-header":
			// A header of 100 MB is cut at the client's limit; send until it
			// gives up.
			fmt.Fprint(c, "HTTP/1.1 200 OK\r\nX-Big: ")
			chunk := bytes.Repeat([]byte("a"), 64<<10)
			for range 100 << 20 / len(chunk) {
				if _, err := c.Write(chunk); err != nil {
					return
				}
			}
			return
		case "bad-location":
			fmt.Fprint(c, "HTTP/1.1 302 Found\r\nLocation: http://[::1\r\nContent-Length: 0\r\n\r\n")
		case "malformed":
			fmt.Fprint(c, "HTTP/1.1 OK maybe\r\nwhat: is this\r\n\r\n")
			return
		case "redirect-loop":
			fmt.Fprintf(c, "HTTP/1.1 302 Found\r\nLocation: %s\r\nContent-Length: 0\r\n\r\n", req.URL.Path)
		case "huge-body":
			const size = 20 << 20
			fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", size)
			chunk := make([]byte, 64<<10)
			for n := 0; n < size; n += len(chunk) {
				if _, err := c.Write(chunk); err != nil {
					return
				}
			}
		}
	}
}

// faultLoad is a short run: 2 VUs share 6 iterations, and get 300 ms to
// finish when the run ends.
var faultLoad = profiles.Load{Executor: profiles.ConstantVUs, VUs: 2, Iterations: 6,
	GracefulStop: profiles.Duration(300 * time.Millisecond)}

// timedLoad is faultLoad bounded by time instead: for runs whose VUs
// never get a session, since an iteration starts with a login.
var timedLoad = profiles.Load{Executor: profiles.ConstantVUs, VUs: 2, Duration: profiles.Duration(time.Second),
	GracefulStop: profiles.Duration(300 * time.Millisecond)}

// runFault runs a one-request mix against base and checks that the run
// ended.
func runFault(t *testing.T, base, yaml string, load profiles.Load) *Outcome {
	t.Helper()
	return runFaultOn(t, transport.Shared, base, yaml, load)
}

// runFaultOn is runFault with a connection mode.
func runFaultOn(t *testing.T, mode string, base, yaml string, load profiles.Load) *Outcome {
	t.Helper()
	return runFaultUntil(context.Background(), t, mode, base, yaml, load)
}

// runFaultUntil is runFaultOn until ctx ends, if it ends before the run
// does. A run that does not end fails the test after a minute, far beyond
// any request's timeout, rather than hanging the suite.
func runFaultUntil(parent context.Context, t *testing.T, mode string, base, yaml string, load profiles.Load) *Outcome {
	t.Helper()
	return runFaultWith(parent, t, transport.Config{Mode: mode}, base, yaml, load)
}

// runFaultWith is runFaultUntil on connections tc describes.
func runFaultWith(parent context.Context, t *testing.T, tc transport.Config, base, yaml string, load profiles.Load) *Outcome {
	t.Helper()
	p, err := profiles.Parse("fault.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	p.BaseURL = base
	p.Load = load
	if err := p.CheckLoad(); err != nil {
		t.Fatal(err)
	}
	users := virtualuser.NewAnonymousPool()
	if p.Users.Generate != nil {
		users = virtualuser.NewGeneratedPool(*p.Users.Generate, false)
	}
	plan, err := virtualuser.Compile(p, virtualuser.Options{Columns: users.Columns()})
	if err != nil {
		t.Fatal(err)
	}
	tc.VUs = p.Load.PeakVUs()
	pool, err := transport.NewPool(tc)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	type result struct {
		out *Outcome
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := Run(ctx, Config{Plan: plan, Users: users, Load: p.Load, Pool: pool,
			Collector: metrics.NewCollector(plan.Series, 2), Interval: 100 * time.Millisecond})
		done <- result{out, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatal(r.err)
		}
		return r.out
	case <-time.After(time.Minute):
		t.Fatalf("the run did not end: a fault held a VU past every timeout")
		return nil
	}
}

// faultProfile is a one-request mix; timeout is the request timeout,
// expect the request's expectations (YAML, "" for none).
func faultProfile(timeout time.Duration, expect ...string) string {
	e := ""
	if len(expect) > 0 {
		e = ", expect: " + expect[0]
	}
	return fmt.Sprintf(`
http: {timeout: %v, redirects: 3, max_body: 65536}
mix: [{name: get, path: /x%s}]
`, timeout, e)
}

// oneRequest is faultProfile with a timeout no loaded machine reaches.
var oneRequest = faultProfile(30 * time.Second)

func TestFaultsAreMeasured(t *testing.T) {
	cases := []struct {
		mode   string
		reason string // "" when the requests must succeed
		// timeout is the request timeout: short where the fault is a
		// server that never answers in time, else long enough that a busy
		// machine does not turn the fault into a timeout.
		timeout time.Duration
		// hops is how many requests an iteration makes.
		hops int64
		// expect is what the answer must be, when the fault is in getting
		// the right one.
		expect string
	}{
		{"reset", "connection_reset|eof", 30 * time.Second, 1, ""},
		{"stall", "timeout", 300 * time.Millisecond, 1, ""},
		{"slow-body", "timeout", 300 * time.Millisecond, 1, ""},
		{"truncated", "eof", 30 * time.Second, 1, ""},
		{"malformed", "malformed_response", 30 * time.Second, 1, ""},
		{"redirect-loop", "too_many_redirects", 30 * time.Second, 4, ""}, // 3 redirects followed, then the 4th answer fails
		{"huge-body", "", 30 * time.Second, 1, ""},
		{"negative-length", "malformed_response", 30 * time.Second, 1, ""},
		{"broken-chunked", "malformed_response", 30 * time.Second, 1, ""},
		{"bad-gzip", "malformed_response", 30 * time.Second, 1, `{body_contains: "gzip"}`},
		{"huge-header", "malformed_response", 30 * time.Second, 1, ""},
		{"bad-location", "malformed_response", 30 * time.Second, 1, ""},
		{"early-hints", "", 30 * time.Second, 1, `{status: [200], body_contains: "/x"}`}, // the final answer, not a 1xx
	}
	for _, c := range cases {
		for _, conn := range []string{transport.Shared, transport.PerUser, transport.PerRequest} {
			t.Run(c.mode+"/"+conn, func(t *testing.T) {
				defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
				srv := startRaw(t, c.mode)
				out := runFaultOn(t, conn, srv.url(), faultProfile(c.timeout, c.expect), faultLoad)
				srv.close()
				s := out.Total.Series[0]
				iterations := int64(faultLoad.Iterations)
				if out.Total.Iterations != iterations || s.Count != iterations*c.hops {
					t.Fatalf("%d iterations, %d requests; want %d and %d", out.Total.Iterations, s.Count, iterations, iterations*c.hops)
				}
				if c.reason == "" {
					if s.Failures != 0 {
						t.Fatalf("%d failures: %v", s.Failures, reasons(s))
					}
					return
				}
				var counted int64
				for _, r := range strings.Split(c.reason, "|") {
					counted += reasonCount(s, r)
				}
				if counted != iterations || s.Failures != iterations {
					t.Fatalf("%d failures, %d of them %s; reasons %v; want every iteration to fail so", s.Failures, counted, c.reason, reasons(s))
				}
			})
		}
	}
}

func reasonCount(s metrics.SeriesAgg, name string) int64 {
	for i, n := range s.Reasons {
		if metrics.Reason(i).String() == name {
			return n
		}
	}
	return 0
}

func reasons(s metrics.SeriesAgg) map[string]int64 {
	out := map[string]int64{}
	for i, n := range s.Reasons {
		if n > 0 {
			out[metrics.Reason(i).String()] = n
		}
	}
	return out
}

func TestRefusedAndServerErrors(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	// Nothing listens: every request is refused, the run goes on to its end.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	out := runFault(t, "http://"+addr, oneRequest, faultLoad)
	if s := out.Total.Series[0]; reasonCount(s, "connection_refused") != s.Count || s.Count == 0 {
		t.Fatalf("refused: %v of %d", reasons(s), s.Count)
	}
	// A burst of 500s: status failures.
	tg, _ := target.New(target.Config{ErrorRate: 1})
	srv := httptest.NewServer(tg)
	out = runFault(t, srv.URL, oneRequest, faultLoad)
	srv.Close()
	if s := out.Total.Series[0]; reasonCount(s, "status") != s.Count || s.Status()[500] != s.Count {
		t.Fatalf("500s: %v, statuses %v", reasons(s), s.Status())
	}
}

func TestHugeBodiesStayBounded(t *testing.T) {
	srv := startRaw(t, "huge-body")
	defer srv.close()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	out := runFault(t, srv.url(), `
http: {timeout: 5s, max_body: 65536}
mix: [{name: get, path: /x, expect: {body_contains: "never"}}]
`, faultLoad)
	runtime.GC()
	runtime.ReadMemStats(&after)
	s := out.Total.Series[0]
	if s.Count == 0 || reasonCount(s, "expectation") != s.Count {
		t.Fatalf("%d requests, reasons %v", s.Count, reasons(s))
	}
	// 20 MiB bodies, kept up to 64 KiB each: the heap must not hold them.
	if grown := int64(after.HeapInuse) - int64(before.HeapInuse); grown > 32<<20 {
		t.Fatalf("the heap grew by %d MiB over %d requests of 20 MiB bodies", grown>>20, s.Count)
	}
}

// TestTargetKilledAndRestarted takes the target away in the middle of a run
// and brings it back: refusals are counted, the VUs log in again, and the
// run carries on until they have (then it is stopped).
func TestTargetKilledAndRestarted(t *testing.T) {
	firstLogins, secondLogins := make(chan struct{}, 1000), make(chan struct{}, 1000)
	tg, _ := target.New(target.Config{OnLogin: notify(firstLogins)})
	base, err := tg.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimPrefix(base, "http://")
	src, _ := profiles.BuiltinSource("spring-form")
	load := profiles.Load{Executor: profiles.ConstantVUs, VUs: 3, Duration: profiles.Duration(time.Hour),
		GracefulStop: profiles.Duration(time.Second)}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	done := make(chan *Outcome)
	go func() { done <- runFaultUntil(ctx, t, transport.Shared, base, string(src), load) }()
	// Let the VUs log in and work, kill the target, bring up a new one
	// (empty session store) on the same address.
	waitForLogins(t, firstLogins, 3)
	tg.Close(context.Background())
	second, _ := target.New(target.Config{OnLogin: notify(secondLogins)})
	for deadline := time.Now().Add(30 * time.Second); ; {
		_, err := second.Start(addr)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("cannot listen on %s again: %v", addr, err)
		}
	}
	defer second.Close(context.Background())
	// Every VU must log in again, on the new target.
	waitForLogins(t, secondLogins, 3)
	stop()
	out := <-done
	var refused int64
	for _, s := range out.Total.Series {
		refused += reasonCount(s, "connection_refused") + reasonCount(s, "connection_reset") + reasonCount(s, "eof")
	}
	s := out.Total.Sessions
	if s.Logins+s.LoginFailures <= 3 {
		t.Fatalf("after the restart: cohort counted %d logins, %d failed: every VU must log in again", s.Logins, s.LoginFailures)
	}
	// The outage shows somewhere: refused or broken connections, lost
	// sessions, or logins that failed when their session vanished with
	// the old target (a GET in flight may be retried by net/http on a new
	// connection, landing on the new target without an error).
	_, failed := out.Total.Requests()
	if refused+failed+s.SessionsLost+s.LoginFailures == 0 {
		t.Fatal("the outage left no trace: no failed request, no lost session, no failed login")
	}
}

// notify returns a target's OnLogin hook that signals on ch (dropping a
// signal nobody waits for).
func notify(ch chan struct{}) func() {
	return func() {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// waitForLogins waits for n logins signalled on ch, for a minute at most.
func waitForLogins(t *testing.T, ch chan struct{}, n int) {
	t.Helper()
	deadline := time.NewTimer(time.Minute)
	defer deadline.Stop()
	for i := range n {
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("only %d of %d logins after a minute", i, n)
		}
	}
}

// TestLoginPageWithoutTheField serves a login form without the CSRF field
// the profile extracts: every login fails, counted as extract failures of
// the login page, and the run still ends on time.
func TestLoginPageWithoutTheField(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<form method="post" action="/login"><input name="username"><input name="password"></form>`)
	}))
	src, _ := profiles.BuiltinSource("spring-form")
	out := runFault(t, srv.URL, string(src), timedLoad)
	srv.Close()
	page := out.Total.Series[0] // login-page
	if out.Total.Sessions.Logins != 0 || out.Total.Sessions.LoginFailures == 0 ||
		reasonCount(page, "extract") != out.Total.Sessions.LoginFailures {
		t.Fatalf("sessions %+v, login-page reasons %v", out.Total.Sessions, reasons(page))
	}
}
