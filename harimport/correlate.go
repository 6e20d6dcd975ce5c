package harimport

import (
	"fmt"
	"math"
	"regexp"
	"strings"
)

// draft is one step of the profile to be: the hops of one request and the
// redirects it follows, with what the request sends as templates.
type draft struct {
	hops    []int
	section string
	path    string
	form    []NV
	json    any
	body    string
	headers map[string]string
}

// Sections of a profile a step can be in.
const (
	inLogin   = "login"
	inJourney = "journey"
	inLogout  = "logout"
)

// use is a value's place in a request, for the report; quiet leaves
// out the line of a value not found (the caller says more).
type use struct {
	hop   int
	where string
	quiet bool
}

// correlate replaces each value a request sent that an earlier response
// held by a template, and registers the extractors that read it; it
// returns the steps.
func (im *importer) correlate() []*draft {
	loginEnd, logoutAt := im.bounds()
	im.vars.loginEnd, im.vars.logoutAt = loginEnd, logoutAt
	jar := map[string]string{}
	drafts := map[int]*draft{}
	for i, h := range im.hops {
		if h == nil {
			continue
		}
		if !im.inOAuth2(i) && h.prev == -1 {
			d := &draft{hops: im.follow(i), section: inJourney}
			switch {
			case i <= loginEnd:
				d.section = inLogin
			case logoutAt >= 0 && i >= logoutAt:
				d.section = inLogout
			}
			im.request(i, d, jar)
			drafts[i] = d
		}
		for _, c := range setCookies(&h.entry.Response) {
			jar[c.Name] = c.Value
		}
		if !im.inOAuth2(i) {
			im.ix.addResponse(i, h)
		}
	}
	im.applySplits(drafts)
	var out []*draft
	after := 0
	for i := range im.hops {
		if d, ok := drafts[i]; ok {
			if d.section == inLogout && len(out) > 0 && out[len(out)-1].section == inLogout {
				after++
				continue
			}
			out = append(out, d)
		}
	}
	if after > 0 {
		im.say("dropped: %d %s after the logout", after, plural(after, "request", "requests"))
	}
	return out
}

// dropOtherHosts drops what went to other hosts than the application's
// (analytics, fonts, a CDN), but for what an oauth2 section replays and
// for a login on a host of its own: the credentials' post, the page with
// its form, and the redirects that lead to or from it.
func (im *importer) dropOtherHosts() {
	hosts := map[string]int{}
	keep := im.loginChain()
	for i, h := range im.hops {
		if im.onApp(h) || im.inOAuth2(i) || im.o.KeepAssets || keep[i] {
			continue
		}
		hosts[h.url.Host]++
		if h.prev >= 0 {
			im.hops[h.prev].next = -1
		}
		if h.next >= 0 {
			im.hops[h.next].prev = -1
		}
		im.hops[i] = nil
	}
	if n := sumCounts(hosts); n > 0 {
		im.say("dropped: %d requests to other hosts (%s); --keep-assets keeps them", n, countList(hosts))
	}
}

// loginChain marks the hops of a login on another host: the page with
// the form, the post, and every redirect that leads to either or away.
func (im *importer) loginChain() map[int]bool {
	keep := map[int]bool{}
	if im.creds < 0 {
		return keep
	}
	mark := func(i int) {
		for j := i; j >= 0 && !keep[j]; j = im.hops[j].prev {
			keep[j] = true
		}
		for j := im.hops[i].next; j >= 0 && !keep[j]; j = im.hops[j].next {
			keep[j] = true
		}
	}
	mark(im.creds)
	action := stripPathParams(im.hops[im.creds].url.Path)
	for i := im.creds - 1; i >= 0; i-- {
		if h := im.hops[i]; h.url.Host == im.hops[im.creds].url.Host && hasPasswordForm(h, action) {
			mark(i)
			break
		}
	}
	return keep
}

