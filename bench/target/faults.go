package target

import (
	"net"
	"net/http"
	"time"
)

// injectFault applies the configured faults to a request, in the order a
// request meets them: the connection may drop, the server may be stalled,
// it is slow, and it may fail. It reports whether the request was answered.
func (t *Target) injectFault(w http.ResponseWriter, r *http.Request) bool {
	c := &t.cfg
	if c.ResetRate > 0 && c.random() < c.ResetRate {
		reset(w)
		return true
	}
	if c.StallEvery > 0 {
		if wait := stallWait(c.Now().Sub(t.started), c.StallEvery, c.StallFor); wait > 0 {
			c.Sleep(r.Context(), wait)
		}
	}
	if c.Latency > 0 || c.Jitter > 0 {
		c.Sleep(r.Context(), c.Latency+time.Duration(c.random()*float64(c.Jitter)))
	}
	if c.ErrorRate > 0 && c.random() < c.ErrorRate {
		writeBody(w, http.StatusInternalServerError, ctJSON,
			[]byte(`{"status":500,"error":"Internal Server Error","path":"`+r.URL.Path+`"}`))
		return true
	}
	return false
}

// stallWait is how long a request arriving at elapsed (since the target
// started) waits: until the end of the stall window it falls in, if any.
// Windows open at every multiple of every and last for.
func stallWait(elapsed, every, dur time.Duration) time.Duration {
	if elapsed < 0 {
		return 0
	}
	if into := elapsed % every; into < dur {
		return dur - into
	}
	return 0
}

// reset closes the connection without a response; with SO_LINGER 0 the
// kernel sends a TCP RST, as a crashed or overloaded backend does.
func reset(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	raw := conn
	if nc, ok := conn.(interface{ NetConn() net.Conn }); ok {
		raw = nc.NetConn()
	}
	if tc, ok := raw.(*net.TCPConn); ok {
		tc.SetLinger(0)
		tc.Close()
		return
	}
	conn.Close()
}
