package target

import (
	"encoding/json"
	"net/http"
	"strings"
)

// loginPage serves the form of Spring Security's default login page, with
// a freshly masked CSRF token. In session mode it creates the session that
// holds the token, as HttpSessionCsrfTokenRepository does.
func (x *exchange) loginPage() {
	q := x.r.URL.Query()
	var alert string
	switch {
	case q.Has("error"):
		alert = `<div class="alert alert-danger" role="alert">Bad credentials</div>`
	case q.Has("logout"):
		alert = `<div class="alert alert-success" role="alert">You have been signed out</div>`
	}
	body := loginFormHTML(alert, maskToken(x.csrfToken()))
	x.noStore()
	writeBody(x.w, http.StatusOK, ctHTML, body)
}

// loginPost authenticates the form's credentials. On success the session id
// changes (fixation protection), the CSRF token is replaced, and the client
// is sent to the request the entry point saved, or to /.
func (x *exchange) loginPost() {
	user, pass := x.r.PostFormValue("username"), x.r.PostFormValue("password")
	if !x.t.checkPassword(x.r.Context(), user, pass) {
		x.t.loginsFailed.Add(1)
		x.ensureSession() // Spring keeps the failure in the session
		x.redirect(http.StatusFound, "/login?error")
		return
	}
	x.logIn(user)
}

// logIn logs the session in as user: its id changes (fixation
// protection), the CSRF token is replaced, and the client is sent to the
// request the entry point saved, or to /.
func (x *exchange) logIn(user string) {
	x.t.loggedIn(user)
	var saved string
	authenticate := func(s *session) {
		saved, s.saved = s.saved, ""
		s.user = user
		if x.t.cfg.CSRF == CSRFSession {
			s.csrf = newUUID()
		}
	}
	if x.t.cfg.NoRotate && x.hasSess {
		// The weakness: the session the login page made is logged in
		// under the id it already had.
		if v, ok := x.t.store.update(x.r.Context(), x.sess.id, x.now, authenticate); ok {
			x.sess = v
		}
	} else if v, ok := x.hasSessionToRotate(authenticate); ok {
		x.sess = v
		x.setSessionCookie(v.id, x.t.cookieAttrs)
	} else {
		x.newSession(authenticate)
	}
	if x.t.cfg.CSRF == CSRFCookie {
		x.setXSRFCookie(newUUID())
	}
	target := "/"
	if saved != "" {
		target = withContinue(saved)
	}
	x.redirect(http.StatusFound, target)
}

func (x *exchange) hasSessionToRotate(fn func(*session)) (sessionView, bool) {
	if !x.hasSess {
		return sessionView{}, false
	}
	return x.t.store.rotate(x.r.Context(), x.sess.id, x.now, fn)
}

// withContinue marks a saved-request URL as Spring Security 6 does, so the
// request cache knows to restore it.
func withContinue(u string) string {
	if strings.IndexByte(u, '?') >= 0 {
		return u + "&continue"
	}
	return u + "?continue"
}

func (x *exchange) logoutEndpoint() {
	switch x.r.Method {
	case http.MethodPost:
		// CSRF was checked before authentication, as CsrfFilter runs first.
		if x.hasSess && !x.t.cfg.NoInvalidate {
			x.t.store.invalidate(x.r.Context(), x.sess.id)
		}
		if x.t.cfg.CSRF == CSRFCookie {
			x.setXSRFCookie("")
		}
		x.redirect(http.StatusFound, "/login?logout")
	case http.MethodGet:
		body := logoutConfirmHTML(maskToken(x.csrfToken()))
		writeBody(x.w, http.StatusOK, ctHTML, body)
	default:
		x.methodNotAllowed("GET, POST")
	}
}

// entryPoint answers an unauthenticated request: a browser is sent to the
// login page with its request saved; a script gets 401.
func (x *exchange) entryPoint() {
	if !x.wantsLoginRedirect() {
		x.unauthorized()
		return
	}
	if x.r.Method == http.MethodGet {
		saved := x.absoluteURL(x.r.URL.RequestURI())
		save := func(s *session) { s.saved = saved }
		if !x.hasSess {
			x.newSession(save)
		} else if _, ok := x.t.store.update(x.r.Context(), x.sess.id, x.now, save); !ok {
			x.newSession(save)
		}
	}
	x.redirect(http.StatusFound, x.absoluteURL("/login"))
}

// wantsLoginRedirect follows Spring's entry-point choice: XHR and JSON
// clients get 401, HTML clients the login page; without a preference, API
// paths are scripts and pages are browsers.
func (x *exchange) wantsLoginRedirect() bool {
	h := x.r.Header
	if h.Get("X-Requested-With") == "XMLHttpRequest" {
		return false
	}
	accept := h.Get("Accept")
	switch {
	case strings.Contains(accept, "text/html"):
		return true
	case strings.Contains(accept, "application/json"):
		return false
	}
	return !isAPI(x.r.URL.Path)
}