// bounds returns the last hop of the login and the first of the logout
// (-1: none).
func (im *importer) bounds() (loginEnd, logoutAt int) {
	loginEnd, logoutAt = -1, -1
	switch {
	case im.oauthStart >= 0:
		loginEnd = im.oauthEnd
	case im.creds >= 0:
		loginEnd = im.creds
	}
	for loginEnd >= 0 && im.hops[loginEnd] != nil && im.hops[loginEnd].next >= 0 {
		loginEnd = im.hops[loginEnd].next
	}
	for i := loginEnd + 1; i < len(im.hops); i++ {
		if h := im.hops[i]; h != nil && h.prev == -1 && isLogout(h.url.Path) {
			im.say("logout: %s %s", h.method(), stripPathParams(h.url.Path))
			return loginEnd, i
		}
	}
	return loginEnd, -1
}

// follow returns a hop and the hops its redirects led to.
func (im *importer) follow(i int) []int {
	out := []int{i}
	for j := im.hops[i].next; j >= 0; j = im.hops[j].next {
		out = append(out, j)
	}
	return out
}

// request templates what hop i sends: its path and query, its body, its
// headers.
func (im *importer) request(i int, d *draft, jar map[string]string) {
	h := im.hops[i]
	at := func(where string) use { return use{hop: i, where: where} }
	d.path = im.templatePath(h, at)
	for _, f := range h.form {
		d.form = append(d.form, NV{Name: f.Name, Value: im.value(f.Value, at("form field "+f.Name), jar, f.Name, stripPathParams(h.url.Path))})
	}
	if h.isJSON {
		d.json = im.templateJSON(h.json, "", at, jar)
	}
	d.body = h.rawBody
	if d.body != "" {
		pd := h.entry.Request.PostData
		mime, _, _ := strings.Cut(pd.MimeType, ";")
		im.say("not correlated: the body of %s (%s) is sent as recorded: import reads urlencoded and JSON bodies; check its values (a CSRF token, an id)", im.describeHop(i), strings.TrimSpace(mime))
	}
	d.headers = map[string]string{}
	for _, nv := range h.entry.Request.Headers {
		if !keptHeader(nv.Name) {
			continue
		}
		v := nv.Value
		if plainRequestHeader.MatchString(nv.Name) {
			d.headers[nv.Name] = v
			continue
		}
		scheme, tok, spaced := strings.Cut(v, " ")
		switch {
		case strings.EqualFold(nv.Name, "Authorization") && im.basic && strings.EqualFold(scheme, "Basic"):
			continue // session.basic sends each user's own
		case strings.EqualFold(nv.Name, "Authorization") && spaced:
			v = scheme + " " + im.value(tok, use{hop: i, where: "header " + nv.Name, quiet: true}, jar, "", "")
		default:
			v = im.value(v, use{hop: i, where: "header " + nv.Name, quiet: credentialHeader.MatchString(nv.Name)}, jar, "", "")
		}
		if credentialHeader.MatchString(nv.Name) {
			if !strings.Contains(v, "{{") {
				// A credential no earlier response gave is never written:
				// it is the recorded user's, and it expires.
				im.say("not correlated: header %s of %s carries a credential no earlier response holds; it is left out: add an extractor on the response it comes from (docs/import.md)", nv.Name, im.describeHop(i))
				continue
			}
			im.markSecret(v)
			im.tokenAuth = true
		}
		d.headers[nv.Name] = v
	}
}

// credentialHeader matches request headers that carry a credential.
var credentialHeader = regexp.MustCompile(`(?i)^(authorization|proxy-authorization|x-auth-token|x-api-key|api-key|x-access-token)$`)

// droppedHeaders are what the browser or cohort's client sends by itself.
var droppedHeaders = regexp.MustCompile(`(?i)^(:.*|host|connection|content-length|cookie|accept-encoding|accept-language|user-agent|origin|referer|sec-.*|upgrade-insecure-requests|cache-control|pragma|priority|te|dnt|if-none-match|if-modified-since|content-type|purpose|x-client-data)$`)

// plainRequestHeader are kept headers whose values are never correlated.
var plainRequestHeader = regexp.MustCompile(`(?i)^(accept|x-requested-with)$`)

