package transport

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"net/url"
	"sync"
	"syscall"
	"time"
)

// directConn is one VU's own HTTP/1.1 connection, used by the per-user
// connection mode: the VU's goroutine writes each request and reads its
// answer itself. net/http's Transport hands every request to two
// goroutines of the connection and back through channels; a VU sends one
// request at a time, so that machinery is pure cost here.
//
// It speaks HTTP/1.1 over TCP or TLS, without a proxy; the pool uses
// net/http's Transport for anything else.
type directConn struct {
	dialer *net.Dialer
	// tlsConf makes the VU's TLS configuration on its first https
	// connection (most VUs of a plain-HTTP run never need one).
	tlsConf func() *tls.Config
	tls     *tls.Config
	opened  func()
	count   func(net.Conn) net.Conn // counts the connection's bytes
	// h2, when set, makes the VU's own net/http transport on its first
	// https request; https then goes through it, which offers HTTP/2 in
	// ALPN as a browser does (http.version auto). This connection itself
	// speaks HTTP/1.1 only.
	h2 func() *http.Transport
	tr *http.Transport

	conn net.Conn
	lim  headerLimit // bounds the header of each answer
	br   *bufio.Reader
	bw   *bufio.Writer
	wire *wire // the connection's codec; its answers last until the next request
	// dl is the deadline set on conn (deadlineUnknown: none set yet), and
	// slack how much later than a request's own deadline it may be.
	dl    time.Time
	slack time.Duration
	// raw is the socket under a plain TCP connection (nil over TLS): the
	// connection's buffers are then borrowed for each exchange.
	raw     syscall.RawConn
	lean    bool // borrow buffers over plain TCP (Pool.lean)
	peekFn  func(uintptr) bool
	peekBuf [1]byte
	// scheme and host (as the URL wrote it) the connection is to
	scheme, host string

	mu      sync.Mutex // guards conn and gen against the abort callback
	gen     uint64     // the request in flight; an abort for an older one is ignored
	stop    func() bool
	watched context.Context // the context stop belongs to
}

// RoundTrip sends req on the VU's connection, opening one if needed. The
// body of the response must be read to the end or closed before the next
// request, as the VU always does. A request that fails on a kept-alive
// connection before any answer came (the server had closed it) is sent
// once more on a new one, as net/http does.
func (d *directConn) RoundTrip(req *http.Request) (*http.Response, error) {
	if d.h2 != nil && req.URL.Scheme == "https" {
		return d.viaTransport(req, time.Time{})
	}
	deadline, _ := req.Context().Deadline()
	d.slack = 0
	return d.send(req, deadline)
}

// viaTransport sends req on the VU's own transport, with deadline (zero:
// the request's context alone) kept by a context that ends with the body.
func (d *directConn) viaTransport(req *http.Request, deadline time.Time) (*http.Response, error) {
	if d.tr == nil {
		d.tr = d.h2()
	}
	if deadline.IsZero() {
		return d.tr.RoundTrip(req)
	}
	ctx, cancel := context.WithDeadline(req.Context(), deadline)
	resp, err := d.tr.RoundTrip(req.WithContext(ctx))
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = cancelBody{resp.Body, cancel}
	return resp, nil
}

// cancelBody ends its request's context when it is closed.
type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// RoundTripTimeout is RoundTrip with a timeout kept by the connection's
// deadline instead of a context: no timer and no context per request.
// The timeout covers the dial, the exchange and the reading of the body.
func (d *directConn) RoundTripTimeout(req *http.Request, timeout time.Duration) (*http.Response, error) {
	// A socket's deadline is on the system's clock, whatever clock the run
	// keeps: this transport is real TCP, never used on a fake clock.
	deadline := time.Now().Add(timeout)
	if dl, ok := req.Context().Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	if d.h2 != nil && req.URL.Scheme == "https" {
		return d.viaTransport(req, deadline)
	}
	d.slack = timeout / deadlineSlack
	return d.send(req, deadline)
}

