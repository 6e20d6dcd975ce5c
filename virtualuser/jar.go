package virtualuser

import (
	"math"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/net/publicsuffix"

	"github.com/cohort-dev/cohort/clock"
	"github.com/cohort-dev/cohort/metrics"
)

// Browsers' cookie limits (RFC 6265 section 6.1 gives the minimums: 4096
// bytes a cookie, 50 a domain, 3000 in all; Chrome keeps 180 a site).
const (
	// MaxCookieBytes bounds a cookie's name and value together.
	MaxCookieBytes = 4096
	// MaxCookiesPerSite is how many cookies one registrable domain keeps.
	MaxCookiesPerSite = 180
	// MaxCookies is how many cookies a jar keeps in all.
	MaxCookies = 3000
)

// TakeDropped returns what the jar dropped since the last call, and forgets it.
func (j *Jar) TakeDropped() metrics.CookieDrops {
	d := j.dropped
	j.dropped = metrics.CookieDrops{}
	return d
}

// Jar is one VU's cookie jar: RFC 6265 storage and matching (domain and
// host-only cookies, paths, Secure, Max-Age and Expires) with the limits
// and rules browsers keep: the public suffix list, the __Secure- and
// __Host- name prefixes, no Secure cookie from an insecure origin, at most
// MaxCookieBytes per cookie, MaxCookiesPerSite per site and MaxCookies in
// all. What it refuses or evicts is counted (Dropped).
//
// A run holds one per VU, 100,000 and more, so it is compact (about 100
// bytes per cookie instead of net/http/cookiejar's nested maps), and it
// writes the Cookie header once per change instead of once per request.
// It is not safe for concurrent use: it is its VU's.
type Jar struct {
	now     func() time.Time
	cookies []jarCookie         // in sending order: longest path first, then oldest
	seq     uint32              // creation order of the next new cookie
	version uint32              // bumped by every change
	expiry  int64               // the earliest expiry in the jar; 0: none
	off     bool                // keeps nothing (scripts/bench overhead)
	dropped metrics.CookieDrops // since the last TakeDropped

	// cache is what the jar keeps to answer its VU's next request at no
	// cost, made on the first request and let go by Compact: a session
	// that waits minutes between requests (a warm one, an idle VU's) is
	// better off without it.
	cache *jarCache
}

// jarCache is what a jar keeps between requests.
type jarCache struct {
	hdr    []string // the last Cookie header, shared with requests
	hdrKey headerKey
	origin originKey // the last origin judged secure or not
}

// Reset empties the jar in place, as a new one on the same clock (a
// discarding jar keeps discarding): a session that logs in again starts
// from no cookies, and a new jar would leave the old one alive in the
// session's allocation.
func (j *Jar) Reset() { *j = Jar{now: j.now, off: j.off} }

// Compact lets go of what the jar keeps only to answer its next request
// faster: 100 to 200 bytes a session, at a million warm sessions 150 MB.
// The next request makes it again.
func (j *Jar) Compact() { j.cache = nil }

// cached returns the jar's cache, making it if need be.
func (j *Jar) cached() *jarCache {
	if j.cache == nil {
		j.cache = new(jarCache)
	}
	return j.cache
}

// originKey caches isSecureOrigin for one scheme and host: a VU's requests
// go to one origin, and parsing its address for every request is a tenth
// of the cookie jar's time.
type originKey struct {
	scheme, host   string
	secure, cached bool
}

// secureOrigin is isSecureOrigin, cached for the last origin.
func (j *Jar) secureOrigin(scheme, host string) bool {
	o := &j.cached().origin
	if !o.cached || o.scheme != scheme || o.host != host {
		*o = originKey{scheme: scheme, host: host, secure: isSecureOrigin(scheme, host), cached: true}
	}
	return o.secure
}

type jarCookie struct {
	name, value, domain, path string
	expires                   int64 // Unix nanoseconds; 0: ends with the session
	seq                       uint32
	hostOnly, secure, quoted  bool
	// siteAt is where, in domain, the registrable domain starts: what the
	// per-site limit counts (an offset, where a string would take 16
	// bytes more of every cookie of a million sessions).
	siteAt uint8
}

// site is the cookie's registrable domain.
func (c *jarCookie) site() string { return c.domain[c.siteAt:] }

// headerKey is what the cached Cookie header was written for.
type headerKey struct {
	version      uint32
	host, path   string
	https, valid bool
}

