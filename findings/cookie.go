package findings

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// cookieSeen is the first session cookie set, for the finding that says
// its attributes were sound.
type cookieSeen struct {
	seen    bool
	request string
	attrs   string
	count   int64
}

// sound is the Info finding on the session cookie's attributes, when
// one was set and none of its attributes was found wanting.
func (c *cookieSeen) sound(byKind map[Kind]*Finding) (Finding, bool) {
	if !c.seen {
		return Finding{}, false
	}
	for _, k := range []Kind{CookieOverHTTP, CookieNoHTTPOnly, CookieNoSecure, CookieNoSameSite, CookieSameSiteNone, CookiePersistent} {
		if f := byKind[k]; f != nil && f.Severity != Info {
			return Finding{}, false
		}
	}
	return Finding{Kind: CookieAttributesInfo, Severity: Info, Request: c.request, Count: c.count,
		Evidence: "the session cookie is set with " + c.attrs}, true
}

// SessionCookie judges a Set-Cookie of the session cookie, answered to a
// request to u by the request named request. A cookie that deletes the
// session (Max-Age < 0, or an empty value) is not judged.
func (o *Observer) SessionCookie(request string, u *url.URL, c *http.Cookie) {
	if o == nil || c.Value == "" || c.MaxAge < 0 {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	name := c.Name
	if !o.cookie.seen {
		o.cookie = cookieSeen{seen: true, request: request, attrs: describeAttrs(c)}
	}
	o.cookie.count++
	https := u.Scheme == "https"
	if !https {
		sev, where := High, "over http://"+u.Host
		if loopback(u.Hostname()) {
			sev, where = Low, "over http:// on loopback ("+u.Host+": a test setup? check the scheme of the deployed application)"
		}
		o.note(CookieOverHTTP, sev, request, fmt.Sprintf("%s is set and sent %s: anyone on the path can read it and take the session", name, where))
	}
	if !c.HttpOnly {
		o.note(CookieNoHTTPOnly, Medium, request, name+" has no HttpOnly: a script injected into a page can read it")
	}
	if https && !c.Secure {
		o.note(CookieNoSecure, High, request, name+" is set over https:// without Secure: the browser also sends it over plain http://")
	}
	switch {
	case c.SameSite == http.SameSiteNoneMode && !c.Secure:
		o.note(CookieSameSiteNone, Medium, request, name+" has SameSite=None without Secure: browsers refuse it")
	case c.SameSite == 0 || c.SameSite == http.SameSiteDefaultMode:
		o.note(CookieNoSameSite, Low, request, name+" has no SameSite attribute: cross-site requests carry it (browsers default to Lax, older ones to none)")
	}
	if c.MaxAge > 0 || !c.Expires.IsZero() {
		life := "an Expires date"
		if c.MaxAge > 0 {
			life = "Max-Age " + (time.Duration(c.MaxAge) * time.Second).String()
		}
		o.note(CookiePersistent, Low, request, name+" is persistent ("+life+"): it outlives the browser, where a session cookie is expected")
	}
}

// describeAttrs lists a cookie's attributes, without its value.
func describeAttrs(c *http.Cookie) string {
	var parts []string
	if c.Path != "" {
		parts = append(parts, "Path="+c.Path)
	}
	if c.HttpOnly {
		parts = append(parts, "HttpOnly")
	}
	if c.Secure {
		parts = append(parts, "Secure")
	}
	switch c.SameSite {
	case http.SameSiteLaxMode:
		parts = append(parts, "SameSite=Lax")
	case http.SameSiteStrictMode:
		parts = append(parts, "SameSite=Strict")
	case http.SameSiteNoneMode:
		parts = append(parts, "SameSite=None")
	}
	if len(parts) == 0 {
		return "no attributes"
	}
	return strings.Join(parts, "; ")
}

// IDInURL notes a session id carried in a URL (";jsessionid=" in a
// Location or a link), where logs, Referer headers and shared links leak
// it.
func (o *Observer) IDInURL(request, where string) {
	o.Note(IDInURL, Medium, request, "the session id travels in a URL ("+where+" carries ;jsessionid=): logs, Referer headers and copied links leak it")
}

// HasIDInURL reports whether s carries a ;jsessionid= path parameter.
func HasIDInURL(s string) bool {
	return strings.Contains(strings.ToLower(s), ";jsessionid=")
}

// Login tells how a login ended for the session id: the id held before
// its credentials were sent (before; "" if none) and the one after.
func (o *Observer) Login(request, before, after string) {
	if o == nil || before == "" || after == "" {
		return
	}
	if before == after {
		o.Note(NoRotation, High, request, "the session id held before the login is still the session's after it: a planted id becomes a logged-in session (session fixation)")
		return
	}
	o.Note(NoRotationInfo, Info, request, "the session id changes at login")
}

// NoRotationInfo is the Info side of NoRotation.
const NoRotationInfo Kind = "session_id_rotated_at_login"

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
