package target

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Target is the demo application: an http.Handler that behaves on the wire
// like a Spring Boot 3 / Spring Security 6 application, plus the listener
// that serves it.
type Target struct {
	cfg     Config
	store   sessionStore
	tokens  *tokens
	orders  *orderBook
	started time.Time

	// Prebuilt header values, so the hot path assigns instead of formatting.
	instanceHdr []string
	cookieAttrs string // "; Path=/; HttpOnly..." after the session id

	requests, loginsOK, loginsFailed atomic.Int64
	// loginSlots bounds the credential checks at once (LoginWorkers).
	loginSlots chan struct{}
	// seen holds the user names that logged in, to tell distinct users.
	seen  sync.Map
	users atomic.Int64

	srv         *http.Server
	ln          net.Listener
	serveErr    chan error
	stopSweeper chan struct{}
	sweeperDone sync.WaitGroup
	cert        *selfSigned
	sibling     bool // shares another instance's store (Sibling)

	// The identity provider (Config.OAuth2): its server, and the
	// authorization requests the application's sessions are waiting on.
	idp     *idp
	idpSrv  *http.Server
	idpErr  chan error
	url     string // the application's base URL, once started
	pending sync.Map
}

// New returns a target for c, after Defaults and Validate.
func New(c Config) (*Target, error) {
	c = c.Defaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Sleep == nil {
		c.Sleep = sleepCtx
	}
	if c.random == nil {
		c.random = rand.Float64
	}
	newID := newServletID
	attrs := "; Path=/; HttpOnly"
	if c.SessionCookie == "SESSION" {
		newID = newSpringSessionID
		attrs += "; SameSite=Lax"
	}
	if c.TLS {
		attrs += "; Secure"
	}
	if c.CookieInsecure {
		attrs = "; Path=/"
	}
	if c.ShortIDs {
		newID = newShortID
	}
	var st sessionStore = newStore(c, newID)
	if c.Store != "" {
		rs, err := newRedisStore(c, newID)
		if err != nil {
			return nil, err
		}
		st = rs
	}
	t := &Target{
		cfg:         c,
		store:       st,
		tokens:      newTokens(c.TokenTTL, c.RefreshTTL, c.TokenKey),
		orders:      newOrderBook(),
		started:     c.Now(),
		instanceHdr: []string{c.Instance},
		cookieAttrs: attrs,
	}
	if c.LoginWorkers > 0 {
		t.loginSlots = make(chan struct{}, c.LoginWorkers)
	}
	if c.OAuth2 {
		p, err := newIDP(t)
		if err != nil {
			return nil, err
		}
		t.idp = p
	}
	return t, nil
}

// Sibling returns another instance of t's application, named instance,
// that shares t's session store and tokens: two instances behind a load
// balancer over one shared store, as Spring Session gives. Only t should
// be started with Start (it runs the store's expiry sweeper); a sibling
// serves as an http.Handler.
func (t *Target) Sibling(instance string) *Target {
	c := t.cfg
	c.Instance = instance
	return &Target{cfg: c, store: t.store, tokens: t.tokens, orders: t.orders, started: t.started,
		instanceHdr: []string{instance}, cookieAttrs: t.cookieAttrs, sibling: true, loginSlots: t.loginSlots}
}

func sleepCtx(ctx context.Context, d time.Duration) {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
	case <-ctx.Done():
	}
}

// Config returns the configuration in force, defaults applied.
func (t *Target) Config() Config { return t.cfg }

// Stats is the body of GET /-/stats.
type Stats struct {
	LiveSessions int64 `json:"live_sessions"`
	Created      int64 `json:"created"`
	Evicted      int64 `json:"evicted"`
	Expired      int64 `json:"expired"`
	Invalidated  int64 `json:"invalidated"`
	Rotated      int64 `json:"rotated"`
	// Rejected counts new sessions a full store refused (--when-full
	// refuse), each answered 500.
	Rejected      int64 `json:"rejected,omitempty"`
	LoginsOK      int64 `json:"logins_ok"`
	LoginsFailed  int64 `json:"logins_failed"`
	TokensIssued  int64 `json:"tokens_issued"`
	TokensRefresh int64 `json:"tokens_refreshed"`
	// OAuth2 counts the identity provider's codes and tokens (--oauth2).
	OAuth2   *OAuth2Stats `json:"oauth2,omitempty"`
	Requests int64        `json:"requests"`
	// SessionBytes and MaxSessionBytes are what the live sessions hold
	// (id, user, CSRF token, saved request, cart), in all and the largest:
	// the session grows as its cart does. In-memory store only.
	SessionBytes    int64 `json:"session_bytes,omitempty"`
	MaxSessionBytes int64 `json:"max_session_bytes,omitempty"`
	// Users counts the distinct users that logged in.
	Users int64 `json:"users"`
	// StoreErrors counts failed operations of a Redis store.
	StoreErrors int64 `json:"store_errors,omitempty"`
}