// NewJar returns an empty jar on the clock now (nil: the system's).
func NewJar(now func() time.Time) *Jar {
	if now == nil {
		now = realNow
	}
	return &Jar{now: now}
}

// realNow is the system's clock as a function, made once: a method value
// made for each jar would be an allocation of its own.
var realNow = clock.Real.Now

// NewDiscardJar returns a jar that keeps nothing: for measuring what
// per-VU jars cost.
func NewDiscardJar() *Jar { return &Jar{now: clock.Real.Now, off: true} }

// SetCookies stores the cookies a response from u set, as a browser
// would: cookies for another domain are ignored, Max-Age=0 or a past
// Expires deletes.
func (j *Jar) SetCookies(u *url.URL, cookies []*http.Cookie) {
	if j.off || len(cookies) == 0 {
		return
	}
	host := hostOf(u)
	now := j.now().UnixNano()
	for _, c := range cookies {
		j.set(u, host, c, now)
	}
}

func (j *Jar) set(u *url.URL, host string, c *http.Cookie, now int64) {
	if len(c.Name)+len(c.Value) > MaxCookieBytes {
		j.dropped[metrics.DropTooLarge]++
		return
	}
	domain, hostOnly, why := cookieDomain(host, c.Domain)
	if why != metrics.DropNone {
		j.dropped[why]++
		return
	}
	secureOrigin := j.secureOrigin(u.Scheme, host)
	if why := prefixRule(c, secureOrigin, hostOnly); why != metrics.DropNone {
		j.dropped[why]++
		return
	}
	nc := jarCookie{domain: domain, path: c.Path, hostOnly: hostOnly, secure: c.Secure, quoted: c.Quoted}
	// The name and value are parts of the Set-Cookie line, which they
	// would keep whole: they are copied into one string of their own.
	nv := c.Name + c.Value
	nc.name, nc.value = nv[:len(c.Name)], nv[len(c.Name):]
	switch {
	case nc.path == "" || nc.path[0] != '/':
		nc.path = defaultPath(u.Path)
	case nc.path == "/":
		nc.path = "/" // not a part of the line either
	default:
		nc.path = strings.Clone(nc.path)
	}
	if !secureOrigin && j.shadowsSecure(&nc) {
		j.dropped[metrics.DropInsecure]++ // an insecure origin may not overwrite a Secure cookie
		return
	}
	remove := false
	switch {
	case c.MaxAge < 0:
		remove = true
	case c.MaxAge > 0:
		nc.expires = now + int64(c.MaxAge)*int64(time.Second)
	case !c.Expires.IsZero():
		nc.expires = c.Expires.UnixNano()
		remove = nc.expires <= now
	}
	if site := siteOf(domain); strings.HasSuffix(domain, site) && len(domain)-len(site) <= math.MaxUint8 {
		nc.siteAt = uint8(len(domain) - len(site)) // a replaced cookie's too: it counts as the one it replaces
	}
	i := j.find(nc.name, nc.domain, nc.path)
	if remove {
		if i >= 0 {
			j.cookies = append(j.cookies[:i], j.cookies[i+1:]...)
			j.changed()
		}
		return
	}
	if i >= 0 {
		nc.seq = j.cookies[i].seq // a replaced cookie keeps its creation time
		j.cookies[i] = nc
	} else {
		nc.seq = j.seq
		j.seq++
		j.makeRoom(nc.site())
		j.insert(nc)
	}
	j.changed()
}

// makeRoom evicts the oldest cookies of site, then of the whole jar, so
// that a new one fits within MaxCookiesPerSite and MaxCookies (RFC 6265
// 5.3: the user agent may evict; browsers drop the least recent).
func (j *Jar) makeRoom(site string) {
	j.expireAll(j.now().UnixNano())
	for j.countSite(site) >= MaxCookiesPerSite {
		j.evictOldest(site)
	}
	for len(j.cookies) >= MaxCookies {
		j.evictOldest("")
	}
}

func (j *Jar) countSite(site string) int {
	n := 0
	for i := range j.cookies {
		if j.cookies[i].site() == site {
			n++
		}
	}
	return n
}

// evictOldest removes the earliest made cookie of site ("": of any).
func (j *Jar) evictOldest(site string) {
	at := -1
	for i := range j.cookies {
		c := &j.cookies[i]
		if (site == "" || c.site() == site) && (at < 0 || c.seq < j.cookies[at].seq) {
			at = i
		}
	}
	j.cookies = append(j.cookies[:at], j.cookies[at+1:]...)
	j.dropped[metrics.DropEvicted]++
}

