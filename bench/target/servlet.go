package target

import (
	"html"
	"net/http"
	"strings"
)

// The servlet application lives under /app, as a second web application
// deployed in the same container: its session cookie is scoped to the
// context path, and it authenticates with the container's FORM method.

// splitJSessionID removes a ";jsessionid=" path parameter, as the container
// does before mapping the request, and returns the id it carried.
func splitJSessionID(path string) (string, string) {
	i := strings.Index(path, ";jsessionid=")
	if i < 0 {
		return path, ""
	}
	rest := path[i+len(";jsessionid="):]
	j := strings.IndexAny(rest, ";/")
	if j < 0 {
		return path[:i], rest
	}
	return path[:i] + rest[j:], rest[:j]
}

func (x *exchange) servletCookieAttrs() string {
	if x.t.cfg.CookieInsecure {
		return "; Path=/app"
	}
	attrs := "; Path=/app; HttpOnly"
	if x.t.cfg.TLS {
		attrs += "; Secure"
	}
	return attrs
}

// servlet serves /app: FORM authentication in front of two pages.
func (x *exchange) servlet() {
	path, urlID := splitJSessionID(x.r.URL.Path)
	id, ok := cookieValue(x.r, x.t.cfg.SessionCookie)
	x.sentCookie = ok
	if !ok {
		id = urlID
	}
	if id != "" {
		x.sess, x.hasSess = x.t.store.get(x.r.Context(), id, x.now)
	}
	switch {
	case path == "/app/j_security_check":
		if x.r.Method != http.MethodPost {
			x.methodNotAllowed(http.MethodPost)
			return
		}
		x.servletLogin()
	case path == "/app/logout":
		if x.hasSess && !x.t.cfg.NoInvalidate {
			x.t.store.invalidate(x.r.Context(), x.sess.id)
		}
		x.redirect(http.StatusSeeOther, "/app/")
	case x.hasSess && x.sess.user != "":
		x.servletPage(path)
	default:
		x.servletChallenge(path)
	}
}

// servletChallenge saves the request and answers with the login form itself
// (a forward, not a redirect). Until the client shows it keeps cookies, the
// form's action carries the session id in the URL.
func (x *exchange) servletChallenge(path string) {
	saved := path
	if x.r.URL.RawQuery != "" {
		saved += "?" + x.r.URL.RawQuery
	}
	save := func(s *session) { s.saved = saved }
	if !x.hasSess {
		x.sess = x.createSession(save)
		x.hasSess = true
		x.setSessionCookie(x.sess.id, x.servletCookieAttrs())
	} else if x.r.Method == http.MethodGet {
		x.t.store.update(x.r.Context(), x.sess.id, x.now, save)
	}
	x.noStore()
	writeBody(x.w, http.StatusOK, ctHTML, servletLoginHTML(x.encodeURL("j_security_check"), ""))
}

// encodeURL appends the session id to a URL when the client did not send
// the session cookie, as HttpServletResponse.encodeURL does.
func (x *exchange) encodeURL(u string) string {
	if x.sentCookie || !x.hasSess {
		return u
	}
	path, query, hasQuery := strings.Cut(u, "?")
	u = path + ";jsessionid=" + x.sess.id
	if hasQuery {
		u += "?" + query
	}
	return u
}

// servletLogin checks j_username and j_password; on success the session id
// changes and the client is sent (303) to the page it first asked for.
func (x *exchange) servletLogin() {
	user, pass := x.r.PostFormValue("j_username"), x.r.PostFormValue("j_password")
	if !x.t.checkPassword(x.r.Context(), user, pass) {
		x.t.loginsFailed.Add(1)
		writeBody(x.w, http.StatusOK, ctHTML, servletLoginHTML(x.encodeURL("j_security_check"),
			`<p class="error">Invalid username and/or password, please try again.</p>`))
		return
	}
	x.t.loggedIn(user)
	var saved string
	authenticate := func(s *session) { saved, s.saved, s.user = s.saved, "", user }
	v, ok := x.hasSessionToRotate(authenticate)
	if !ok {
		// The login took longer than the session lived; go to the landing page.
		v = x.createSession(authenticate)
	}
	x.sess, x.hasSess = v, true
	x.setSessionCookie(v.id, x.servletCookieAttrs())
	if saved == "" {
		saved = "/app/"
	}
	x.redirect(http.StatusSeeOther, x.encodeURL(saved))
}

func (x *exchange) servletPage(path string) {
	switch path {
	case "/app", "/app/", "/app/account":
	default:
		x.notFound()
		return
	}
	if x.r.Method != http.MethodGet {
		x.methodNotAllowed(http.MethodGet)
		return
	}
	body := pageHead + `<title>Servlet application</title>
</head>
<body>
<h1>Servlet application</h1>
<p id="user">Logged in as ` + html.EscapeString(x.sess.user) + `</p>
<p><a href="` + x.encodeURL("/app/logout") + `">Log out</a></p>
</body>
</html>
`
	writeBody(x.w, http.StatusOK, ctHTML, []byte(body))
}

func servletLoginHTML(action, errMsg string) []byte {
	return []byte(pageHead + `<title>Login</title>
</head>
<body>
` + errMsg + `<form method="POST" action="` + html.EscapeString(action) + `">
<p>Username: <input type="text" name="j_username"></p>
<p>Password: <input type="password" name="j_password"></p>
<p><input type="submit" value="Log In"></p>
</form>
</body>
</html>
`)
}