func (d *directConn) send(req *http.Request, deadline time.Time) (*http.Response, error) {
	resp, reused, answered, err := d.roundTrip(req, deadline)
	if err != nil && reused && !answered && idempotent(req.Method) && req.Context().Err() == nil && (req.Body == nil || req.GetBody != nil) {
		if req.GetBody != nil {
			body, gerr := req.GetBody()
			if gerr != nil {
				return nil, err
			}
			req.Body = body
		}
		resp, _, _, err = d.roundTrip(req, deadline)
	}
	return resp, err
}

func (d *directConn) roundTrip(req *http.Request, deadline time.Time) (resp *http.Response, reused, answered bool, err error) {
	ctx := req.Context()
	if err := ctx.Err(); err != nil {
		return nil, false, false, err
	}
	trace := httptrace.ContextClientTrace(ctx)
	if trace != nil && trace.GetConn != nil {
		trace.GetConn(req.URL.Host)
	}
	// A kept connection is checked here: dial's frame (a Dialer, a TLS
	// configuration) would otherwise be on the stack of every request, and
	// it is what would grow a VU's stack from 4 to 8 KiB.
	reused = d.conn != nil && d.scheme == req.URL.Scheme && d.host == req.URL.Host // compared as written: no string built per request
	if !reused {
		if err := d.dial(ctx, req.URL, trace, deadline); err != nil {
			return nil, false, false, err
		}
	}
	if trace != nil && trace.GotConn != nil {
		trace.GotConn(httptrace.GotConnInfo{Conn: d.conn, Reused: reused})
	}
	d.watch(ctx)
	d.keepDeadline(deadline)
	if d.bw == nil {
		d.bw = writeBuffers.Get().(*bufio.Writer)
		d.bw.Reset(d.conn)
	}
	if err := d.write(req); err != nil {
		return nil, reused, false, d.fail(ctx, err)
	}
	if err := d.bw.Flush(); err != nil {
		return nil, reused, false, d.fail(ctx, err)
	}
	if d.raw != nil {
		d.bw.Reset(nil)
		writeBuffers.Put(d.bw)
		d.bw = nil
	}
	if trace != nil && trace.WroteRequest != nil {
		trace.WroteRequest(httptrace.WroteRequestInfo{})
	}
	if err := d.awaitAnswer(); err != nil {
		return nil, reused, false, d.fail(ctx, err)
	}
	if _, err := d.br.Peek(1); err != nil {
		return nil, reused, false, d.fail(ctx, err)
	}
	if trace != nil && trace.GotFirstResponseByte != nil {
		trace.GotFirstResponseByte()
	}
	d.lim.left = maxResponseHeader // the answer's header, at most; its body, unbounded
	resp = d.wire.readResponse(d.br, req)
	if resp == nil {
		resp, err = readFinal(d.br, req, trace)
	}
	d.lim.left = -1
	if err != nil {
		return nil, reused, true, d.fail(ctx, err)
	}
	d.wire.outer = directBody{ReadCloser: resp.Body, d: d, ctx: ctx, closeAfter: resp.Close || req.Close}
	resp.Body = &d.wire.outer
	return resp, reused, true, nil
}

// Buffer sizes of a connection: requests are a few hundred bytes; an
// answer's header must fit readBuffer for the codec to read it (a larger
// one is net/http's), and a body larger than it is read straight into the
// reader's buffer.
const (
	readBuffer  = 4 << 10
	writeBuffer = 1 << 10
)

// In a run of LeanVUs VUs or more, a connection over plain TCP holds its
// buffers only while it writes a request and reads an answer: the VU
// borrows them here. A VU waiting for
// its answer holds none (awaitAnswer waits for the first byte without a
// buffer), so a run of 10,000 VUs with a request in flight each does not
// keep 50 MB of buffers that nothing is being read into.
var (
	readBuffers  = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, readBuffer) }}
	writeBuffers = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, writeBuffer) }}
)

