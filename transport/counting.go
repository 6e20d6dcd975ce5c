package transport

import (
	"net"
	"sync/atomic"
)

// countingConn counts the bytes a connection moves, on the wire: TLS
// records and HTTP headers included, as k6's data_sent and data_received
// count them. One atomic add per read or write, beside a system call.
type countingConn struct {
	net.Conn
	sent, received *atomic.Int64
}

func (c *countingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.received.Add(int64(n))
	return n, err
}

// Write counts before it writes (and takes back what did not go): the
// peer can have read the bytes, and the run moved on, before a writer
// goroutine counting after the write got to it.
func (c *countingConn) Write(b []byte) (int, error) {
	c.sent.Add(int64(len(b)))
	n, err := c.Conn.Write(b)
	if n < len(b) {
		c.sent.Add(int64(n - len(b)))
	}
	return n, err
}

// count wraps a connection the pool dialed so that its bytes count.
func (p *Pool) count(c net.Conn) net.Conn {
	return &countingConn{Conn: c, sent: &p.sent, received: &p.received}
}

// Bytes returns the bytes the run's TCP connections sent and received
// (0 and 0 over a simulated network).
func (p *Pool) Bytes() (sent, received int64) { return p.sent.Load(), p.received.Load() }
