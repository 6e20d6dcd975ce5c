package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spf13/pflag"

	"github.com/cohort-dev/cohort/bench/target"
)

// targetFlags are the flags of "cohort target", also accepted in a
// profile's demo_target list.
type targetFlags struct {
	cfg                    target.Config
	listen, users, certOut string
}

func newTargetFlags(name string) (*pflag.FlagSet, *targetFlags) {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	tf := &targetFlags{}
	c := &tf.cfg
	fs.StringVar(&tf.listen, "listen", "127.0.0.1:8080", "address to serve on (host:port; port 0 picks a free one)")
	fs.StringVar(&tf.users, "users", "", "CSV file of users (header username,password); default user<N>/pass<N>")
	fs.StringVar(&tf.certOut, "cert-out", "", "with --tls, write the self-signed certificate (PEM) here for clients to trust")
	fs.StringVar(&c.SessionCookie, "session-cookie", "JSESSIONID", "session cookie name; SESSION imitates Spring Session (base64 id, SameSite=Lax)")
	fs.StringVar(&c.CSRF, "csrf", target.CSRFSession, "CSRF token repository: session (masked _csrf / X-CSRF-TOKEN) or cookie (XSRF-TOKEN echoed in X-XSRF-TOKEN)")
	fs.BoolVar(&c.Basic, "basic", false, "accept HTTP Basic on /api/* without creating a session")
	fs.BoolVar(&c.ServletForm, "servlet-form", false, "serve servlet FORM authentication (j_security_check) under /app/")
	fs.DurationVar(&c.TokenTTL, "token-ttl", 15*time.Minute, "lifetime of access tokens from /api/auth/token")
	fs.DurationVar(&c.RefreshTTL, "refresh-ttl", 24*time.Hour, "lifetime of refresh tokens")
	fs.DurationVar(&c.MaxInactive, "max-inactive", 30*time.Minute, "session max-inactive interval")
	fs.IntVar(&c.MaxSessions, "max-sessions", 0, "cap live sessions at this many (0: no cap); see --when-full")
	fs.StringVar(&c.WhenFull, "when-full", target.WhenFullEvict, "past --max-sessions: evict (the least recently used session goes) or refuse (a request that needs a new session gets a 500, as Tomcat's StandardManager answers past maxActiveSessions)")
	fs.DurationVar(&c.StoreLatency, "store-latency", 0, "added to each session-store read and write (imitates Redis/JDBC)")
	fs.StringVar(&c.Store, "store", "", "keep sessions in Redis (redis://127.0.0.1:6379/0), laid out as Spring Session Data Redis does; default in memory")
	fs.DurationVar(&c.LoginLatency, "login-latency", 0, "added to each credential check (imitates a password hash)")
	fs.IntVar(&c.LoginWorkers, "login-workers", 0, "credential checks at once (0: no bound); more logins queue, as behind a bounded pool")
	fs.DurationVar(&c.Latency, "latency", 0, "added to every response")
	fs.DurationVar(&c.Jitter, "jitter", 0, "uniform random extra latency, up to this much")
	fs.DurationVar(&c.StallEvery, "stall-every", 0, "open a stall window at the start of every such period")
	fs.DurationVar(&c.StallFor, "stall-for", 0, "length of each stall window; requests in it wait until it ends")
	fs.Float64Var(&c.ErrorRate, "error-rate", 0, "fraction of requests answered 500 (0..1)")
	fs.Float64Var(&c.ResetRate, "reset-rate", 0, "fraction of requests whose connection is reset without a response (0..1)")
	fs.BoolVar(&c.TLS, "tls", false, "serve HTTPS with a self-signed certificate made at start")
	fs.BoolVar(&c.HTTP2, "http2", false, "with --tls, offer HTTP/2 beside HTTP/1.1 (ALPN h2)")
	fs.StringVar(&c.Instance, "instance", "target-1", "value of the X-Instance response header")
	fs.BoolVar(&c.CookieInsecure, "cookie-insecure", false, "weakness: the session cookie without HttpOnly, Secure or SameSite")
	fs.BoolVar(&c.NoRotate, "no-rotate", false, "weakness: keep the session id at login (session fixation)")
	fs.BoolVar(&c.NoInvalidate, "no-invalidate", false, "weakness: a logout leaves the session logged in")
	fs.BoolVar(&c.NoCSRF, "no-csrf", false, "weakness: accept unsafe requests without their CSRF token")
	fs.BoolVar(&c.ShortIDs, "short-ids", false, "weakness: session ids of 8 hex digits (32 bits)")
	fs.StringVar(&c.TokenKey, "token-key", "", "HMAC key of the access tokens (default: 32 random bytes); weakness: a word such as secret")
	fs.BoolVar(&c.OAuth2, "oauth2", false, "serve an OAuth 2 / OpenID Connect identity provider on --idp-listen, and an oauth2Login at /oauth2/authorization/idp")
	fs.StringVar(&c.IdPListen, "idp-listen", "127.0.0.2:0", "with --oauth2, the identity provider's address (another host than the application's)")
	fs.StringVar(&c.OAuth2Fault, "oauth2-fault", "", "with --oauth2, make the provider fail: state (a wrong state back), reuse (every code already used), expired (codes expired on arrival) or pkce (the verifier never matches)")
	return fs, tf
}