// Stats returns the target's counters now.
func (t *Target) Stats() Stats {
	st := t.store.counts()
	var o *OAuth2Stats
	if t.idp != nil {
		o = t.idp.stats()
	}
	return Stats{OAuth2: o, SessionBytes: st.bytes, MaxSessionBytes: st.maxBytes,
		LiveSessions: st.live, Created: st.created,
		Evicted: st.evicted, Expired: st.expired,
		Invalidated: st.invalidated, Rotated: st.rotated, Rejected: st.rejected,
		LoginsOK: t.loginsOK.Load(), LoginsFailed: t.loginsFailed.Load(),
		TokensIssued: t.tokens.issued.Load(), TokensRefresh: t.tokens.refreshed.Load(),
		Requests: t.requests.Load(), Users: t.users.Load(), StoreErrors: st.errors,
	}
}

// Sweep expires idle sessions and refresh tokens as of now; the listener
// runs it periodically.
func (t *Target) Sweep(now time.Time) int {
	t.tokens.sweep(now)
	if t.idp != nil {
		t.idp.sweep(now)
	}
	return t.store.sweep(now)
}

// Start listens on addr (host:port; port 0 picks a free one), serves in the
// background and returns the base URL, e.g. http://127.0.0.1:41234.
func (t *Target) Start(addr string) (string, error) {
	if t.srv != nil {
		return "", errors.New("target already started")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", err
	}
	scheme := "http"
	if t.cfg.TLS {
		cert, err := newSelfSigned(time.Now())
		if err != nil {
			ln.Close()
			return "", err
		}
		t.cert = cert
		// HTTP/1.1 only, as an embedded Tomcat serves unless told otherwise;
		// HTTP2 offers h2 too (http.Server speaks it on a TLS listener
		// that negotiated it).
		conf := &tls.Config{Certificates: []tls.Certificate{cert.cert}, MinVersion: tls.VersionTLS12}
		if t.cfg.HTTP2 {
			conf.NextProtos = []string{"h2", "http/1.1"}
		}
		ln = tls.NewListener(ln, conf)
		scheme = "https"
	}
	t.ln = ln
	t.srv = &http.Server{
		Handler:           t,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	// Everything a request reads (the URLs, the provider) is set before
	// the first is served: a client may connect the moment the port is
	// open (one that held a reused port's address, say).
	t.url = scheme + "://" + ln.Addr().String()
	if t.idp != nil {
		if err := t.startIDP(); err != nil {
			ln.Close()
			t.srv, t.ln = nil, nil
			return "", err
		}
	}
	t.serveErr = make(chan error, 1)
	go func() { t.serveErr <- t.srv.Serve(ln) }()
	t.stopSweeper = make(chan struct{})
	t.sweeperDone.Add(1)
	go t.sweepEvery(sweepInterval(t.cfg.MaxInactive))
	return t.url, nil
}

// startIDP serves the identity provider on its own listener: another
// host, so that the browser keeps its cookies apart. It speaks plain HTTP
// even when the application has TLS (the provider is on loopback).
func (t *Target) startIDP() error {
	ln, err := net.Listen("tcp", t.cfg.IdPListen)
	if err != nil {
		return fmt.Errorf("identity provider: %w", err)
	}
	t.idp.issuer, t.idp.host = "http://"+ln.Addr().String(), ln.Addr().String()
	t.idpSrv = &http.Server{Handler: t.idp, ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	t.idpErr = make(chan error, 1)
	go func() { t.idpErr <- t.idpSrv.Serve(ln) }()
	return nil
}

// Addressed tells a target that is served without Start (as an
// http.Handler, over a simulated network) the URLs it is reached at: the
// application's, and the identity provider's (requests for its host go to
// the provider).
func (t *Target) Addressed(appURL, idpURL string) {
	t.url = appURL
	if t.idp != nil {
		t.idp.issuer = idpURL
		t.idp.host = strings.TrimPrefix(idpURL, "http://")
	}
}

// IdPURL returns the identity provider's issuer URL once started with
// Config.OAuth2 ("" without one): its endpoints are under it.
func (t *Target) IdPURL() string {
	if t.idp == nil {
		return ""
	}
	return t.idp.issuer
}

// sweepInterval follows the max-inactive interval closely enough that an
// expired session is counted soon after it expires, without busy sweeping.
func sweepInterval(maxInactive time.Duration) time.Duration {
	return min(max(maxInactive/4, 100*time.Millisecond), 30*time.Second)
}

func (t *Target) sweepEvery(d time.Duration) {
	defer t.sweeperDone.Done()
	tk := time.NewTicker(d)
	defer tk.Stop()
	for {
		select {
		case <-tk.C:
			t.Sweep(t.cfg.Now())
		case <-t.stopSweeper:
			return
		}
	}
}

// CertificatePEM returns the self-signed certificate of a TLS target, for
// clients to trust, or nil.
func (t *Target) CertificatePEM() []byte {
	if t.cert == nil {
		return nil
	}
	return t.cert.pem
}

// Fingerprint returns the SHA-256 fingerprint of a TLS target's certificate.
func (t *Target) Fingerprint() string {
	if t.cert == nil {
		return ""
	}
	return t.cert.fingerprint
}

// Close stops the listener, waits for in-flight requests until ctx ends,
// then closes what remains.
func (t *Target) Close(ctx context.Context) error {
	if t.sibling {
		return nil // the store is the first instance's
	}
	defer t.store.close()
	if t.srv == nil {
		return nil
	}
	if t.idpSrv != nil {
		if t.idpSrv.Shutdown(ctx) != nil {
			t.idpSrv.Close()
		}
		<-t.idpErr
	}
	err := t.srv.Shutdown(ctx)
	if err != nil {
		t.srv.Close()
	}
	close(t.stopSweeper)
	t.sweeperDone.Wait()
	if serr := <-t.serveErr; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		return serr
	}
	return err
}

// ServeHTTP serves one request.
func (t *Target) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if t.idp != nil && r.Host == t.idp.host {
		t.idp.ServeHTTP(w, r)
		return
	}
	w.Header()["X-Instance"] = t.instanceHdr
	if r.URL.Path == "/-/stats" {
		t.serveStats(w)
		return
	}
	t.requests.Add(1)
	if t.injectFault(w, r) {
		return
	}
	x := exchange{t: t, w: w, r: r, now: t.cfg.Now()}
	defer func() {
		if p := recover(); p != nil {
			if _, full := p.(tooManySessions); !full {
				panic(p)
			}
			refused(w, r)
		}
	}()
	x.route()
}