// shadowsSecure says whether c, from an insecure origin, would replace a
// Secure cookie of its name whose domain and path cover it (RFC 6265bis
// 5.7 step 16, "leave secure cookies alone").
func (j *Jar) shadowsSecure(c *jarCookie) bool {
	for i := range j.cookies {
		o := &j.cookies[i]
		if o.secure && o.name == c.name && (o.domain == c.domain || hasDotSuffix(o.domain, c.domain) || hasDotSuffix(c.domain, o.domain)) &&
			pathMatch(c.path, o.path) {
			return true
		}
	}
	return false
}

func (j *Jar) find(name, domain, path string) int {
	for i := range j.cookies {
		c := &j.cookies[i]
		if c.name == name && c.domain == domain && c.path == path {
			return i
		}
	}
	return -1
}

// insert keeps the sending order (RFC 6265 5.4 step 2): longer paths
// first, then earlier creation.
func (j *Jar) insert(c jarCookie) {
	i := len(j.cookies)
	for i > 0 && len(j.cookies[i-1].path) < len(c.path) {
		i--
	}
	j.cookies = append(j.cookies, jarCookie{})
	copy(j.cookies[i+1:], j.cookies[i:])
	j.cookies[i] = c
}

func (j *Jar) changed() {
	j.version++
	j.expiry = 0
	for i := range j.cookies {
		if e := j.cookies[i].expires; e != 0 && (j.expiry == 0 || e < j.expiry) {
			j.expiry = e
		}
	}
}

// expire drops the cookies whose time is up.
func (j *Jar) expire() {
	if j.expiry == 0 {
		return
	}
	j.expireAll(j.now().UnixNano())
}

// expireAll drops the cookies whose time is up at now.
func (j *Jar) expireAll(now int64) {
	if j.expiry == 0 || now < j.expiry {
		return
	}
	kept := j.cookies[:0]
	for _, c := range j.cookies {
		if c.expires == 0 || c.expires > now {
			kept = append(kept, c)
		}
	}
	clear(j.cookies[len(kept):])
	j.cookies = kept
	j.changed()
}