func keptHeader(name string) bool { return !droppedHeaders.MatchString(name) }

// templatePath templates a request's path and query: the whole of it
// when a link or a redirect gave it, else its segments and parameters.
func (im *importer) templatePath(h *hop, at func(string) use) string {
	p := stripPathParams(h.url.EscapedPath())
	uri := p
	if h.url.RawQuery != "" {
		uri += "?" + h.url.RawQuery
	}
	prefix := ""
	if !im.onApp(h) {
		prefix = h.url.Scheme + "://" + h.url.Host
	}
	if dynamicPath(uri) {
		// A link as written: a path, or the whole URL.
		for _, key := range []string{prefix + uri, h.url.Scheme + "://" + h.url.Host + uri} {
			if t, ok := im.fromSource(key, at("path"), true); ok {
				return t
			}
		}
	}
	segs := strings.Split(p, "/")
	for k, s := range segs {
		if dynamicSegment(s) {
			if t, ok := im.fromSource(s, at("path segment "+s), false); ok {
				segs[k] = t
			} else if generated(s) {
				im.say("not correlated: a path segment of %s looks generated (%d characters), but no earlier response holds it; check it", im.describeHop(at("").hop), len(s))
			}
		}
	}
	out := prefix + strings.Join(segs, "/")
	if h.url.RawQuery == "" {
		return out
	}
	var q []string
	for _, kv := range strings.Split(h.url.RawQuery, "&") {
		k, v, hasV := strings.Cut(kv, "=")
		if !hasV {
			q = append(q, kv)
			continue
		}
		plain := unescapeForm(v)
		t := im.value(plain, at("query parameter "+unescapeForm(k)), nil, "", "")
		if t == plain {
			q = append(q, kv)
		} else {
			q = append(q, k+"="+t)
		}
	}
	return out + "?" + strings.Join(q, "&")
}

var digitRun = regexp.MustCompile(`[0-9]+`)

// dynamicSegment reports whether a path segment looks like an id: digits,
// or a long token with digits in it (a UUID, a hash), not a word such as
// oauth2callback.
func dynamicSegment(s string) bool {
	return isDigits(s) || generated(s)
}

func dynamicPath(uri string) bool {
	for _, s := range strings.FieldsFunc(uri, func(r rune) bool { return r == '/' || r == '?' || r == '&' || r == '=' }) {
		if dynamicSegment(s) {
			return true
		}
	}
	return false
}

// templateJSON templates the string and number leaves of a JSON body.
func (im *importer) templateJSON(v any, path string, at func(string) use, jar map[string]string) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = im.templateJSON(e, join(path, k), at, jar)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for k, e := range x {
			out[k] = im.templateJSON(e, join(path, fmt.Sprint(k)), at, jar)
		}
		return out
	case string:
		return im.value(x, at("JSON "+path), jar, "", "")
	}
	if leaf, ok := jsonLeaf(v); ok {
		if t := im.value(leaf, at("JSON "+path), jar, "", ""); t != leaf {
			return jsonNumberTemplate{t}
		}
		return jsonNumber(leaf)
	}
	return v
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

// jsonNumberTemplate is a number of a JSON body that a template gives: the
// body is then written raw, so that the number stays a number.
type jsonNumberTemplate struct{ t string }

// jsonNumber is a literal number of a JSON body.
type jsonNumber string

// value returns the template for one value a request sends: the user's
// name or password, a cookie, an extracted variable, or the value itself.
// field and form say, for a form's field, its name and the form's path.
func (im *importer) value(v string, u use, jar map[string]string, field, form string) string {
	switch {
	case v == "":
		return v
	case im.pass != "" && v == im.pass:
		return "{{user.password}}"
	case im.user != "" && v == im.user:
		return "{{user.username}}"
	}
	if jar != nil && len(v) >= 8 {
		for name, cv := range jar {
			if cv == v && validTemplateName(name) {
				im.echoed[name] = true
				im.say("correlated: %s of %s ← cookie %s", u.where, im.describeHop(u.hop), name)
				return "{{cookie." + name + "}}"
			}
		}
	}
	if s := im.best(v, u.hop, field, form); s != nil {
		return im.bind(s, u)
	}
	if generated(v) && !u.quiet {
		im.say("not correlated: %s of %s looks generated (%d characters), but no earlier response holds it; check it", u.where, im.describeHop(u.hop), len(v))
	}
	if strings.Contains(v, "{{") {
		// cohort would read it as a template; a value of the page's own
		// templates (an Angular expression) is sent without its braces.
		im.say("changed: %s of %s holds {{, which cohort reads as a template; written as { {", u.where, im.describeHop(u.hop))
		v = strings.ReplaceAll(v, "{{", "{ {")
	}
	return v
}