// build checks the flags and makes the target; errors are usage errors.
func (tf *targetFlags) build() (*target.Target, error) {
	if tf.users != "" {
		u, err := target.LoadUsers(tf.users)
		if err != nil {
			return nil, fmt.Errorf("--users: %v", err)
		}
		tf.cfg.Users = u
	}
	if tf.certOut != "" && !tf.cfg.TLS {
		return nil, fmt.Errorf("--cert-out needs --tls")
	}
	if tf.cfg.HTTP2 && !tf.cfg.TLS {
		return nil, fmt.Errorf("--http2 needs --tls (HTTP/2 is offered in the TLS handshake, as browsers use it)")
	}
	return target.New(tf.cfg)
}

// runTarget serves the built-in target until the context ends (Ctrl-C).
func runTarget(ctx context.Context, e *env, args []string) int {
	fs, tf := newTargetFlags("target")
	if code, ok := parseFlags(e, fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "cohort target: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	t, err := tf.build()
	if err != nil {
		fmt.Fprintf(e.stderr, "cohort target: %v\n", err)
		return exitUsage
	}
	return serveTarget(ctx, e, t, tf.listen, tf.certOut)
}

func serveTarget(ctx context.Context, e *env, t *target.Target, listen, certOut string) int {
	url, err := t.Start(listen)
	if err != nil {
		fmt.Fprintf(e.stderr, "cohort target: %v\n", err)
		return exitFailed
	}
	if t.Fingerprint() != "" {
		fmt.Fprintf(e.stdout, "certificate SHA-256 %s\n", t.Fingerprint())
		if certOut != "" {
			if err := os.WriteFile(certOut, t.CertificatePEM(), 0o644); err != nil {
				fmt.Fprintf(e.stderr, "cohort target: --cert-out: %v\n", err)
				t.Close(context.Background())
				return exitFailed
			}
		}
	}
	fmt.Fprintf(e.stdout, "cohort target serving %s (stats at %s/-/stats); Ctrl-C stops\n", url, url)
	if idp := t.IdPURL(); idp != "" {
		fmt.Fprintf(e.stdout, "identity provider at %s (%s/.well-known/openid-configuration)\n", idp, idp)
	}
	<-ctx.Done()
	stopCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := t.Close(stopCtx); err != nil {
		fmt.Fprintf(e.stderr, "cohort target: stopping: %v\n", err)
		return exitFailed
	}
	st := t.Stats()
	fmt.Fprintf(e.stdout, "stopped: %d requests, %d logins ok, %d failed, %d sessions created\n",
		st.Requests, st.LoginsOK, st.LoginsFailed, st.Created)
	return exitOK
}
