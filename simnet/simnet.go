// Package simnet is a simulated network for tests: it serves an
// http.Handler in-process, on a clock, behind transports that open, keep
// and reuse connections as real ones do. A run over it on a fake clock
// reports connections, phases, timeouts and resets exactly, without a
// socket and whatever the machine's speed.
//
// A request's exchange runs the handler in a goroutine of its own and
// waits for it on the clock; a handler that waits (the built-in target's
// latency, stalls, store latency) must wait on the same clock.
package simnet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/cohort-dev/cohort/clock"
)

// Network is one simulated server and the links to it.
type Network struct {
	// Handler answers every request, whatever its host.
	Handler http.Handler
	// Clock is the network's time; nil is the system's.
	Clock clock.Clock
	// Connect is how long opening a connection takes.
	Connect time.Duration

	opened   atomic.Int64
	requests atomic.Int64
}

// Opened returns how many connections the network's transports opened.
func (n *Network) Opened() int64 { return n.opened.Load() }

// Requests returns how many requests reached the handler.
func (n *Network) Requests() int64 { return n.requests.Load() }

// Transport returns a client transport over the network. With keepAlive,
// it keeps up to idle connections for later requests (a shared pool keeps
// one per VU, a VU of its own one); without, each request opens one.
// opened, if set, is told of every connection opened.
// It is a *Transport.
func (n *Network) Transport(keepAlive bool, idle int, opened func()) http.RoundTripper {
	if !keepAlive {
		idle = 0
	}
	return &Transport{n: n, clock: clock.Or(n.Clock), maxIdle: idle, opened: opened}
}

// Transport is a client's side of the network. It is safe for concurrent
// use (a shared pool is one Transport for many VUs).
type Transport struct {
	n       *Network
	clock   clock.Clock
	maxIdle int
	opened  func()

	mu   sync.Mutex
	idle int // connections kept alive, free for the next request
}

// errReset is what a client sees of a connection the server reset.
var errReset = fmt.Errorf("simnet: read: %w", syscall.ECONNRESET)

// errTimeout is what a client sees when its request outlives its timeout.
var errTimeout = fmt.Errorf("simnet: %w", os.ErrDeadlineExceeded)

// RoundTrip sends req, bounded by its context only.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	return t.RoundTripTimeout(req, 0)
}

// RoundTripTimeout sends req; the exchange fails with a timeout once it
// has taken timeout (0: no timeout) of the network's clock.
func (t *Transport) RoundTripTimeout(req *http.Request, timeout time.Duration) (*http.Response, error) {
	ctx := req.Context()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	trace := httptrace.ContextClientTrace(ctx)
	var deadline clock.Timer
	var expired <-chan time.Time
	if timeout > 0 {
		deadline = t.clock.NewTimer(timeout)
		defer deadline.Stop()
		expired = deadline.C()
	}
	if trace != nil && trace.GetConn != nil {
		trace.GetConn(req.URL.Host)
	}
	reused, err := t.connect(ctx, req.URL.Host, trace, expired)
	if err != nil {
		return nil, err
	}
	if trace != nil && trace.GotConn != nil {
		trace.GotConn(httptrace.GotConnInfo{Reused: reused})
	}
	sreq, err := serverRequest(req)
	if err != nil {
		return nil, err
	}
	if trace != nil && trace.WroteRequest != nil {
		trace.WroteRequest(httptrace.WroteRequestInfo{})
	}
	resp, err := t.serve(ctx, sreq, expired)
	if err != nil {
		return nil, err
	}
	if trace != nil && trace.GotFirstResponseByte != nil {
		trace.GotFirstResponseByte()
	}
	resp.Request = req
	if !resp.Close && !req.Close {
		t.putIdle()
	}
	return resp, nil
}

// connect takes a kept-alive connection, or opens one; it reports whether
// the connection was reused.
func (t *Transport) connect(ctx context.Context, host string, trace *httptrace.ClientTrace, expired <-chan time.Time) (bool, error) {
	t.mu.Lock()
	if t.idle > 0 {
		t.idle--
		t.mu.Unlock()
		return true, nil
	}
	t.mu.Unlock()
	if trace != nil && trace.ConnectStart != nil {
		trace.ConnectStart("tcp", host)
	}
	if t.n.Connect > 0 {
		tm := t.clock.NewTimer(t.n.Connect)
		defer tm.Stop()
		select {
		case <-tm.C():
		case <-expired:
			return false, errTimeout
		case <-ctx.Done():
			return false, ctx.Err()
		}
	}
	if trace != nil && trace.ConnectDone != nil {
		trace.ConnectDone("tcp", host, nil)
	}
	t.n.opened.Add(1)
	if t.opened != nil {
		t.opened()
	}
	return false, nil
}

func (t *Transport) putIdle() {
	t.mu.Lock()
	if t.idle < t.maxIdle {
		t.idle++
	}
	t.mu.Unlock()
}

// ReleaseIdle closes the connections kept alive (a VU that thinks long
// lets its connection go).
func (t *Transport) ReleaseIdle() {
	t.mu.Lock()
	t.idle = 0
	t.mu.Unlock()
}

// serverRequest is req as the server reads it: its body read off the
// wire, its request line and host set.
func serverRequest(req *http.Request) (*http.Request, error) {
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		var err error
		body, err = io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
	}
	s := req.Clone(context.WithoutCancel(req.Context()))
	s.Body = io.NopCloser(bytes.NewReader(body))
	s.ContentLength = int64(len(body))
	s.RequestURI = req.URL.RequestURI()
	s.RemoteAddr = "127.0.0.1:40000"
	if s.Host == "" {
		s.Host = req.URL.Host
	}
	return s, nil
}

// serve runs the handler for sreq and waits for its answer, the timeout
// or the client's context, whichever comes first.
func (t *Transport) serve(ctx context.Context, sreq *http.Request, expired <-chan time.Time) (*http.Response, error) {
	sctx, cancel := context.WithCancel(sreq.Context())
	defer cancel()
	rec := httptest.NewRecorder()
	answered := make(chan error, 1)
	t.n.requests.Add(1)
	go func() {
		answered <- handle(t.n.Handler, rec, sreq.WithContext(sctx))
	}()
	select {
	case err := <-answered:
		if err != nil {
			return nil, err
		}
		return rec.Result(), nil
	case <-expired:
		cancel()
		<-answered
		return nil, errTimeout
	case <-ctx.Done():
		cancel()
		<-answered
		return nil, ctx.Err()
	}
}

// handle calls h; a handler that aborts (http.ErrAbortHandler, as the
// built-in target does to reset a connection) is a reset connection.
func handle(h http.Handler, w http.ResponseWriter, r *http.Request) (err error) {
	defer func() {
		if p := recover(); p != nil {
			if e, ok := p.(error); ok && errors.Is(e, http.ErrAbortHandler) {
				err = errReset
				return
			}
			panic(p)
		}
	}()
	h.ServeHTTP(w, r)
	return nil
}