func (x *exchange) absoluteURL(path string) string {
	scheme := "http://"
	if x.r.TLS != nil {
		scheme = "https://"
	}
	return scheme + x.r.Host + path
}

// issueToken is the JSON token login of a stateless API.
func (x *exchange) issueToken() {
	var creds struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(x.w, x.r.Body, 1<<16)).Decode(&creds); err != nil {
		x.jsonError(http.StatusBadRequest, "invalid_request", "the body must be JSON with username and password")
		return
	}
	if !x.t.checkPassword(x.r.Context(), creds.Username, creds.Password) {
		x.t.loginsFailed.Add(1)
		x.jsonError(http.StatusUnauthorized, "invalid_grant", "Bad credentials")
		return
	}
	x.t.loggedIn(creds.Username)
	x.writeToken(x.t.tokens.issue(creds.Username, x.now))
}

func (x *exchange) refreshToken() {
	var req struct {
		RefreshToken string `json:"refresh_token"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(x.w, x.r.Body, 1<<16)).Decode(&req); err != nil || req.RefreshToken == "" {
		x.jsonError(http.StatusBadRequest, "invalid_request", "the body must be JSON with refresh_token")
		return
	}
	tr, ok := x.t.tokens.use(req.RefreshToken, x.now)
	if !ok {
		x.jsonError(http.StatusUnauthorized, "invalid_grant", "Invalid refresh token")
		return
	}
	x.writeToken(tr)
}

func (x *exchange) writeToken(tr tokenResponse) {
	b, _ := json.Marshal(tr)
	x.noStore()
	writeBody(x.w, http.StatusOK, ctJSON, b)
}

// csrfEndpoint hands the token to scripts, as an application's
// CsrfToken-returning controller does: masked in session mode, raw (as the
// cookie holds it) in SPA mode.
func (x *exchange) csrfEndpoint() {
	type csrfBody struct {
		Token         string `json:"token"`
		HeaderName    string `json:"headerName"`
		ParameterName string `json:"parameterName"`
	}
	body := csrfBody{Token: x.xsrf, HeaderName: "X-XSRF-TOKEN", ParameterName: "_csrf"}
	if x.t.cfg.CSRF == CSRFSession {
		body = csrfBody{Token: maskToken(x.csrfToken()), HeaderName: "X-CSRF-TOKEN", ParameterName: "_csrf"}
	}
	b, _ := json.Marshal(body)
	writeBody(x.w, http.StatusOK, ctJSON, b)
}

func (x *exchange) noStore() {
	x.w.Header()["Cache-Control"] = noStoreHdr
}

var noStoreHdr = []string{"no-cache, no-store, max-age=0, must-revalidate"}

func (x *exchange) redirect(status int, loc string) {
	x.w.Header()["Location"] = []string{loc}
	x.w.WriteHeader(status)
}

// unauthorized is the 401 of an API without credentials, with the
// challenges the client may answer.
func (x *exchange) unauthorized() {
	h := x.w.Header()
	h["Www-Authenticate"] = bearerChallenge
	if x.t.cfg.Basic {
		h["Www-Authenticate"] = bearerBasicChallenge
	}
	x.errorBody(http.StatusUnauthorized, "Unauthorized", "")
}

var (
	bearerChallenge      = []string{"Bearer"}
	bearerBasicChallenge = []string{"Bearer", `Basic realm="Realm"`}
)

// invalidToken is a resource server's answer to a bad or expired bearer.
func (x *exchange) invalidToken(reason string) {
	x.w.Header()["Www-Authenticate"] = []string{`Bearer error="invalid_token", error_description="` +
		reason + `", error_uri="https://tools.ietf.org/html/rfc6750#section-3.1"`}
	x.w.WriteHeader(http.StatusUnauthorized)
}

func (x *exchange) forbidden(msg string) {
	x.errorBody(http.StatusForbidden, "Forbidden", msg)
}

func (x *exchange) notFound() {
	x.errorBody(http.StatusNotFound, "Not Found", "")
}

func (x *exchange) methodNotAllowed(allow string) {
	x.w.Header()["Allow"] = []string{allow}
	x.errorBody(http.StatusMethodNotAllowed, "Method Not Allowed", "")
}

// errorBody answers as Spring Boot's error controller does: JSON for
// scripts, the Whitelabel page for browsers.
func (x *exchange) errorBody(status int, reason, msg string) {
	if strings.Contains(x.r.Header.Get("Accept"), "text/html") {
		writeBody(x.w, status, ctHTML, whitelabelHTML(status, reason, msg))
		return
	}
	b, _ := json.Marshal(struct {
		Status  int    `json:"status"`
		Error   string `json:"error"`
		Message string `json:"message,omitempty"`
		Path    string `json:"path"`
	}{status, reason, msg, x.r.URL.Path})
	writeBody(x.w, status, ctJSON, b)
}

func (x *exchange) jsonError(status int, code, desc string) {
	b, _ := json.Marshal(struct {
		Error string `json:"error"`
		Desc  string `json:"error_description"`
	}{code, desc})
	writeBody(x.w, status, ctJSON, b)
}
