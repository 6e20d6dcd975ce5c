package simnet

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptrace"
	"os"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cohort-dev/cohort/clock"
	"github.com/cohort-dev/cohort/clock/clocktest"
)

// handler answers after wait of the network's clock; /reset aborts.
func handler(c clock.Clock, wait time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/reset" {
			panic(http.ErrAbortHandler)
		}
		clock.Sleep(r.Context(), c, wait)
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Seen", r.Method+" "+r.RequestURI+" "+r.Host+" "+string(body))
		w.WriteHeader(http.StatusTeapot)
	})
}

// exchange is one request as the client saw it.
type exchange struct {
	seen    string
	status  int
	reused  bool
	took    time.Duration
	connect time.Duration
	err     error
}

func send(t *testing.T, c *clock.Fake, rt http.RoundTripper, method, url string, timeout time.Duration) exchange {
	t.Helper()
	var x exchange
	var connStart time.Time
	trace := &httptrace.ClientTrace{
		ConnectStart: func(string, string) { connStart = c.Now() },
		ConnectDone:  func(string, string, error) { x.connect = c.Now().Sub(connStart) },
		GotConn:      func(i httptrace.GotConnInfo) { x.reused = i.Reused },
	}
	req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), method, url, nil)
	start := c.Now()
	resp, err := rt.(*Transport).RoundTripTimeout(req, timeout)
	x.took, x.err = c.Now().Sub(start), err
	if err == nil {
		x.status, x.seen = resp.StatusCode, resp.Header.Get("X-Seen")
		resp.Body.Close()
	}
	return x
}

func TestTransportsKeepAndReuseConnections(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := clock.NewFake(clocktest.Epoch)
		n := &Network{Handler: handler(c, 5*time.Millisecond), Clock: c, Connect: time.Millisecond}
		opened := 0
		own := n.Transport(true, 1, func() { opened++ })
		perRequest := n.Transport(false, 8, nil)
		var got []exchange
		clocktest.Run(t, c, func() {
			got = append(got,
				send(t, c, own, "GET", "http://127.0.0.1:8080/a?b=1", 0),
				send(t, c, own, "POST", "http://127.0.0.1:8080/c", 0),
				send(t, c, perRequest, "GET", "http://127.0.0.1:8080/d", 0),
				send(t, c, perRequest, "GET", "http://127.0.0.1:8080/d", 0))
			own.(*Transport).ReleaseIdle()
			got = append(got, send(t, c, own, "GET", "http://127.0.0.1:8080/e", 0))
		})
		want := []struct {
			seen   string
			reused bool
			took   time.Duration
		}{
			{"GET /a?b=1 127.0.0.1:8080 ", false, 6 * time.Millisecond}, // 1 ms to connect, 5 to answer
			{"POST /c 127.0.0.1:8080 ", true, 5 * time.Millisecond},
			{"GET /d 127.0.0.1:8080 ", false, 6 * time.Millisecond},
			{"GET /d 127.0.0.1:8080 ", false, 6 * time.Millisecond}, // no keep-alive
			{"GET /e 127.0.0.1:8080 ", false, 6 * time.Millisecond}, // the kept one was let go
		}
		for i, w := range want {
			g := got[i]
			if g.err != nil || g.status != http.StatusTeapot || g.seen != w.seen || g.reused != w.reused || g.took != w.took {
				t.Errorf("request %d: %+v, want %+v", i, g, w)
			}
			if !g.reused && g.connect != time.Millisecond {
				t.Errorf("request %d: connected in %v, want 1 ms", i, g.connect)
			}
		}
		if opened != 2 || n.Opened() != 4 || n.Requests() != 5 {
			t.Fatalf("opened %d (own transport) and %d in all, %d requests; want 2, 4 and 5", opened, n.Opened(), n.Requests())
		}
	})
}

func TestTransportFaults(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := clock.NewFake(clocktest.Epoch)
		n := &Network{Handler: handler(c, time.Second), Clock: c}
		rt := n.Transport(true, 1, nil)
		var late, reset, after exchange
		clocktest.Run(t, c, func() {
			late = send(t, c, rt, "GET", "http://127.0.0.1/slow", 300*time.Millisecond)
			reset = send(t, c, rt, "GET", "http://127.0.0.1/reset", 0)
			after = send(t, c, rt, "GET", "http://127.0.0.1/x", 0)
		})
		if !errors.Is(late.err, os.ErrDeadlineExceeded) || late.took != 300*time.Millisecond {
			t.Errorf("a 1 s answer with a 300 ms timeout: %v after %v", late.err, late.took)
		}
		if !errors.Is(reset.err, syscall.ECONNRESET) {
			t.Errorf("an aborted handler: %v, want a reset connection", reset.err)
		}
		// Neither a timed-out nor a reset connection is kept.
		if after.err != nil || after.reused || n.Opened() != 3 {
			t.Errorf("after the faults: %+v, %d connections opened; want a new connection", after, n.Opened())
		}
	})
}
