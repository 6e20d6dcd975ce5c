package virtualuser

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/cohort-dev/cohort/findings"
	"github.com/cohort-dev/cohort/metrics"
)

// response is the final answer to a step, with what came before it.
type response struct {
	status        int
	header        http.Header
	body          []byte
	buf           *bytes.Buffer // pooled; holds body
	url           *url.URL
	firstStatus   int    // status of the first hop
	location      string // Location of the last redirect seen
	firstLocation string
	hops          int
	moved         bool // another backend instance answered than the session's last
	reason        metrics.Reason
	err           error
	sample        metrics.Sample // the final hop, not yet recorded
	end           int64          // when sample's exchange ended, Unix ns
}

var bodyPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// newResponse takes a response the VU is done with, or makes one: the
// request loop allocates none. Responses nest (a lost session's re-login
// sends while the lost answer is still judged), hence a list.
func (v *VU) newResponse() *response {
	if n := len(v.spare); n > 0 {
		r := v.spare[n-1]
		v.spare = v.spare[:n-1]
		return r
	}
	return &response{}
}

// done releases r's body and header and keeps r for a later request.
func (v *VU) done(r *response) {
	v.release(r)
	*r = response{}
	v.spare = append(v.spare, r)
}

// release lets go of r's body and gives its header back to the
// transport, if it reads answers into maps it is given back.
func (v *VU) release(r *response) {
	r.release()
	if v.recycler != nil && r.header != nil {
		v.recycler.RecycleHeader(r.header)
		r.header = nil
	}
}

func (r *response) release() {
	if r.buf != nil {
		r.buf.Reset()
		bodyPool.Put(r.buf)
		r.buf, r.body = nil, nil
	}
}

// timing collects the moments httptrace reports for one request. A VU
// reuses one timing, and the ClientTrace bound to it, for every request.
// The transport may still call a trace hook after RoundTrip has returned
// (a dial it gave up waiting for goes on in the background), so the moments
// are atomics, and a timing with a hook still outstanding is dropped
// rather than reused.
type timing struct {
	getConn, gotConn    atomic.Int64
	dnsStart, dnsDone   atomic.Int64
	connStart, connDone atomic.Int64
	tlsStart, tlsDone   atomic.Int64
	wrote, firstByte    atomic.Int64
	reused              atomic.Bool
	trace               *httptrace.ClientTrace
}

func newTiming(now func() time.Time) *timing {
	t := &timing{}
	at := func(v *atomic.Int64) { v.Store(now().UnixNano()) }
	t.trace = &httptrace.ClientTrace{
		GetConn: func(string) { at(&t.getConn) },
		GotConn: func(i httptrace.GotConnInfo) {
			t.reused.Store(i.Reused)
			at(&t.gotConn)
		},
		DNSStart:             func(httptrace.DNSStartInfo) { at(&t.dnsStart) },
		DNSDone:              func(httptrace.DNSDoneInfo) { at(&t.dnsDone) },
		ConnectStart:         func(string, string) { at(&t.connStart) },
		ConnectDone:          func(string, string, error) { at(&t.connDone) },
		TLSHandshakeStart:    func() { at(&t.tlsStart) },
		TLSHandshakeDone:     func(tls.ConnectionState, error) { at(&t.tlsDone) },
		WroteRequest:         func(httptrace.WroteRequestInfo) { at(&t.wrote) },
		GotFirstResponseByte: func() { at(&t.firstByte) },
	}
	return t
}

func (t *timing) reset() {
	for _, v := range []*atomic.Int64{&t.getConn, &t.gotConn, &t.dnsStart, &t.dnsDone, &t.connStart,
		&t.connDone, &t.tlsStart, &t.tlsDone, &t.wrote, &t.firstByte} {
		v.Store(0)
	}
	t.reused.Store(false)
}

// settled reports that no hook can still fire for the last request.
func (t *timing) settled() bool {
	open := func(start, done *atomic.Int64) bool { return start.Load() != 0 && done.Load() == 0 }
	return !open(&t.dnsStart, &t.dnsDone) && !open(&t.connStart, &t.connDone) &&
		!open(&t.tlsStart, &t.tlsDone) && !open(&t.getConn, &t.gotConn) && !open(&t.gotConn, &t.wrote)
}

