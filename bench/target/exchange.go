package target

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strings"
	"time"
)

// exchange is one request on its way through the filter chain. It is a
// value on the serving goroutine's stack; nothing in it outlives the request.
type exchange struct {
	t   *Target
	w   http.ResponseWriter
	r   *http.Request
	now time.Time

	sess       sessionView
	hasSess    bool
	sentCookie bool // the request carried a session cookie

	xsrf     string // cookie mode: the token in force for this response
	xsrfSent string // cookie mode: the token the request carried

	user, via string // the authenticated principal and how: session, bearer, basic
}

// route is the filter chain: public endpoints first, then CSRF, then
// authentication, then the application.
func (x *exchange) route() {
	p := x.r.URL.Path
	if x.t.cfg.ServletForm && (p == "/app" || strings.HasPrefix(p, "/app/") || strings.HasPrefix(p, "/app;")) {
		x.servlet()
		return
	}
	x.loadSession()
	if x.t.cfg.CSRF == CSRFCookie {
		x.loadXSRFCookie()
	}
	switch p {
	case "/login":
		x.loginEndpoint()
	case "/api/auth/token":
		x.public(http.MethodPost, x.issueToken)
	case "/api/auth/refresh":
		x.public(http.MethodPost, x.refreshToken)
	case "/api/csrf":
		x.public(http.MethodGet, x.csrfEndpoint)
	case oauth2StartPath, oauth2CallbackPath:
		if x.t.idp == nil {
			x.protected()
		} else if p == oauth2StartPath {
			x.public(http.MethodGet, x.oauth2Start)
		} else {
			x.public(http.MethodGet, x.oauth2Callback)
		}
	default:
		x.protected()
	}
}

func (x *exchange) public(method string, serve func()) {
	if x.r.Method != method {
		x.methodNotAllowed(method)
		return
	}
	serve()
}

func (x *exchange) loginEndpoint() {
	switch x.r.Method {
	case http.MethodGet:
		x.loginPage()
	case http.MethodPost:
		if x.csrfOK() {
			x.loginPost()
		}
	default:
		x.methodNotAllowed("GET, POST")
	}
}

// protected authenticates the request (bearer, Basic or session, in the
// order Spring's filters try them) and serves it or challenges the client.
func (x *exchange) protected() {
	authz := x.r.Header.Get("Authorization")
	switch {
	case hasPrefixFold(authz, "Bearer "):
		user, reason := x.verifyBearer(strings.TrimSpace(authz[7:]))
		if reason != "" {
			x.invalidToken(reason)
			return
		}
		x.user, x.via = user, "bearer"
	case x.t.cfg.Basic && hasPrefixFold(authz, "Basic ") && isAPI(x.r.URL.Path):
		user, ok := x.basicUser(authz[6:])
		if !ok {
			x.unauthorized()
			return
		}
		x.user, x.via = user, "basic"
	default:
		if unsafeMethod(x.r.Method) && !x.csrfOK() {
			return
		}
		if x.hasSess && x.sess.user != "" {
			x.user, x.via = x.sess.user, "session"
		}
	}
	if x.user == "" {
		x.entryPoint()
		return
	}
	x.serveApp()
}

// verifyBearer checks a bearer token: the provider's (RS256, with its
// key) or the application's own (HS256).
func (x *exchange) verifyBearer(tok string) (user, reason string) {
	if p := x.t.idp; p != nil && strings.HasPrefix(tok, p.header+".") {
		return p.verify(tok, x.now)
	}
	return x.t.tokens.verify(tok, x.now)
}

func (x *exchange) basicUser(enc string) (string, bool) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(enc))
	if err != nil {
		return "", false
	}
	user, pass, ok := strings.Cut(string(raw), ":")
	if !ok || !x.t.checkPassword(x.r.Context(), user, pass) {
		return "", false
	}
	return user, true
}

// serveApp dispatches an authenticated request.
func (x *exchange) serveApp() {
	p := x.r.URL.Path
	switch {
	case p == "/" || p == "/account":
		if x.r.Method != http.MethodGet {
			x.methodNotAllowed(http.MethodGet)
			return
		}
		x.page(p)
	case p == "/logout":
		x.logoutEndpoint()
	case p == "/shop" || strings.HasPrefix(p, "/shop/"):
		x.shop(p)
	case p == "/api/profile":
		x.public(http.MethodGet, x.profile)
	case p == "/api/orders":
		x.ordersEndpoint()
	case strings.HasPrefix(p, "/api/orders/"):
		x.orderEndpoint(p[len("/api/orders/"):])
	default:
		x.notFound()
	}
}

func (x *exchange) loadSession() {
	id, ok := cookieValue(x.r, x.t.cfg.SessionCookie)
	x.sentCookie = ok
	if ok {
		x.sess, x.hasSess = x.t.store.get(x.r.Context(), id, x.now)
	}
}

// newSession creates a session for this exchange and sends its cookie.
func (x *exchange) newSession(init func(*session)) {
	x.sess = x.createSession(func(s *session) {
		if x.t.cfg.CSRF == CSRFSession {
			s.csrf = newUUID()
		}
		if init != nil {
			init(s)
		}
	})
	x.hasSess = true
	x.setSessionCookie(x.sess.id, x.t.cookieAttrs)
}

// tooManySessions is what creating a session in a full store that
// refuses new ones raises: the request fails, as a servlet container's
// request.getSession(true) throws TooManyActiveSessionsException and
// answers 500.
type tooManySessions struct{}