// Header returns the Cookie header for a request to u as a one-value
// slice, or nil when no cookie goes there. The slice is shared by every
// request until the jar or the URL's host and path change; net/http never
// writes into a header's slice.
func (j *Jar) Header(u *url.URL) []string {
	if len(j.cookies) == 0 {
		return nil
	}
	j.expire()
	host, path := hostOf(u), u.Path
	https := j.secureOrigin(u.Scheme, host)
	if path == "" {
		path = "/"
	}
	c := j.cached()
	k := &c.hdrKey
	if k.valid && k.version == j.version && k.https == https && k.host == host && k.path == path {
		return c.hdr
	}
	var b strings.Builder
	for i := range j.cookies {
		c := &j.cookies[i]
		if !c.matches(host, path, https) {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		b.WriteString(c.name)
		b.WriteByte('=')
		if c.quoted || strings.ContainsAny(c.value, " ,") {
			b.WriteByte('"')
			b.WriteString(c.value)
			b.WriteByte('"')
		} else {
			b.WriteString(c.value)
		}
	}
	c.hdr = nil
	if b.Len() > 0 {
		c.hdr = []string{b.String()}
	}
	*k = headerKey{version: j.version, host: host, path: path, https: https, valid: true}
	return c.hdr
}

// Cookies returns the cookies a request to u carries, in sending order.
func (j *Jar) Cookies(u *url.URL) []*http.Cookie {
	j.expire()
	host, path := hostOf(u), u.Path
	https := j.secureOrigin(u.Scheme, host)
	if path == "" {
		path = "/"
	}
	var out []*http.Cookie
	for i := range j.cookies {
		if c := &j.cookies[i]; c.matches(host, path, https) {
			out = append(out, &http.Cookie{Name: c.name, Value: c.value, Quoted: c.quoted})
		}
	}
	return out
}

// Value returns the value of cookie name sent to u, or "".
func (j *Jar) Value(u *url.URL, name string) string {
	j.expire()
	host, path := hostOf(u), u.Path
	https := j.secureOrigin(u.Scheme, host)
	if path == "" {
		path = "/"
	}
	for i := range j.cookies {
		if c := &j.cookies[i]; c.name == name && c.matches(host, path, https) {
			return c.value
		}
	}
	return ""
}

// Len returns the number of cookies held.
func (j *Jar) Len() int { return len(j.cookies) }

func (c *jarCookie) matches(host, path string, https bool) bool {
	if c.secure && !https {
		return false
	}
	if c.hostOnly {
		if host != c.domain {
			return false
		}
	} else if host != c.domain && !hasDotSuffix(host, c.domain) {
		return false
	}
	return pathMatch(path, c.path)
}

// hostOf returns u's host in lower case, without port or trailing dot.
func hostOf(u *url.URL) string {
	h := u.Hostname()
	h = strings.TrimSuffix(h, ".")
	for i := 0; i < len(h); i++ {
		if 'A' <= h[i] && h[i] <= 'Z' {
			return strings.ToLower(h)
		}
	}
	return h
}

// cookieDomain applies a Domain attribute (RFC 6265 5.3 steps 4-6): no
// attribute makes a host-only cookie; one the host is not within rejects
// the cookie, and so does a public suffix ("com", "co.uk", "github.io")
// unless it is the host itself, which then gets a host-only cookie.
func cookieDomain(host, attr string) (domain string, hostOnly bool, why metrics.CookieDrop) {
	if attr == "" {
		return host, true, metrics.DropNone
	}
	if net.ParseIP(host) != nil {
		if attr != host {
			return "", false, metrics.DropForeignDomain
		}
		return host, true, metrics.DropNone
	}
	d := strings.ToLower(strings.TrimPrefix(attr, "."))
	if d == "" || strings.HasSuffix(d, ".") || strings.HasPrefix(d, ".") {
		return "", false, metrics.DropForeignDomain
	}
	if d != host && !hasDotSuffix(host, d) {
		return "", false, metrics.DropForeignDomain
	}
	if ps, _ := publicsuffix.PublicSuffix(d); ps == d {
		if d == host {
			return host, true, metrics.DropNone
		}
		return "", false, metrics.DropPublicSuffix
	}
	if d == host {
		return host, false, metrics.DropNone
	}
	return strings.Clone(d), false, metrics.DropNone // not a part of the Set-Cookie line
}

// siteOf is the registrable domain of a cookie's domain (eTLD+1), or the
// domain itself where there is none (an IP address, localhost).
func siteOf(domain string) string {
	if net.ParseIP(domain) != nil {
		return domain
	}
	if s, err := publicsuffix.EffectiveTLDPlusOne(domain); err == nil {
		return s
	}
	return domain
}

// isSecureOrigin says whether a browser treats the origin as secure: https,
// or a loopback host (localhost, 127.0.0.0/8, ::1), which browsers trust
// as "potentially trustworthy" and so send and accept Secure cookies over
// plain HTTP there.
func isSecureOrigin(scheme, host string) bool {
	if scheme == "https" {
		return true
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// prefixRule applies the cookie name prefixes (RFC 6265bis 4.1.3): a
// __Secure- cookie must be Secure, a __Host- one also host-only with
// Path=/; and no origin that is not secure may set a Secure cookie.
func prefixRule(c *http.Cookie, secureOrigin, hostOnly bool) metrics.CookieDrop {
	if c.Secure && !secureOrigin {
		return metrics.DropInsecure
	}
	switch {
	case hasPrefixFold(c.Name, "__Secure-"):
		if !c.Secure {
			return metrics.DropPrefix
		}
	case hasPrefixFold(c.Name, "__Host-"):
		if !c.Secure || !hostOnly || c.Path != "/" {
			return metrics.DropPrefix
		}
	}
	return metrics.DropNone
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

func hasDotSuffix(s, suffix string) bool {
	return len(s) > len(suffix) && s[len(s)-len(suffix)-1] == '.' && s[len(s)-len(suffix):] == suffix
}

// defaultPath is RFC 6265 5.1.4's default-path of a request path.
func defaultPath(p string) string {
	i := strings.LastIndexByte(p, '/')
	if p == "" || p[0] != '/' || i <= 0 {
		return "/"
	}
	return p[:i]
}

// pathMatch is RFC 6265 5.1.4's path-match.
func pathMatch(reqPath, cookiePath string) bool {
	if !strings.HasPrefix(reqPath, cookiePath) {
		return false
	}
	return len(reqPath) == len(cookiePath) || cookiePath[len(cookiePath)-1] == '/' || reqPath[len(cookiePath)] == '/'
}