func span(a, b *atomic.Int64) time.Duration {
	x, y := a.Load(), b.Load()
	if x == 0 || y == 0 || y < x {
		return 0
	}
	return time.Duration(y - x)
}

// phases fills the sample's phases the way k6 names them: blocked is the
// wait for a connection less the time spent making one; sending runs from
// having the connection to the request written; ttfb (k6's waiting) from
// there to the first byte of the answer.
func (t *timing) phases(s *metrics.Sample) {
	reused := t.reused.Load()
	if !reused {
		// A request that got a kept-alive connection may still have
		// started a dial (the transport races one against the idle pool);
		// that dial's time is not this request's.
		dns := span(&t.dnsStart, &t.dnsDone)
		s.Connect = span(&t.connStart, &t.connDone) + dns
		s.TLS = span(&t.tlsStart, &t.tlsDone)
	}
	s.Blocked = max(span(&t.getConn, &t.gotConn)-s.Connect-s.TLS, 0)
	s.Sending = span(&t.gotConn, &t.wrote)
	from := &t.wrote
	if from.Load() == 0 {
		from = &t.gotConn
	}
	s.TTFB = span(from, &t.firstByte)
	if reused {
		s.Flags |= metrics.Reused
	}
}

// classify names the reason a request got no response.
func classify(err error) metrics.Reason {
	var (
		dnsErr  *net.DNSError
		certErr *tls.CertificateVerificationError
		recErr  tls.RecordHeaderError
		unkAuth x509.UnknownAuthorityError
		hostErr x509.HostnameError
		alert   tls.AlertError
		netErr  net.Error
	)
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded):
		return metrics.ReasonTimeout
	case errors.Is(err, syscall.ECONNREFUSED):
		return metrics.ReasonRefused
	case errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) || errors.Is(err, syscall.EADDRNOTAVAIL):
		// The load generator's own limits (open files, local ports), not
		// the target's fault.
		return metrics.ReasonLocalLimit
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE):
		return metrics.ReasonReset
	case errors.As(err, &dnsErr):
		return metrics.ReasonDNS
	case errors.As(err, &certErr) || errors.As(err, &recErr) || errors.As(err, &unkAuth) ||
		errors.As(err, &hostErr) || errors.As(err, &alert) ||
		strings.Contains(err.Error(), "remote error: tls: "): // an alert the server sent (its type is not exported)
		return metrics.ReasonTLS
	case isMalformed(err.Error()):
		return metrics.ReasonMalformed
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return metrics.ReasonEOF
	case errors.As(err, &netErr) && netErr.Timeout():
		return metrics.ReasonTimeout
	}
	return metrics.ReasonOther
}

// malformedErrors are the words of net/http's errors for an answer that is
// not well-formed HTTP (it has no error type for them): not HTTP at all, a
// broken chunked body, a bad Content-Length, a header past the limit, a
// header line that does not parse.
var malformedErrors = []string{"malformed HTTP", "malformed chunked encoding", "invalid byte in chunk length",
	"chunked encoding", "bad Content-Length", "invalid Content-Length", "headers exceeded", "malformed MIME header"}

func isMalformed(msg string) bool {
	for _, m := range malformedErrors {
		if strings.Contains(msg, m) {
			return true
		}
	}
	return false
}

// stripSessionID removes ";jsessionid=..." path parameters: cohort keeps
// cookies, so the id in the URL is only noise (and a leak).
func stripSessionID(u *url.URL) bool {
	i := strings.Index(strings.ToLower(u.Path), ";jsessionid=")
	if i < 0 {
		return false
	}
	rest := u.Path[i+1:]
	j := strings.IndexAny(rest, ";/")
	if j < 0 {
		u.Path = u.Path[:i]
	} else {
		u.Path = u.Path[:i] + rest[j:]
	}
	u.RawPath = ""
	return true
}