// awaitAnswer waits, holding no buffer, until the answer's first byte can
// be read (or the connection ends, or its deadline passes), then borrows a
// read buffer. The wait is the poller's: a peek at the socket that finds
// nothing parks the VU until the socket is readable, as a read would, and
// it takes the place of the read that would have found nothing.
func (d *directConn) awaitAnswer() error {
	if d.br != nil {
		return nil
	}
	if d.peekFn == nil {
		d.peekFn = d.peek
	}
	if err := d.raw.Read(d.peekFn); err != nil {
		return err
	}
	d.br = readBuffers.Get().(*bufio.Reader)
	d.br.Reset(&d.lim)
	return nil
}

// peek is awaitAnswer's look at the socket: false (wait) while there is
// nothing to read. A fault (a reset) is left to the read that follows.
func (d *directConn) peek(fd uintptr) bool {
	for {
		_, _, err := syscall.Recvfrom(int(fd), d.peekBuf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		if err != syscall.EINTR {
			return err != syscall.EAGAIN
		}
	}
}

// releaseReader gives the read buffer back once an answer is read whole,
// over plain TCP. One holding bytes beyond the answer keeps them.
func (d *directConn) releaseReader() {
	if d.raw == nil || d.br == nil || d.br.Buffered() > 0 {
		return
	}
	d.br.Reset(nil)
	readBuffers.Put(d.br)
	d.br = nil
}

// deadlineSlack: a request's timeout is kept by a connection deadline at
// most timeout/deadlineSlack late, so that the deadline (a runtime timer
// to move, a microsecond a request) is moved once in that time rather
// than for every request.
const deadlineSlack = 64

// deadlineUnknown is dl on a new connection: its deadline is to be set.
var deadlineUnknown = time.Unix(1, 0)

// keepDeadline makes sure the connection's deadline falls between
// deadline and deadline+slack (none: no deadline).
func (d *directConn) keepDeadline(deadline time.Time) {
	if deadline.IsZero() {
		if !d.dl.IsZero() {
			d.dl = time.Time{}
			d.conn.SetDeadline(d.dl)
		}
		return
	}
	if d.dl.Before(deadline) || d.dl.After(deadline.Add(d.slack)) {
		d.dl = deadline.Add(d.slack)
		d.conn.SetDeadline(d.dl)
	}
}

// write writes req with the connection's codec, or net/http's for a
// request of a shape the codec leaves to it.
func (d *directConn) write(req *http.Request) error {
	ok, err := d.wire.writeRequest(d.bw, req)
	if !ok {
		err = req.Write(d.bw)
	}
	return err
}

// maxResponseHeader bounds the header of an answer (both transports): a
// server that sends headers without end is a broken one, and its answer
// is a malformed response, not a run out of memory.
const maxResponseHeader = 1 << 20

// errHeaderTooLarge is a header past maxResponseHeader.
var errHeaderTooLarge = errors.New("malformed HTTP response: header larger than 1 MiB")

// headerLimit reads from r, failing once left bytes have been read (left <
// 0: no limit): the bound on an answer's header.
type headerLimit struct {
	r    io.Reader
	left int64
}

func (h *headerLimit) Read(p []byte) (int, error) {
	if h.left == 0 {
		return 0, errHeaderTooLarge
	}
	if h.left > 0 && int64(len(p)) > h.left {
		p = p[:h.left]
	}
	n, err := h.r.Read(p)
	if h.left > 0 {
		h.left -= int64(n)
	}
	return n, err
}

// maxInformational bounds the 1xx answers read before the final one, as
// net/http bounds them: a server sending them forever is a broken one.
const maxInformational = 5

// readFinal reads the answer to req, passing over informational (1xx)
// responses (103 Early Hints, an unsolicited 100 Continue) as net/http
// does: taken for the final answer, one would leave the real answer on
// the connection for the next request. A 101 is final.
func readFinal(br *bufio.Reader, req *http.Request, trace *httptrace.ClientTrace) (*http.Response, error) {
	for n := 0; ; n++ {
		resp, err := http.ReadResponse(br, req)
		if err != nil {
			return nil, err
		}
		code := resp.StatusCode
		if code < 100 || code > 199 || code == http.StatusSwitchingProtocols {
			return resp, nil
		}
		if n == maxInformational {
			return nil, errors.New("malformed HTTP response: too many 1xx informational responses")
		}
		if trace != nil && trace.Got1xxResponse != nil {
			if err := trace.Got1xxResponse(code, textproto.MIMEHeader(resp.Header)); err != nil {
				return nil, err
			}
		}
	}
}

// idempotent says whether a request may be sent again after a failure
// that may have come after the server acted on it.
func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// dial opens the connection to the request's host, closing the one the
// VU had (to another host, or none). The connection is made on a goroutine
// of its own, as net/http's Transport makes its own: a dial and a TLS
// handshake run 4 to 7 KiB deep, and on the VU's goroutine they would
// grow its stack for good (the runtime shrinks a stack only while a
// quarter of it is in use, which a VU waiting for an answer never is).
func (d *directConn) dial(ctx context.Context, u *url.URL, trace *httptrace.ClientTrace, deadline time.Time) error {
	d.closeConn()
	made := make(chan connected, 1)
	go func() { made <- d.connect(ctx, u, trace, deadline) }()
	c := <-made
	if c.err != nil {
		return c.err
	}
	d.raw = c.raw
	d.mu.Lock()
	d.conn = c.conn
	d.mu.Unlock()
	d.lim = headerLimit{r: c.conn, left: -1}
	if d.raw == nil {
		// Few VUs, TLS or a simulated network: buffers of the connection's own.
		d.br, d.bw = bufio.NewReaderSize(&d.lim, readBuffer), bufio.NewWriterSize(c.conn, writeBuffer)
	}
	d.wire = new(wire)
	d.dl = deadlineUnknown
	d.scheme, d.host = u.Scheme, u.Host
	return nil
}

// connected is a connection connect made, with the socket under it when
// its buffers are to be borrowed.
type connected struct {
	conn net.Conn
	raw  syscall.RawConn
	err  error
}

// connect dials the request's host and, for https, makes the TLS
// handshake.
func (d *directConn) connect(ctx context.Context, u *url.URL, trace *httptrace.ClientTrace, deadline time.Time) connected {
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	hostport := net.JoinHostPort(u.Hostname(), port)
	if trace != nil && trace.ConnectStart != nil {
		trace.ConnectStart("tcp", hostport)
	}
	dialer := *d.dialer
	if !deadline.IsZero() && (dialer.Deadline.IsZero() || deadline.Before(dialer.Deadline)) {
		dialer.Deadline = deadline
	}
	conn, err := dialer.DialContext(ctx, "tcp", hostport)
	if trace != nil && trace.ConnectDone != nil {
		trace.ConnectDone("tcp", hostport, err)
	}
	if err != nil {
		return connected{err: err}
	}
	d.opened() // a TCP connection, whether its TLS handshake works or not
	var raw syscall.RawConn
	if sc, ok := conn.(syscall.Conn); ok && d.lean && u.Scheme == "http" {
		raw, _ = sc.SyscallConn()
	}
	conn = d.count(conn)
	if u.Scheme == "https" {
		if conn, err = d.handshake(ctx, conn, u, trace, deadline); err != nil {
			return connected{err: err}
		}
	}
	return connected{conn: conn, raw: raw}
}

// handshake makes the TLS handshake over conn, closing it if that fails.
func (d *directConn) handshake(ctx context.Context, conn net.Conn, u *url.URL, trace *httptrace.ClientTrace, deadline time.Time) (net.Conn, error) {
	if d.tls == nil {
		d.tls = d.tlsConf()
	}
	conf := d.tls.Clone()
	if conf.ServerName == "" {
		conf.ServerName = u.Hostname()
	}
	conf.NextProtos = []string{"http/1.1"}
	tc := tls.Client(conn, conf)
	conn.SetDeadline(deadline)
	if trace != nil && trace.TLSHandshakeStart != nil {
		trace.TLSHandshakeStart()
	}
	err := tc.HandshakeContext(ctx)
	if trace != nil && trace.TLSHandshakeDone != nil {
		trace.TLSHandshakeDone(tc.ConnectionState(), err)
	}
	if err != nil {
		conn.Close()
		return nil, err
	}
	return tc, nil
}

// fail closes the connection after an error and reports the error, or the
// context's when the run abandoned the request.
func (d *directConn) fail(ctx context.Context, err error) error {
	d.closeConn()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return context.DeadlineExceeded
	}
	return err
}