var tokenChars = regexp.MustCompile(`^[A-Za-z0-9_.~+/=-]+$`)

var templateName = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

func validTemplateName(s string) bool { return templateName.MatchString(s) }

// generated reports whether a value looks made by a server rather than
// typed: long, with digits and letters.
func generated(v string) bool {
	if len(v) < 16 || !tokenChars.MatchString(v) {
		return false
	}
	digits := 0
	for _, c := range v {
		if c >= '0' && c <= '9' {
			digits++
		}
	}
	return digits >= 3 && strings.ContainsAny(strings.ToLower(v), "abcdefghijklmnopqrstuvwxyz")
}

// fromSource finds a whole value (a path, a segment) in earlier responses.
func (im *importer) fromSource(v string, u use, whole bool) (string, bool) {
	var best *source
	for _, s := range im.ix.byValue[v] {
		if s.hop >= u.hop || (whole && s.kind != fromCSS && s.kind != fromHeader) {
			continue
		}
		if !whole && !idLike(s, v) {
			continue
		}
		if best == nil || better(s, best) {
			best = s
		}
	}
	if best == nil {
		return "", false
	}
	return im.bind(best, u), true
}

// idLike reports whether a source of a short value is an id: a JSON key
// or an input named so; a long value is taken from anywhere.
func idLike(s *source, v string) bool {
	if len(v) >= 8 {
		return true
	}
	n := strings.ToLower(s.name)
	return (s.kind == fromJSON || s.kind == fromCSS && s.attr == "value") && (n == "id" || strings.HasSuffix(n, "_id") || strings.HasSuffix(n, "id"))
}

// best chooses the source of a value: the latest response that held it,
// and in it the most specific place. A short value is taken only from the
// form a request posts (its own hidden field) or an id-like field.
func (im *importer) best(v string, hop int, field, form string) *source {
	var best *source
	for _, s := range im.ix.byValue[v] {
		if s.hop >= hop {
			continue
		}
		own := s.form != "" && s.form == form && s.attr == "value" && s.css != "" && strings.HasSuffix(s.css, fmt.Sprintf(`input[name="%s"]`, field))
		if !own && (s.typed || !(len(v) >= 8 || idLike(s, v))) {
			continue
		}
		if s.all {
			continue
		}
		if best == nil || better(s, best) || (own && best.form != form) {
			best = s
		}
	}
	return best
}

// better orders sources: later first, then by kind.
func better(a, b *source) bool {
	if a.hop != b.hop {
		return a.hop > b.hop
	}
	if a.kind != b.kind {
		return a.kind < b.kind
	}
	return len(a.css) < len(b.css)
}

// bind makes a source's extractor (once per source and variable) and
// returns the template that reads it.
func (im *importer) bind(s *source, u use) string {
	name := im.vars.claim(s, u.hop)
	if !im.hasExtract(s.hop, name) {
		ex := &outExtract{Name: name, CSS: s.css, Attr: s.attr, JSON: s.json, Header: s.header, All: s.all}
		ex.Secret = secretName(s.name)
		im.extracts[s.hop] = append(im.extracts[s.hop], ex)
	}
	if im.hops[s.hop].next >= 0 {
		im.split[s.hop] = true
	}
	im.say("correlated: %s of %s ← %s of %s (vars.%s)", u.where, im.describeHop(u.hop), s.describe(), im.describeHop(s.hop), name)
	if s.all {
		return "{{pick vars." + name + "}}"
	}
	return "{{vars." + name + "}}"
}