func (t *Target) serveStats(w http.ResponseWriter) {
	b, _ := json.Marshal(t.Stats())
	writeBody(w, http.StatusOK, ctJSON, b)
}

// Header values shared by every response that uses them.
var (
	ctJSON = []string{"application/json"}
	ctHTML = []string{"text/html;charset=UTF-8"}
	ctText = []string{"text/plain;charset=UTF-8"}
)

func writeBody(w http.ResponseWriter, status int, ct []string, body []byte) {
	w.Header()["Content-Type"] = ct
	w.WriteHeader(status)
	w.Write(body)
}

// cookieValue finds the first cookie called name in the request without
// parsing (or allocating) the others.
func cookieValue(r *http.Request, name string) (string, bool) {
	for _, line := range r.Header["Cookie"] {
		for len(line) > 0 {
			part := line
			if i := strings.IndexByte(line, ';'); i >= 0 {
				part, line = line[:i], line[i+1:]
			} else {
				line = ""
			}
			part = strings.TrimLeft(part, " ")
			if len(part) > len(name) && part[len(name)] == '=' && part[:len(name)] == name {
				return strings.Trim(part[len(name)+1:], "\" "), true
			}
		}
	}
	return "", false
}

// loggedIn counts a successful login of user.
func (t *Target) loggedIn(user string) {
	t.loginsOK.Add(1)
	if _, dup := t.seen.LoadOrStore(user, true); !dup {
		t.users.Add(1)
	}
	if t.cfg.OnLogin != nil {
		t.cfg.OnLogin()
	}
}