func isRedirect(status int) bool {
	switch status {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

// send runs a step's exchange: the request, and the redirects it follows,
// each hop recorded except the last, which the caller records once it has
// judged it. due is when the request was meant to start (zero: now).
func (v *VU) send(ctx context.Context, st *Step, due time.Time, keepBody bool) *response {
	u, err := v.stepURL(st)
	if err != nil {
		return v.unsent(st, err)
	}
	keepBody = keepBody || v.hooks.Debug != nil
	r, body := v.newResponse(), v.stepBody(st)
	v.hop(ctx, st.Method, u, body, true, st, due, keepBody, r, 0)
	r.firstStatus = r.status
	if r.err != nil || !isRedirect(r.status) {
		return r
	}
	return v.follow(ctx, st, u, body, keepBody, r)
}

// unsent is the response of a step whose URL could not be built.
func (v *VU) unsent(st *Step, err error) *response {
	r := v.newResponse()
	r.reason, r.err = metrics.ReasonOther, err
	r.sample = metrics.Sample{Kind: metrics.KindRequest, Series: st.Series, Flags: metrics.Failed, Reason: metrics.ReasonOther}
	r.end = v.now().UnixNano()
	return r
}

// hop sends one request of a step's exchange into r, which it empties
// first.
func (v *VU) hop(ctx context.Context, method string, u *url.URL, body []byte, sameHost bool,
	st *Step, due time.Time, keepBody bool, r *response, n int) {
	v.release(r)
	req := v.exchange(ctx, method, u, body, sameHost, st, due, keepBody, r)
	if v.hooks.Debug != nil && req != nil {
		v.debugExchange(st, n, req, r, r.sample.Duration)
	}
}

// follow follows the redirects of a step whose first answer, in r, was
// one, as far as the step allows; body is the first request's.
func (v *VU) follow(ctx context.Context, st *Step, u *url.URL, body []byte, keepBody bool, r *response) *response {
	method := st.Method
	first := u.Host
	for hop := 0; ; hop++ {
		if hop > 0 {
			v.hop(ctx, method, u, body, u.Host == first, st, time.Time{}, keepBody, r, hop)
			if r.err != nil || !isRedirect(r.status) {
				return r
			}
		}
		loc := r.header.Get("Location")
		r.location = loc
		if hop == 0 {
			r.firstLocation = loc
		}
		if st.oauth == oauthLogin && strings.HasPrefix(loc, v.sess.Vars[v.plan.oauth.redirect]) {
			return r // back to the client: its code is not for cohort to follow
		}
		if hop >= st.redirects || loc == "" {
			if st.redirects > 0 && hop >= st.redirects {
				r.reason = metrics.ReasonRedirects
			}
			return r
		}
		next, err := u.Parse(loc)
		if err != nil {
			r.reason, r.err = metrics.ReasonMalformed, err // a Location that is not a URL
			return r
		}
		if v.hooks.Findings != nil && findings.HasIDInURL(r.location) {
			v.hooks.Findings.IDInURL(st.Name, "a redirect's Location")
		}
		if v.plan.stripURLIDs {
			stripSessionID(next)
		}
		v.rec.AddEnded(r.sample, r.end) // an intermediate hop: a request of its own
		r.hops++
		if r.status == http.StatusSeeOther || (r.status <= http.StatusFound && method == http.MethodPost) {
			method, body = http.MethodGet, nil
		}
		u = next
	}
}

// exchange builds one request, sends it and reads its answer into r. It
// returns the request (nil if the rate cap's wait was cut short).
//
// It is the spine of the request loop, and every frame on it is on the
// VU's stack while the request waits for its answer: what is not needed
// then (the sample, judging the answer, errors) is in the functions it
// calls before and after, so that the loop fits a 4 KiB goroutine stack
// (TestRequestLoopStack).
func (v *VU) exchange(ctx context.Context, method string, u *url.URL, body []byte, sameHost bool,
	st *Step, due time.Time, keepBody bool, r *response) *http.Request {
	v.stepName = st.Name
	if v.hooks.WaitRequest != nil && !v.waitTurn(ctx, r) {
		return nil
	}
	start := v.begin()
	if due.IsZero() || due.After(start) {
		due = start
	}
	var req *http.Request
	var resp *http.Response
	var err error
	if v.timeoutRT != nil {
		req = v.newRequest(v.traced(ctx), method, u, body, sameHost, st)
		resp, err = v.timeoutRT.RoundTripTimeout(req, v.plan.timeout)
	} else {
		var cancel context.CancelFunc
		req, resp, cancel, err = v.roundTripContext(ctx, method, u, body, sameHost, st)
		defer cancel()
	}
	if err == nil && v.plan.onlyHTTP2 && resp.ProtoMajor != 2 {
		err = notHTTP2(resp)
	}
	if err == nil {
		err = v.readBody(resp, keepBody, r)
	}
	v.answered(st, req, resp, err, r, due)
	return req
}

// waitTurn waits for the rate cap's turn; false, with r saying why, if the
// wait was cut short.
func (v *VU) waitTurn(ctx context.Context, r *response) bool {
	if err := v.hooks.WaitRequest(ctx); err != nil {
		*r = response{err: err, reason: classify(err)}
		return false
	}
	return true
}

// begin makes the timing ready for a request and returns its start.
func (v *VU) begin() time.Time {
	if v.tm == nil || !v.tm.settled() {
		v.tm = newTiming(v.hooks.Clock.Now)
	}
	v.tm.reset()
	return v.now()
}

// roundTripContext sends a request over a transport that keeps no
// timeouts itself: the timeout is a context's, cancelled once the body is
// read.
func (v *VU) roundTripContext(ctx context.Context, method string, u *url.URL, body []byte, sameHost bool,
	st *Step) (*http.Request, *http.Response, context.CancelFunc, error) {
	tctx, cancel := context.WithTimeout(v.traced(ctx), v.plan.timeout)
	req := v.newRequest(tctx, method, u, body, sameHost, st)
	resp, err := v.rt.RoundTrip(req)
	return req, resp, cancel, err
}

// notHTTP2 is the error of an answer over HTTP/1.1 when http.version is 2:
// a TLS server without h2 in its ALPN makes net/http fall back to it.
func notHTTP2(resp *http.Response) error {
	resp.Body.Close()
	return fmt.Errorf("malformed HTTP response: answered over %s, and http.version is 2", resp.Proto)
}

// answered fills r from the answer to req (err: none, or a broken one):
// its sample with the phases, the cookies it set, the instance that
// answered.
func (v *VU) answered(st *Step, req *http.Request, resp *http.Response, err error, r *response, due time.Time) {
	end := v.now()
	s := metrics.Sample{Kind: metrics.KindRequest, Series: st.Series, Duration: end.Sub(due)}
	r.end = end.UnixNano()
	v.tm.phases(&s)
	if s.Flags&metrics.Reused == 0 && !v.hooks.NoTrace { // untraced, no request says it was reused
		v.deep = true
	}
	if fb := v.tm.firstByte.Load(); fb != 0 && end.UnixNano() > fb {
		s.Receiving = time.Duration(end.UnixNano() - fb)
	}
	r.url = req.URL
	if err != nil {
		r.status, r.header, r.err, r.reason = 0, nil, err, classify(err)
		if resp != nil {
			r.status, r.header = resp.StatusCode, resp.Header
			s.Flags |= protoFlag(resp)
		}
		s.Status, s.Reason, s.Flags = uint16(r.status), r.reason, s.Flags|metrics.Failed
		r.sample = s
		return
	}
	r.status, r.header, r.err, r.reason = resp.StatusCode, resp.Header, nil, metrics.ReasonNone
	s.Status = uint16(resp.StatusCode)
	s.Flags |= protoFlag(resp)
	if v.plan.instanceHeader != "" {
		if vals := resp.Header[v.plan.instanceHeader]; len(vals) > 0 {
			v.noteInstance(vals[0], &s, r)
		}
	}
	if len(resp.Header["Set-Cookie"]) > 0 {
		v.takeCookies(req.URL, resp)
	}
	if v.plan.instanceRoute && s.Instance == 0 { // a header naming the instance wins
		if route := jvmRoute(v.sess.SessionID); route != "" {
			v.noteInstance(route, &s, r)
		}
	}
	r.sample = s
	if h := v.plan.sessionHeader; h != "" {
		if val := resp.Header.Get(h); val != "" && val != v.sess.header {
			v.sess.header = val
			v.rec.Add(metrics.Sample{Kind: metrics.KindIssued})
		}
	}
}

// protoFlag flags an answer that came over HTTP/2.
func protoFlag(resp *http.Response) metrics.Flags {
	if resp.ProtoMajor == 2 {
		return metrics.HTTP2
	}
	return 0
}

// readBody reads the answer's body to its end, into r when keep is set.
func (v *VU) readBody(resp *http.Response, keep bool, r *response) error {
	if keep {
		return v.keepBody(resp, r)
	}
	_, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return err
}

// keepBody reads the answer's body into r, inflated, up to max_body.
func (v *VU) keepBody(resp *http.Response, r *response) error {
	defer resp.Body.Close()
	buf := bodyPool.Get().(*bytes.Buffer)
	r.buf = buf
	src := io.Reader(resp.Body)
	var gz *gzip.Reader
	if isGzip(resp) {
		var err error
		gz, err = gunzip(resp.Body)
		switch {
		case err == io.EOF: // no body at all (a HEAD, a 304)
			r.body = buf.Bytes()
			return nil
		case err != nil:
			return errBadGzip{err}
		}
		defer gzipPool.Put(gz)
		src = gz
	}
	v.limited = io.LimitedReader{R: src, N: int64(v.plan.maxBody)}
	_, err := buf.ReadFrom(&v.limited)
	v.limited.R = nil
	if err != nil && gz != nil && err != io.ErrUnexpectedEOF && !isNetError(err) {
		err = errBadGzip{err}
	}
	if err == nil {
		// Whatever is beyond the cap is read and dropped, so the connection
		// can be reused: as it came, not inflated (a gzip bomb costs its
		// compressed size, not its inflated one).
		_, err = io.Copy(io.Discard, resp.Body)
	}
	r.body = buf.Bytes()
	return err
}

// isGzip says whether the body is gzip the transport did not inflate.
func isGzip(resp *http.Response) bool {
	if resp.Uncompressed {
		return false
	}
	ce := resp.Header["Content-Encoding"]
	return len(ce) == 1 && strings.EqualFold(strings.TrimSpace(ce[0]), "gzip")
}

// gzipPool holds inflaters between answers: one holds a 32 KiB window,
// too much to keep in each of 100,000 VUs.
var gzipPool sync.Pool

// gunzip returns a pooled gzip reader reset onto body; it goes back to
// gzipPool once read.
func gunzip(body io.Reader) (*gzip.Reader, error) {
	if gz, ok := gzipPool.Get().(*gzip.Reader); ok {
		if err := gz.Reset(body); err != nil {
			gzipPool.Put(gz)
			return nil, err
		}
		return gz, nil
	}
	return gzip.NewReader(body)
}

// errBadGzip is a body that says it is gzip and is not: a malformed
// response.
type errBadGzip struct{ err error }

func (e errBadGzip) Error() string { return "malformed HTTP response: bad gzip body: " + e.err.Error() }

func isNetError(err error) bool {
	var ne net.Error
	return errors.As(err, &ne)
}

// noteInstance reads which backend instance answered, and counts a session
// that moved to another one.
func (v *VU) noteInstance(name string, s *metrics.Sample, r *response) {
	idx := v.instanceIndex(name)
	s.Instance = idx
	r.moved = v.sess.instance != 0 && v.sess.instance != idx
	if r.moved {
		v.rec.Add(metrics.Sample{Kind: metrics.KindMoved, Instance: idx})
	}
	v.sess.instance = idx
}

// jvmRoute is the route a servlet container appends to its session ids
// ("ABC123.node1" is node1's), or "".
func jvmRoute(id string) string {
	if i := strings.LastIndexByte(id, '.'); i >= 0 {
		return id[i+1:]
	}
	return ""
}

// instanceIndex numbers a backend instance, from the VU's own list when it
// has met the instance before.
func (v *VU) instanceIndex(name string) uint8 {
	for _, in := range v.instances {
		if in.name == name {
			return in.idx
		}
	}
	idx := v.rec.Instance(name)
	if idx != metrics.MaxInstances { // "other" names are not worth keeping
		v.instances = append(v.instances, instanceSeen{name, idx})
	}
	return idx
}

// noteCookieSizes records how big the session's cookies are now: the
// Cookie header its next request to u carries, and the session cookie. A
// store that puts the session in cookies, or an application that piles
// cookies up, shows here. The header is cached by the jar, so the next
// request reuses it.
func (v *VU) noteCookieSizes(u *url.URL) {
	n := 0
	if h := v.sess.Jar.Header(u); h != nil {
		n = len(h[0])
	}
	sc := 0
	if name := v.plan.sessionCookie; name != "" {
		sc = len(v.sess.Jar.Value(u, name))
	}
	v.rec.Add(metrics.CookieSizes(n, sc))
}

// takeCookies stores the response's cookies and notes new session ids.
func (v *VU) takeCookies(u *url.URL, resp *http.Response) {
	cookies := parseSetCookies(resp.Header["Set-Cookie"])
	v.sess.Jar.SetCookies(u, cookies)
	v.sess.hasCookies = v.sess.hasCookies || len(cookies) > 0
	if len(cookies) > 0 {
		v.noteCookieSizes(u)
	}
	v.dropped = v.sess.Jar.TakeDropped()
	for why, n := range v.dropped {
		if n > 0 {
			v.rec.Add(metrics.CookiesDropped(metrics.CookieDrop(why), int(n)))
		}
	}
	name := v.plan.sessionCookie
	if name == "" {
		return
	}
	for _, c := range cookies {
		if c.Name == name && v.hooks.Findings != nil {
			v.hooks.Findings.SessionCookie(v.stepName, u, c)
		}
		if c.Name != name || c.Value == "" || c.MaxAge < 0 || c.Value == v.sess.SessionID {
			continue
		}
		// The jar's copy, when it kept this one: c.Value is a part of the
		// Set-Cookie line, which it would keep whole for the session's life.
		if held := v.sess.Jar.Value(u, name); held == c.Value {
			if v.hooks.Findings != nil {
				v.hooks.Findings.SessionID(v.stepName, v.ID, c.Value)
			}
			if v.inLogin && v.loginStep > 0 && v.sess.SessionID != "" {
				v.rec.Add(metrics.Sample{Kind: metrics.KindRotation})
			}
			v.sess.SessionID = held
			v.rec.Add(metrics.Sample{Kind: metrics.KindIssued})
		}
	}
}

// parseSetCookies parses Set-Cookie lines one by one, skipping the ones
// that do not parse, as a browser does. Response.Cookies is not used: it
// returns nothing at all for an answer of more than 3,000 lines, where a
// browser keeps the newest its limits allow.
func parseSetCookies(lines []string) []*http.Cookie {
	out := make([]*http.Cookie, 0, len(lines))
	for _, line := range lines {
		if c, err := http.ParseSetCookie(line); err == nil {
			out = append(out, c)
		}
	}
	return out
}

func (v *VU) stepURL(st *Step) (*url.URL, error) {
	if st.fixedURL != nil {
		return st.fixedURL, nil // read-only: redirects parse new URLs
	}
	v.scratch = st.url.expand(v.scratch[:0], v)
	u, err := v.plan.Base.Parse(string(v.scratch))
	if err != nil {
		return nil, err
	}
	if v.plan.stripURLIDs && stripSessionID(u) && v.hooks.Findings != nil {
		v.hooks.Findings.IDInURL(st.Name, "a link the page gave")
	}
	return u, nil
}

// newRequest builds a step's request for a URL already parsed
// (http.NewRequest would print it and parse it again), with its headers.
// WithContext on an empty request is the one allocation of the request
// itself: the empty one stays on the stack.
func (v *VU) newRequest(ctx context.Context, method string, u *url.URL, body []byte, sameHost bool, st *Step) *http.Request {
	req := v.blankRequest(ctx)
	req.Method, req.URL, req.Host = method, u, u.Host
	v.setHeaders(req, st, sameHost)
	if body != nil && st.contentType != "" && method != http.MethodGet {
		req.Header.Set("Content-Type", st.contentType)
	}
	if len(body) > 0 {
		req.ContentLength = int64(len(body))
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	return req
}

// blankRequest returns a request on ctx with no header and no body. Over a
// transport of the VU's own, which is done with a request once its answer
// is read, the VU's one request is reused while the context stays the same
// (the VU's traced context does); the debug hook keeps requests, so it
// gets new ones.
func (v *VU) blankRequest(ctx context.Context) *http.Request {
	reuse := v.timeoutRT != nil && v.hooks.Debug == nil
	if req := v.req; reuse && req != nil && v.reqCtx == ctx {
		clear(req.Header)
		req.Body, req.GetBody, req.ContentLength = http.NoBody, nil, 0
		return req
	}
	req := (&http.Request{}).WithContext(ctx)
	req.Proto, req.ProtoMajor, req.ProtoMinor = "HTTP/1.1", 1, 1
	req.Header, req.Body = make(http.Header), http.NoBody
	if reuse {
		v.req, v.reqCtx = req, ctx
	}
	return req
}

// stepBody builds the request body; nil when the step has none.
func (v *VU) stepBody(st *Step) []byte {
	switch {
	case st.form != nil:
		var b []byte
		for i, f := range st.form {
			if i > 0 {
				b = append(b, '&')
			}
			b = append(b, url.QueryEscape(f.key)...)
			b = append(b, '=')
			v.scratch = f.val.expand(v.scratch[:0], v)
			b = append(b, url.QueryEscape(string(v.scratch))...)
		}
		return b
	case st.body != nil:
		return st.body.expand(nil, v)
	}
	return nil
}

// setHeaders sets the profile's headers, then the step's. Credentials go
// only to the host the step was addressed to: a redirect elsewhere carries
// neither the session (cookie, header, Basic) nor a header that holds a
// credential (Cookie, Authorization, Proxy-Authorization, or one whose
// value is the password, a secret variable or a cookie's).
func (v *VU) setHeaders(req *http.Request, st *Step, sameHost bool) {
	h := req.Header
	for _, hs := range [2][]header{v.plan.headers, st.headers} {
		for i := range hs {
			if !sameHost && hs[i].credential {
				continue // a credential stays with the step's host
			}
			h[hs[i].name] = v.headerValue(&hs[i])
		}
	}
	if !sameHost {
		if v.plan.sessionHeader != "" {
			delete(h, v.plan.sessionHeader)
		}
	} else {
		if v.plan.basic && v.sess.User != nil {
			req.SetBasicAuth(v.sess.User.Values[0], v.sess.User.Values[1])
		}
		if v.plan.sessionHeader != "" && v.sess.header != "" {
			h.Set(v.plan.sessionHeader, v.sess.header)
		}
	}
	if !v.sess.hasCookies {
		return // nothing was ever set: skip the jar's lookup
	}
	hv := v.sess.Jar.Header(req.URL)
	if hv == nil {
		return
	}
	if own := h.Get("Cookie"); own != "" {
		h.Set("Cookie", own+"; "+hv[0]) // the step's own cookies go first
		return
	}
	h["Cookie"] = hv
}

// headerValue expands a header; a constant one is shared, not rebuilt
// (net/http replaces a header's slice, never writes into it).
func (v *VU) headerValue(hd *header) []string {
	if hd.fixed != nil {
		return hd.fixed
	}
	v.scratch = hd.val.expand(v.scratch[:0], v)
	return []string{string(v.scratch)}
}

// traced returns ctx carrying the VU's trace. The context is made once
// per run context and timing, not once per request.
func (v *VU) traced(ctx context.Context) context.Context {
	if v.hooks.NoTrace {
		return ctx
	}
	if v.traceParent != ctx || v.traceTiming != v.tm {
		v.traceCtx = httptrace.WithClientTrace(ctx, v.tm.trace)
		v.traceParent, v.traceTiming = ctx, v.tm
	}
	return v.traceCtx
}