func (im *importer) hasExtract(hop int, name string) bool {
	for _, e := range im.extracts[hop] {
		if e.Name == name {
			return true
		}
	}
	return false
}

// markSecret marks the variables a template reads as secret.
func (im *importer) markSecret(t string) {
	for _, exs := range im.extracts {
		for _, e := range exs {
			if strings.Contains(t, "vars."+e.Name+"}}") {
				e.Secret = true
			}
		}
	}
}

var secretWords = regexp.MustCompile(`(?i)token|secret|jwt|session|auth|bearer|code|password`)

func secretName(n string) bool { return secretWords.MatchString(n) }

// describeHop names a hop for the report: method and path, no query,
// and a segment that looks like a token (a reset link's) as "…".
func (im *importer) describeHop(i int) string {
	h := im.hops[i]
	segs := strings.Split(stripPathParams(h.url.Path), "/")
	for k, s := range segs {
		if generated(s) {
			segs[k] = "…"
		}
	}
	return h.method() + " " + strings.Join(segs, "/")
}

// applySplits ends a step at each hop whose response a later request
// reads: the hop its redirect led to becomes a step of its own, its path
// read from the redirect when it looks like an id.
func (im *importer) applySplits(drafts map[int]*draft) {
	for s := range im.split {
		h := im.hops[s]
		j := h.next
		if j < 0 {
			continue
		}
		start := s
		for im.hops[start].prev >= 0 {
			start = im.hops[start].prev
		}
		d := drafts[start]
		if d == nil {
			continue
		}
		h.next, im.hops[j].prev = -1, -1
		d.hops = im.follow(start)
		nd := &draft{hops: im.follow(j), section: d.section, headers: d.headers}
		nd.path = stripPathParams(im.hops[j].url.RequestURI())
		if src := im.locationSource(s, nd.path); src != nil && dynamicPath(nd.path) {
			nd.path = im.bind(src, use{hop: j, where: "path"})
		}
		drafts[j] = nd
	}
}

// locationSource is the source of hop s's Location that gives path.
func (im *importer) locationSource(s int, path string) *source {
	for _, src := range im.ix.byValue[path] {
		if src.hop == s && src.kind == fromHeader && strings.EqualFold(src.header, "Location") {
			return src
		}
	}
	return nil
}

// varNames gives extractors their variable names: the name a value
// suggests, again for another value when the two are never needed at
// once (a masked CSRF token read from each page), else with a number.
type varNames struct {
	spans map[string][][2]int
	bound map[*source]string
	// loginEnd and logoutAt bound the journey: a value read before it
	// and needed in it, or read in it and needed after, is needed for
	// the whole run (the journey repeats).
	loginEnd, logoutAt int
}

func newVarNames() *varNames {
	return &varNames{spans: map[string][][2]int{}, bound: map[*source]string{}}
}

// claim returns the variable for source s, needed until hop use.
func (v *varNames) claim(s *source, use int) string {
	if (s.hop <= v.loginEnd && use > v.loginEnd) || (v.logoutAt >= 0 && s.hop < v.logoutAt && use >= v.logoutAt) {
		use = math.MaxInt
	}
	if name, ok := v.bound[s]; ok {
		for k, sp := range v.spans[name] {
			if sp[0] == s.hop {
				v.spans[name][k][1] = max(sp[1], use)
			}
		}
		return name
	}
	base := s.name
	for n := 1; ; n++ {
		name := base
		if n > 1 {
			name = fmt.Sprintf("%s_%d", base, n)
		}
		if v.free(name, s.hop, use) {
			v.spans[name] = append(v.spans[name], [2]int{s.hop, use})
			v.bound[s] = name
			return name
		}
	}
}

// free reports whether name is unused from hop a to hop b.
func (v *varNames) free(name string, a, b int) bool {
	for _, sp := range v.spans[name] {
		if a <= sp[1] && sp[0] <= b {
			return false
		}
	}
	return true
}