func (d *directConn) closeConn() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.tr != nil {
		d.tr.CloseIdleConnections()
	}
	if d.conn != nil {
		d.conn.Close()
		d.conn = nil
		d.scheme, d.host = "", ""
		// The buffers go with the connection: an idle VU holds none. (A
		// pool would keep them alive for two more GC cycles.)
		d.br, d.bw, d.wire = nil, nil, nil
	}
	if d.stop != nil {
		// Let go of the last request's context (its timer and trace).
		d.stop()
		d.stop, d.watched = nil, nil
	}
}

// RecycleHeader takes back the Header of an answer the VU is done with:
// a later answer on the connection is read into it.
func (d *directConn) RecycleHeader(h http.Header) {
	if d.wire != nil && h != nil {
		d.wire.recycle(h)
	}
}

// ReleaseIdle closes the VU's connection: a VU about to think for long
// lets it go, as the server would close it anyway, and holds only its
// session while it waits.
func (d *directConn) ReleaseIdle() {
	d.closeConn()
	// What still points at the socket goes too (closeConn may run beside
	// a request the run abandoned, which reads through it; this runs on
	// the VU's goroutine): it would keep the closed socket's descriptor
	// and addresses, 300 bytes an idle VU.
	d.lim, d.raw = headerLimit{}, nil
}