// createSession stores a new session, or raises tooManySessions.
func (x *exchange) createSession(init func(*session)) sessionView {
	v, ok := x.t.store.create(x.r.Context(), x.now, init)
	if !ok {
		panic(tooManySessions{})
	}
	return v
}

// refused answers a request that needed a session the store refused.
func refused(w http.ResponseWriter, r *http.Request) {
	writeBody(w, http.StatusInternalServerError, ctJSON,
		[]byte(`{"status":500,"error":"Internal Server Error","message":"createSession: Too many active sessions","path":"`+r.URL.Path+`"}`))
}

func (x *exchange) ensureSession() {
	if !x.hasSess {
		x.newSession(nil)
	}
}

func (x *exchange) setSessionCookie(id, attrs string) {
	x.w.Header().Add("Set-Cookie", x.t.cfg.SessionCookie+"="+id+attrs)
}

// loadXSRFCookie reads the SPA-mode token and, if the client has none,
// issues one, as Spring's SPA configuration loads the token on every request.
func (x *exchange) loadXSRFCookie() {
	x.xsrfSent, _ = cookieValue(x.r, "XSRF-TOKEN")
	x.xsrf = x.xsrfSent
	if x.xsrf == "" {
		x.setXSRFCookie(newUUID())
	}
}

func (x *exchange) setXSRFCookie(tok string) {
	x.xsrf = tok
	attrs := "; Path=/"
	if x.t.cfg.TLS {
		attrs += "; Secure"
	}
	if tok == "" {
		attrs += "; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT"
	}
	x.w.Header().Add("Set-Cookie", "XSRF-TOKEN="+tok+attrs)
}

// csrfToken returns the token pages embed: from the session, or in cookie
// mode from the XSRF-TOKEN cookie.
func (x *exchange) csrfToken() string {
	if x.t.cfg.CSRF == CSRFCookie {
		return x.xsrf
	}
	x.ensureSession()
	if x.sess.csrf == "" {
		tok := newUUID()
		if v, ok := x.t.store.update(x.r.Context(), x.sess.id, x.now, func(s *session) { s.csrf = tok }); ok {
			x.sess = v
		}
	}
	return x.sess.csrf
}

// csrfOK checks the token of an unsafe request and answers 403 when it
// fails, with the reason in words a user can act on.
func (x *exchange) csrfOK() bool {
	if x.t.cfg.NoCSRF {
		return true
	}
	var reason string
	if x.t.cfg.CSRF == CSRFCookie {
		reason = x.cookieCSRFProblem()
	} else {
		reason = x.sessionCSRFProblem()
	}
	if reason == "" {
		return true
	}
	x.forbidden("Invalid CSRF token: " + reason)
	return false
}

func (x *exchange) sessionCSRFProblem() string {
	sent := x.r.Header.Get("X-CSRF-TOKEN")
	if sent == "" {
		sent = x.formValue("_csrf")
	}
	switch {
	case !x.hasSess || x.sess.csrf == "":
		return "no session was found to hold the expected token"
	case sent == "":
		return "no token was sent in the _csrf parameter or the X-CSRF-TOKEN header"
	case !maskedMatches(x.sess.csrf, sent):
		return "the token sent does not match the session's"
	}
	return ""
}

func (x *exchange) cookieCSRFProblem() string {
	if x.xsrfSent == "" {
		return "no XSRF-TOKEN cookie was sent"
	}
	if h := x.r.Header.Get("X-XSRF-TOKEN"); h != "" {
		if !rawMatches(x.xsrfSent, h) {
			return "the X-XSRF-TOKEN header does not match the XSRF-TOKEN cookie"
		}
		return ""
	}
	sent := x.formValue("_csrf")
	if sent == "" {
		return "no token was sent in the X-XSRF-TOKEN header or the _csrf parameter"
	}
	if !maskedMatches(x.xsrfSent, sent) {
		return "the _csrf parameter does not match the XSRF-TOKEN cookie"
	}
	return ""
}

// formValue reads a field of a form body; other bodies are left unread.
func (x *exchange) formValue(name string) string {
	ct := x.r.Header.Get("Content-Type")
	if !strings.HasPrefix(ct, "application/x-www-form-urlencoded") && !strings.HasPrefix(ct, "multipart/form-data") {
		return ""
	}
	return x.r.PostFormValue(name)
}

// checkPassword verifies credentials after the configured hash delay.
func (t *Target) checkPassword(ctx context.Context, user, pass string) bool {
	if t.loginSlots != nil {
		select {
		case t.loginSlots <- struct{}{}:
			defer func() { <-t.loginSlots }()
		case <-ctx.Done():
			return false
		}
	}
	if t.cfg.LoginLatency > 0 {
		t.cfg.Sleep(ctx, t.cfg.LoginLatency)
	}
	if t.cfg.Users != nil {
		want, ok := t.cfg.Users[user]
		return ok && subtle.ConstantTimeCompare([]byte(want), []byte(pass)) == 1
	}
	n, ok := strings.CutPrefix(user, "user")
	if !ok || n == "" || strings.TrimLeft(n, "0123456789") != "" {
		return false
	}
	return pass == "pass"+n
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

func isAPI(path string) bool { return strings.HasPrefix(path, "/api/") }

func unsafeMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return false
	}
	return true
}
