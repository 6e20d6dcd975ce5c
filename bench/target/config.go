package target

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// What a full session store does with a new session (Config.WhenFull).
const (
	WhenFullEvict  = "evict"
	WhenFullRefuse = "refuse"
)

// CSRF repository modes, as Spring Security names its token repositories.
const (
	// CSRFSession keeps the token in the HTTP session and expects it, masked,
	// in the _csrf form field or the X-CSRF-TOKEN header.
	CSRFSession = "session"
	// CSRFCookie keeps the token in an XSRF-TOKEN cookie that scripts can read
	// and expects it echoed in the X-XSRF-TOKEN header (Spring's SPA mode).
	CSRFCookie = "cookie"
)

// Config describes one target. The zero value, passed through Defaults, is a
// Spring Boot application with form login, JSESSIONID and session CSRF.
type Config struct {
	// SessionCookie is the session cookie name: JSESSIONID (servlet container)
	// or SESSION (Spring Session, base64 id, SameSite=Lax).
	SessionCookie string
	// CSRF is CSRFSession or CSRFCookie.
	CSRF string
	// Basic accepts HTTP Basic credentials on /api/* without creating a session.
	Basic bool
	// ServletForm serves servlet FORM authentication under /app/.
	ServletForm bool
	// TokenTTL is the lifetime of access tokens from /api/auth/token.
	TokenTTL time.Duration
	// RefreshTTL is the lifetime of refresh tokens.
	RefreshTTL time.Duration
	// Users maps user names to passwords. Nil means user<N>/pass<N>.
	Users map[string]string
	// MaxInactive is the session's max-inactive interval.
	MaxInactive time.Duration
	// MaxSessions caps live sessions; what happens to a new session beyond
	// it is WhenFull's. Zero means no cap.
	MaxSessions int
	// WhenFull is WhenFullEvict (default: the least recently used session
	// is evicted, as a cache-backed store does) or WhenFullRefuse (the
	// request that needs a new session fails with a 500, as Tomcat's
	// StandardManager answers past maxActiveSessions).
	WhenFull string
	// StoreLatency is added to each session-store read and write, to imitate
	// a Redis or JDBC round trip (in-memory store only).
	StoreLatency time.Duration
	// Store is where sessions live: "" keeps them in memory; a redis:// URL
	// (redis://127.0.0.1:6379/0) keeps them in Redis as Spring Session
	// Data Redis does, so that instances can share them.
	Store string
	// LoginLatency is added to each credential check, to imitate a password
	// hash (bcrypt) without burning the CPU the load generator needs.
	LoginLatency time.Duration
	// LoginWorkers, if set, is how many credential checks run at once
	// (a bounded pool hashing passwords, as a servlet container's threads
	// do): more logins queue, and their latency grows with the queue.
	LoginWorkers int
	// Latency and Jitter delay every response by Latency plus a uniform
	// random share of Jitter.
	Latency, Jitter time.Duration
	// StallEvery and StallFor open a stall window of StallFor at the start of
	// every StallEvery period; a request arriving in it waits until it ends.
	StallEvery, StallFor time.Duration
	// ErrorRate is the fraction of requests answered with a 500.
	ErrorRate float64
	// ResetRate is the fraction of connections closed without a response.
	ResetRate float64
	// TLS serves HTTPS with a self-signed certificate made at start.
	TLS bool
	// HTTP2 offers HTTP/2 (ALPN h2) beside HTTP/1.1 over TLS, as Spring
	// Boot does with server.http2.enabled; without it the target serves
	// HTTP/1.1 only, as an embedded Tomcat does by default.
	HTTP2 bool
	// Instance is sent in the X-Instance response header.
	Instance string
	// OAuth2 starts the identity provider on IdPListen, another host than
	// the application's, and gives the application an oauth2Login of its
	// own: /oauth2/authorization/idp sends the browser to the provider,
	// /login/oauth2/code/idp takes it back and logs the session in.
	OAuth2 bool
	// IdPListen is the provider's address (default 127.0.0.2:0: another
	// host than 127.0.0.1, so that cookies really are per origin).
	IdPListen string
	// OAuth2Fault makes the provider fail one way (FaultState, FaultReuse,
	// FaultExpired, FaultPKCE); "" for none.
	OAuth2Fault string

	// Weaknesses, for cohort's session findings (docs/findings.md): each
	// makes the target behave as a misconfigured application does.
	//
	// CookieInsecure sends the session cookie without HttpOnly, Secure
	// (over TLS) or SameSite.
	CookieInsecure bool
	// NoRotate keeps the session id at login (no fixation protection).
	NoRotate bool
	// NoInvalidate answers a logout as usual but leaves the session
	// logged in.
	NoInvalidate bool
	// NoCSRF accepts unsafe requests without their CSRF token.
	NoCSRF bool
	// ShortIDs issues 8 hex digits (32 bits) as session ids.
	ShortIDs bool
	// TokenKey is the HMAC key of the access tokens; empty: 32 random
	// bytes. A word such as "secret" is the weak-key weakness.
	TokenKey string

	// OnLogin, if set, is called after every successful login: tests wait
	// on it for the logins they need instead of polling the counters.
	OnLogin func()

	// Now and Sleep are the target's clock (nil: the system's). A test
	// that runs the target on a fake clock, in-process, gives the fake
	// clock's: then latency, stalls and expiry take no real time.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration)

	// random returns a float in [0,1) for the fault rates and jitter.
	random func() float64
}

