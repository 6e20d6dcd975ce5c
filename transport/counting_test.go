package transport

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// serverCount counts, on the server's side, the bytes its connections
// read and wrote: the same stream the client counts from its end.
type serverCount struct {
	net.Listener
	read, written atomic.Int64
}

func (l *serverCount) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: c, sent: &l.written, received: &l.read}, nil
}

// TestPoolCountsWireBytes: in every connection mode, the bytes the pool
// says it sent and received are exactly those the server read and wrote,
// over real loopback sockets; over TLS, up to the closing alerts.
func TestPoolCountsWireBytes(t *testing.T) {
	for _, tlsOn := range []bool{false, true} {
		for _, mode := range []string{Shared, PerUser, PerRequest} {
			name := mode
			if tlsOn {
				name += "/tls"
			}
			t.Run(name, func(t *testing.T) {
				srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					io.Copy(io.Discard, r.Body)
					io.WriteString(w, strings.Repeat("x", 5000))
				}))
				count := &serverCount{Listener: srv.Listener}
				srv.Listener = count
				if tlsOn {
					srv.StartTLS()
				} else {
					srv.Start()
				}
				p, err := NewPool(Config{Mode: mode, VUs: 2, Insecure: true, Version: Version11})
				if err != nil {
					t.Fatal(err)
				}
				for vu := range 2 {
					rt := p.ForVU()
					client := &http.Client{Transport: rt}
					for i := range 3 {
						resp, err := client.Post(srv.URL+"/x", "text/plain", strings.NewReader(strings.Repeat("y", 100*(vu+i))))
						if err != nil {
							t.Fatal(err)
						}
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
					}
					p.Release(rt)
				}
				p.Close()
				srv.Close() // every connection ends: both sides have counted all
				sent, received := p.Bytes()
				// Over TLS, each side's close_notify alert (24 bytes) may
				// be written and never read by a peer already gone.
				slack := int64(0)
				if tlsOn {
					slack = 24 * p.Opened()
				}
				within := func(client, server int64) bool { d := client - server; return d >= -slack && d <= slack }
				if !within(sent, count.read.Load()) || !within(received, count.written.Load()) || received < 6*5000 {
					t.Fatalf("the pool counted %d sent, %d received; the server read %d and wrote %d",
						sent, received, count.read.Load(), count.written.Load())
				}
			})
		}
	}
}
