package harimport

import (
	"net/url"
	"path"
	"regexp"
	"strings"
)

// hop is one exchange the import keeps: a request the browser made on
// purpose (a page, a form post, an API call), with what it sent decoded.
type hop struct {
	entry *Entry
	// index is the entry's place in the HAR file, for messages.
	index int
	url   *url.URL
	// form holds a urlencoded body's fields in order; json a JSON body.
	form    []NV
	json    any
	isJSON  bool
	rawBody string
	// next is the hop this one's redirect led to (-1: none kept); prev
	// the hop whose redirect led here.
	next, prev int
}

// method returns the request method, upper case.
func (h *hop) method() string { return strings.ToUpper(h.entry.Request.Method) }

// status returns the response status.
func (h *hop) status() int { return h.entry.Response.Status }

// location returns the redirect's target, resolved ("" if none).
func (h *hop) location() *url.URL {
	loc := h.entry.Response.RedirectURL
	if loc == "" {
		loc = header(h.entry.Response.Headers, "Location")
	}
	if loc == "" || h.status() < 300 || h.status() > 399 {
		return nil
	}
	u, err := h.url.Parse(loc)
	if err != nil {
		return nil
	}
	return u
}

// assetTypes are the resource types of what a page loads by itself.
var assetTypes = map[string]bool{
	"image": true, "stylesheet": true, "script": true, "font": true, "media": true,
	"manifest": true, "texttrack": true, "ping": true, "cspviolationreport": true,
	"eventsource": true, "websocket": true, "prefetch": true, "signedexchange": true,
}

var assetExt = regexp.MustCompile(`(?i)\.(css|js|mjs|map|png|jpe?g|gif|svg|ico|webp|avif|bmp|woff2?|ttf|otf|eot|mp4|webm|mp3|ogg|wav)$`)

// browserOwn says why an entry is the browser's own doing, never a
// person's, whatever --keep-assets says ("" when it is not): a CORS
// preflight, a WebSocket.
func browserOwn(e *Entry, u *url.URL) string {
	switch {
	case strings.EqualFold(e.ResourceType, "preflight"),
		strings.EqualFold(e.Request.Method, "OPTIONS") && header(e.Request.Headers, "Access-Control-Request-Method") != "":
		return "CORS preflight"
	case u.Scheme == "ws" || u.Scheme == "wss" || strings.EqualFold(e.ResourceType, "websocket"):
		return "WebSocket"
	}
	return ""
}

// assetReason says why an entry is a static asset ("" when it is not).
func assetReason(e *Entry, u *url.URL) string {
	mime := e.Response.mime()
	switch {
	case assetTypes[strings.ToLower(e.ResourceType)]:
		return e.ResourceType
	case assetExt.MatchString(stripPathParams(u.Path)):
		return strings.ToLower(path.Ext(stripPathParams(u.Path)))
	case strings.HasPrefix(mime, "image/"), strings.HasPrefix(mime, "font/"),
		strings.HasPrefix(mime, "audio/"), strings.HasPrefix(mime, "video/"),
		mime == "text/css", strings.Contains(mime, "javascript"):
		return mime
	}
	return ""
}

// stripPathParams drops a servlet container's ";jsessionid=..." (and any
// other path parameter) from each segment: cohort keeps sessions in
// cookies, and a recorded id in a URL would be replayed by every VU.
func stripPathParams(p string) string {
	if !strings.Contains(p, ";") {
		return p
	}
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i], _, _ = strings.Cut(s, ";")
	}
	return strings.Join(segs, "/")
}

// sameURL reports whether a redirect's target is the request that
// followed it (path parameters and fragments aside).
func sameURL(a, b *url.URL) bool {
	return a.Scheme == b.Scheme && a.Host == b.Host &&
		stripPathParams(a.Path) == stripPathParams(b.Path) && a.RawQuery == b.RawQuery
}

// decodeBody reads the request body of a hop.
func (h *hop) decodeBody() {
	pd := h.entry.Request.PostData
	if pd == nil {
		return
	}
	mime, _, _ := strings.Cut(strings.ToLower(pd.MimeType), ";")
	mime = strings.TrimSpace(mime)
	switch {
	case mime == "application/x-www-form-urlencoded":
		h.form = parseForm(pd)
	case mime == "application/json" || strings.HasSuffix(mime, "+json"):
		if v, ok := decodeJSON([]byte(pd.Text)); ok {
			h.json, h.isJSON = v, true
			return
		}
		h.rawBody = pd.Text
	default:
		h.rawBody = pd.Text
	}
}

// parseForm keeps a form's fields in the order the browser sent them.
func parseForm(pd *PostData) []NV {
	if pd.Text == "" && len(pd.Params) > 0 {
		out := make([]NV, len(pd.Params))
		for i, p := range pd.Params {
			out[i] = NV{Name: unescapeForm(p.Name), Value: unescapeForm(p.Value)}
		}
		return out
	}
	var out []NV
	for _, kv := range strings.Split(pd.Text, "&") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		out = append(out, NV{Name: unescapeForm(k), Value: unescapeForm(v)})
	}
	return out
}

func unescapeForm(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

// logoutSegment matches a path segment that says logout: /logout,
// /signout, /j_spring_security_logout, /auth/log-off.
var logoutSegment = regexp.MustCompile(`(?i)^(.*[_-])?(log|sign)[-_]?(out|off)$`)

// isLogout reports whether a path is a logout's.
func isLogout(p string) bool {
	for _, s := range strings.Split(stripPathParams(p), "/") {
		if logoutSegment.MatchString(s) {
			return true
		}
	}
	return false
}

// passwordField matches the names of fields that carry a password.
var passwordField = regexp.MustCompile(`(?i)^(j_)?(pass(word|wd|phrase)?|pwd|pin)$|password`)

// usernameExact and usernameField match the names of fields that carry a
// user's name: the exact names first, then names that contain one
// (user_type is no user name when username is beside it).
var (
	usernameExact = regexp.MustCompile(`(?i)^(j_)?(user(name)?|login|email|e-?mail|account|uid|name|userid|user_id|login_id)$`)
	usernameField = regexp.MustCompile(`(?i)user|login|email`)
)
