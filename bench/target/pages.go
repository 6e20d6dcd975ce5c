package target

import (
	"html"
	"net/http"
	"strconv"
	"strings"
)

const pageHead = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
`

// loginFormHTML is the shape of Spring Security's generated login page:
// username, password and the hidden _csrf field, posted to /login.
func loginFormHTML(alert, maskedCSRF string) []byte {
	var b strings.Builder
	b.Grow(1024)
	b.WriteString(pageHead)
	b.WriteString(`<title>Please sign in</title>
</head>
<body>
<div class="container">
<form class="form-signin" method="post" action="/login">
<h2 class="form-signin-heading">Please sign in</h2>
`)
	b.WriteString(alert)
	b.WriteString(`<p><label for="username" class="sr-only">Username</label>
<input type="text" id="username" name="username" class="form-control" placeholder="Username" required autofocus></p>
<p><label for="password" class="sr-only">Password</label>
<input type="password" id="password" name="password" class="form-control" placeholder="Password" required></p>
<input name="_csrf" type="hidden" value="`)
	b.WriteString(maskedCSRF)
	b.WriteString(`" />
<button class="btn btn-lg btn-primary btn-block" type="submit">Sign in</button>
</form>
</div>
</body>
</html>
`)
	return []byte(b.String())
}

func logoutConfirmHTML(maskedCSRF string) []byte {
	return []byte(pageHead + `<title>Confirm Log Out?</title>
</head>
<body>
<form class="form-signin" method="post" action="/logout">
<h2 class="form-signin-heading">Are you sure you want to log out?</h2>
<input name="_csrf" type="hidden" value="` + maskedCSRF + `" />
<button class="btn btn-lg btn-primary btn-block" type="submit">Log Out</button>
</form>
</body>
</html>
`)
}

// page serves the application's HTML pages. Each carries the CSRF token in
// the meta tags Spring's docs recommend for scripts, and a logout form.
func (x *exchange) page(path string) {
	masked := maskToken(x.csrfToken())
	header := "X-CSRF-TOKEN"
	if x.t.cfg.CSRF == CSRFCookie {
		header = "X-XSRF-TOKEN"
	}
	title, main := "Home", `<h1>Orders</h1>
<p><a href="/account">Account</a> · <a href="/api/orders">Orders (JSON)</a></p>
`
	if path == "/account" {
		title, main = "Account", "<h1>Account</h1>\n"
	}
	var b strings.Builder
	b.Grow(1024)
	b.WriteString(pageHead)
	b.WriteString(`<meta name="_csrf" content="` + masked + `">
<meta name="_csrf_header" content="` + header + `">
<title>` + title + `</title>
</head>
<body>
`)
	b.WriteString(main)
	b.WriteString(`<p id="user">Logged in as ` + html.EscapeString(x.user) + `</p>
<form method="post" action="/logout"><input name="_csrf" type="hidden" value="` + masked + `" /><button type="submit">Log out</button></form>
</body>
</html>
`)
	writeBody(x.w, http.StatusOK, ctHTML, []byte(b.String()))
}

// whitelabelHTML is Spring Boot's default error page.
func whitelabelHTML(status int, reason, msg string) []byte {
	var b strings.Builder
	b.WriteString("<html><body><h1>Whitelabel Error Page</h1>\n")
	b.WriteString("<p>This application has no explicit mapping for /error, so you are seeing this as a fallback.</p>\n")
	b.WriteString("<div>There was an unexpected error (type=" + reason + ", status=" + strconv.Itoa(status) + ").</div>\n")
	if msg != "" {
		b.WriteString("<div>" + html.EscapeString(msg) + "</div>\n")
	}
	b.WriteString("</body></html>\n")
	return []byte(b.String())
}

// appendJSONString appends s as a JSON string literal.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}