// Defaults returns c with every unset field given its default.
func (c Config) Defaults() Config {
	if c.SessionCookie == "" {
		c.SessionCookie = "JSESSIONID"
	}
	if c.CSRF == "" {
		c.CSRF = CSRFSession
	}
	if c.TokenTTL == 0 {
		c.TokenTTL = 15 * time.Minute
	}
	if c.RefreshTTL == 0 {
		c.RefreshTTL = 24 * time.Hour
	}
	if c.MaxInactive == 0 {
		c.MaxInactive = 30 * time.Minute
	}
	if c.Instance == "" {
		c.Instance = "target-1"
	}
	if c.WhenFull == "" {
		c.WhenFull = WhenFullEvict
	}
	if c.OAuth2 && c.IdPListen == "" {
		c.IdPListen = "127.0.0.2:0"
	}
	return c
}

// Validate reports the first field of c that no target can serve.
func (c Config) Validate() error {
	durations := []struct {
		name string
		d    time.Duration
	}{
		{"token-ttl", c.TokenTTL}, {"refresh-ttl", c.RefreshTTL},
		{"max-inactive", c.MaxInactive}, {"store-latency", c.StoreLatency},
		{"login-latency", c.LoginLatency}, {"latency", c.Latency},
		{"jitter", c.Jitter}, {"stall-every", c.StallEvery}, {"stall-for", c.StallFor},
	}
	for _, f := range durations {
		if f.d < 0 {
			return fmt.Errorf("--%s: must not be negative, got %v", f.name, f.d)
		}
	}
	if c.LoginWorkers < 0 {
		return fmt.Errorf("--login-workers: must not be negative, got %d", c.LoginWorkers)
	}
	if (c.StallEvery == 0) != (c.StallFor == 0) {
		return errors.New("--stall-every and --stall-for: give both or neither")
	}
	if c.StallEvery > 0 && c.StallFor >= c.StallEvery {
		return fmt.Errorf("--stall-for: %v must be shorter than --stall-every %v", c.StallFor, c.StallEvery)
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"error-rate", c.ErrorRate}, {"reset-rate", c.ResetRate}} {
		if !(f.v >= 0 && f.v <= 1) {
			return fmt.Errorf("--%s: must be between 0 and 1, got %v", f.name, f.v)
		}
	}
	if c.MaxSessions < 0 {
		return fmt.Errorf("--max-sessions: must not be negative, got %d", c.MaxSessions)
	}
	if c.WhenFull != WhenFullEvict && c.WhenFull != WhenFullRefuse {
		return fmt.Errorf("--when-full: want %s or %s, got %q", WhenFullEvict, WhenFullRefuse, c.WhenFull)
	}
	if c.CSRF != CSRFSession && c.CSRF != CSRFCookie {
		return fmt.Errorf("--csrf: want %q or %q, got %q", CSRFSession, CSRFCookie, c.CSRF)
	}
	if !validCookieName(c.SessionCookie) {
		return fmt.Errorf("--session-cookie: %q is not a cookie name", c.SessionCookie)
	}
	if strings.ContainsAny(c.Instance, "\r\n") {
		return errors.New("--instance: must be one line")
	}
	switch c.OAuth2Fault {
	case "", FaultState, FaultReuse, FaultExpired, FaultPKCE:
	default:
		return fmt.Errorf("--oauth2-fault: want %s, %s, %s or %s, got %q", FaultState, FaultReuse, FaultExpired, FaultPKCE, c.OAuth2Fault)
	}
	if c.OAuth2Fault != "" && !c.OAuth2 {
		return errors.New("--oauth2-fault needs --oauth2")
	}
	if c.Store != "" {
		if !strings.HasPrefix(c.Store, "redis://") {
			return fmt.Errorf("--store: want a redis:// URL, got %q", c.Store)
		}
		if c.MaxSessions > 0 || c.StoreLatency > 0 {
			return errors.New("--store: --max-sessions and --store-latency are for the in-memory store; cap a Redis store with its maxmemory")
		}
	}
	return nil
}

func validCookieName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if b <= ' ' || b >= 0x7f || strings.IndexByte("()<>@,;:\\\"/[]?={}", b) >= 0 {
			return false
		}
	}
	return true
}

// LoadUsers reads a CSV file whose header names a username and a password
// column (other columns are ignored) and returns user name -> password.
func LoadUsers(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	users, err := ReadUsers(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return users, nil
}

// ReadUsers is LoadUsers over a reader; errors name the line.
func ReadUsers(r io.Reader) (map[string]string, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err == io.EOF {
		return nil, errors.New("line 1: empty file, want a header username,password")
	}
	if err != nil {
		return nil, err
	}
	ucol, pcol := -1, -1
	for i, h := range header {
		switch strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")) {
		case "username":
			ucol = i
		case "password":
			pcol = i
		}
	}
	if ucol < 0 || pcol < 0 {
		return nil, fmt.Errorf("line 1: header %q lacks a username and a password column", strings.Join(header, ","))
	}
	users := make(map[string]string)
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		line, _ := cr.FieldPos(0)
		if len(rec) <= ucol || len(rec) <= pcol {
			return nil, fmt.Errorf("line %d: want at least %d fields, got %d", line, max(ucol, pcol)+1, len(rec))
		}
		name := rec[ucol]
		if name == "" {
			return nil, fmt.Errorf("line %d, field username: empty", line)
		}
		if _, dup := users[name]; dup {
			return nil, fmt.Errorf("line %d, field username: %q appears twice", line, name)
		}
		users[name] = rec[pcol]
	}
	if len(users) == 0 {
		return nil, errors.New("no users after the header")
	}
	return users, nil
}