// watch arranges for the end of the request's context to abort a blocked
// read or write of this request, and of this request only: the callback
// of an earlier request's context (cancelled when that request ended)
// finds a newer generation and does nothing.
func (d *directConn) watch(ctx context.Context) {
	if d.stop != nil && ctx == d.watched {
		// Requests sent with RoundTripTimeout share the VU's context:
		// one callback serves them all.
		return
	}
	if d.stop != nil {
		d.stop()
	}
	d.watched = ctx
	d.mu.Lock()
	d.gen++
	gen := d.gen
	d.mu.Unlock()
	if ctx.Done() == nil {
		d.stop = nil
		return
	}
	d.stop = context.AfterFunc(ctx, func() {
		d.mu.Lock()
		if d.conn != nil && d.gen == gen {
			d.conn.SetDeadline(time.Unix(1, 0))
		}
		d.mu.Unlock()
	})
}

// directBody returns the connection to service when the body is done.
type directBody struct {
	io.ReadCloser
	d          *directConn
	ctx        context.Context
	closeAfter bool
	done       bool
}

func (b *directBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		b.done = true
		b.d.fail(b.ctx, err)
		if b.ctx.Err() != nil {
			return n, b.ctx.Err()
		}
	}
	return n, err
}

// WriteTo hands the codec's body to w from the read buffer (a discarded
// body then costs no copy); net/http's is read through Read.
func (b *directBody) WriteTo(w io.Writer) (int64, error) {
	wt, ok := b.ReadCloser.(io.WriterTo)
	if !ok {
		return io.Copy(w, readerOnly{b})
	}
	n, err := wt.WriteTo(w)
	if err != nil {
		b.done = true
		b.d.fail(b.ctx, err)
		if b.ctx.Err() != nil {
			return n, b.ctx.Err()
		}
	}
	return n, err
}

// readerOnly hides a reader's WriteTo from io.Copy.
type readerOnly struct{ io.Reader }

func (b *directBody) Close() error {
	if b.done {
		return nil
	}
	b.done = true
	// Drain what is left so the connection can carry the next request.
	_, err := io.Copy(io.Discard, b.ReadCloser)
	b.ReadCloser.Close()
	if err != nil || b.closeAfter {
		b.d.closeConn()
		return nil
	}
	b.d.releaseReader()
	return nil
}
