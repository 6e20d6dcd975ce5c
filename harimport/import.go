package harimport

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/cohort-dev/cohort/profiles"
)

// Options are what the user says about an import.
type Options struct {
	// File is the HAR file's name, for the profile's comment.
	File string
	// Name is the profile's name.
	Name string
	// BaseURL replaces the application's origin as the recording has it.
	BaseURL string
	// Think is "recorded" (the pauses of the recording), "none", or a
	// duration for every pause.
	Think string
	// KeepAssets keeps static assets and third-party requests.
	KeepAssets bool
	// UsersCSV is the users file as the profile names it.
	UsersCSV string
}

// Result is an imported profile.
type Result struct {
	// Profile is the profile's YAML.
	Profile []byte
	// Username and Password are the recorded user's, for the users file;
	// empty when the recording logs nobody in.
	Username, Password string
	// Report says what the import found, one line each, never a value of
	// the recording.
	Report []string
}

// importer holds one import's state.
type importer struct {
	o      Options
	hops   []*hop
	origin *url.URL
	// creds is the hop that posts the credentials (-1: none); user and
	// pass are what it sent.
	creds      int
	user, pass string
	// basic: the recording logs in by HTTP Basic, on every request.
	basic bool
	// oauthStart, oauthEnd bound the hops an oauth2 section replays
	// (oauthStart -1: none); landing is the application's page after it.
	oauthStart, oauthEnd int
	ix                   index
	vars                 *varNames
	// extracts are the extractors to put on each hop's step.
	extracts map[int][]*outExtract
	// split marks hops whose step ends with them although they redirect.
	split  map[int]bool
	report []string
	// tokenAuth: requests carry a credential header the login returned
	// (a bearer token), not a session cookie.
	tokenAuth bool
	// echoed holds the cookies a request sent back in a header or a
	// field: CSRF cookies, not the session's.
	echoed map[string]bool
}

// Import turns a HAR file into a profile.
func Import(h *HAR, o Options) (*Result, error) {
	im := &importer{o: o, creds: -1, oauthStart: -1,
		ix: index{byValue: map[string][]*source{}}, vars: newVarNames(),
		extracts: map[int][]*outExtract{}, split: map[int]bool{}, echoed: map[string]bool{}}
	if err := im.keep(h); err != nil {
		return nil, err
	}
	im.chain()
	im.findLogin()
	im.findOAuth2()
	im.dropOtherHosts()
	im.sayLogin()
	im.noCookies(h)
	steps := im.correlate()
	p, err := im.assemble(steps)
	if err != nil {
		return nil, err
	}
	comment := fmt.Sprintf("Imported by cohort import from %s (%d requests kept of %d).\n"+
		"What the import found and correlated is docs/import.md's subject;\nrun `cohort check` on this file first.",
		o.File, len(im.hops), len(h.Log.Entries))
	b, err := marshal(p, comment)
	if err != nil {
		return nil, err
	}
	return &Result{Profile: b, Username: im.user, Password: im.pass, Report: im.report}, nil
}

// say adds a line to the report, once.
func (im *importer) say(format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	for _, l := range im.report {
		if l == line {
			return
		}
	}
	im.report = append(im.report, line)
}

// keep chooses the exchanges worth replaying, and the application.
func (im *importer) keep(h *HAR) error {
	assets, own, failed := map[string]int{}, map[string]int{}, 0
	var all []*hop
	for i := range h.Log.Entries {
		e := &h.Log.Entries[i]
		u, _ := url.Parse(e.Request.URL)
		if r := browserOwn(e, u); r != "" {
			own[r]++
			continue
		}
		if e.Response.Status <= 0 {
			failed++ // never answered: blocked, cancelled, or not followed
			continue
		}
		if r := assetReason(e, u); r != "" && !im.o.KeepAssets {
			assets[r]++
			continue
		}
		hp := &hop{entry: e, index: i, url: u, next: -1, prev: -1}
		hp.decodeBody()
		all = append(all, hp)
	}
	if len(all) == 0 {
		return &profiles.Error{File: im.o.File, Field: "log.entries", Msg: "no request to replay: every entry is a static asset or was never answered"}
	}
	im.origin = appOrigin(all)
	im.hops = all
	if n := sumCounts(assets); n > 0 {
		im.say("dropped: %d static %s (%s); --keep-assets keeps them", n, plural(n, "asset", "assets"), countList(assets))
	}
	if n := sumCounts(own); n > 0 {
		im.say("dropped: %d of the browser's own %s (%s)", n, plural(n, "request", "requests"), countList(own))
	}
	if failed > 0 {
		im.say("dropped: %d %s never answered (blocked, cancelled, or a redirect not followed)", failed, plural(failed, "request", "requests"))
	}
	return nil
}

// appOrigin is the application's origin: where the first page the
// browser was sent to is (what the person typed), else where most of the
// requests went.
func appOrigin(hops []*hop) *url.URL {
	for _, h := range hops {
		// Without resource types (Firefox), the first GET: a person's
		// first request is a page, or its redirect.
		if strings.EqualFold(h.entry.ResourceType, "document") || (h.entry.ResourceType == "" && h.method() == "GET") {
			return &url.URL{Scheme: h.url.Scheme, Host: h.url.Host}
		}
	}
	count := map[string]int{}
	first := map[string]int{}
	for i, h := range hops {
		o := h.url.Scheme + "://" + h.url.Host
		if _, ok := first[o]; !ok {
			first[o] = i
		}
		count[o]++
	}
	best := ""
	for o, n := range count {
		if best == "" || n > count[best] || (n == count[best] && first[o] < first[best]) {
			best = o
		}
	}
	u, _ := url.Parse(best)
	return u
}

// chain links each redirect to the request that followed it.
func (im *importer) chain() {
	for i, h := range im.hops {
		loc := h.location()
		if loc == nil {
			continue
		}
		if assetExt.MatchString(stripPathParams(loc.Path)) {
			// A redirect to an asset is no part of a flow: Spring's saved
			// request is often the browser's own /favicon.ico.
			continue
		}
		for j := i + 1; j < len(im.hops) && j <= i+8; j++ {
			if im.hops[j].prev == -1 && sameURL(loc, im.hops[j].url) {
				h.next, im.hops[j].prev = j, i
				break
			}
		}
	}
}

// findLogin finds the request that posts the credentials, or the HTTP
// Basic credentials every request carries.
func (im *importer) findLogin() {
	defer func() {
		if im.creds < 0 {
			im.user, im.pass, im.basic = im.basicCredentials()
		}
	}()
	for i, h := range im.hops {
		if h.method() != "POST" {
			continue
		}
		user, pass, ok := credentials(h)
		if !ok {
			continue
		}
		im.creds, im.user, im.pass = i, user, pass
		return
	}
}

// noCookies warns of a recording without a cookie anywhere: most likely
// an export that left them out (Chromium's default since version 130
// drops Cookie, Set-Cookie and Authorization).
func (im *importer) noCookies(h *HAR) {
	for _, e := range h.Log.Entries {
		if len(e.Request.Cookies) > 0 || len(e.Response.Cookies) > 0 ||
			header(e.Request.Headers, "Cookie") != "" || header(e.Response.Headers, "Set-Cookie") != "" {
			return
		}
	}
	im.say("warning: no cookie in the whole recording: if the application uses any, the export left them out (Chromium's default drops Cookie, Set-Cookie and Authorization): export \"with sensitive data\" (docs/import.md)")
}

// sayLogin reports the login found.
func (im *importer) sayLogin() {
	switch {
	case im.basic:
		im.say("login: HTTP Basic on every request (session.basic); the recorded user is the users file's")
	case im.creds < 0:
		im.say("login: none found (no request posts a password-like field, none sends HTTP Basic); the profile logs nobody in")
	case im.oauthStart < 0:
		h := im.hops[im.creds]
		n := im.firstStepCount(im.creds)
		im.say("login: %s %s posts the credentials; it and the %d %s before it are the login",
			h.method(), stripPathParams(h.url.Path), n, plural(n, "request", "requests"))
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// firstStepCount counts the requests before hop i that start a step.
func (im *importer) firstStepCount(i int) int {
	n := 0
	for j := 0; j < i; j++ {
		if im.hops[j] != nil && im.hops[j].prev == -1 {
			n++
		}
	}
	return n
}

// credentials finds a password-like field of a form or a JSON body (or
// j_security_check), and the user name beside it.
func credentials(h *hop) (user, pass string, ok bool) {
	var fields []NV
	switch {
	case h.form != nil:
		fields = h.form
	case h.isJSON:
		// At any depth: {"user": {"email": ..., "password": ...}}.
		walkJSON(h.json, "", func(_, key, value string) {
			fields = append(fields, NV{Name: key, Value: value})
		})
	}
	for _, f := range fields {
		if passwordField.MatchString(f.Name) && f.Value != "" {
			pass, ok = f.Value, true
			break
		}
	}
	if !ok {
		return "", "", false
	}
	for _, re := range []*regexp.Regexp{usernameExact, usernameField} {
		for _, f := range fields {
			if re.MatchString(f.Name) && !passwordField.MatchString(f.Name) && f.Value != "" {
				return f.Value, pass, true
			}
		}
	}
	return "", pass, true
}

// basicCredentials finds HTTP Basic credentials the browser sent.
func (im *importer) basicCredentials() (user, pass string, ok bool) {
	for _, h := range im.hops {
		if h == nil {
			continue
		}
		scheme, b64, found := strings.Cut(header(h.entry.Request.Headers, "Authorization"), " ")
		if !found || !strings.EqualFold(scheme, "Basic") {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
		if err != nil {
			continue
		}
		if u, p, colon := strings.Cut(string(raw), ":"); colon {
			return u, p, true
		}
	}
	return "", "", false
}

// findOAuth2 recognises an authorization-code login the application
// starts (Spring Security's oauth2Login): a redirect of the application's
// to an authorization request. cohort replays those as an oauth2 section.
func (im *importer) findOAuth2() {
	if im.creds < 0 {
		return
	}
	for i := 0; i <= im.creds; i++ {
		loc := im.hops[i].location()
		if loc == nil || !im.onApp(im.hops[i]) || loc.Query().Get("response_type") != "code" || loc.Query().Get("client_id") == "" {
			continue
		}
		// The end is the application's page that the code's redirect
		// chain lands on.
		end := im.creds
		for im.hops[end].next >= 0 {
			end = im.hops[end].next
		}
		if !im.onApp(im.hops[end]) || end == im.creds {
			return
		}
		im.oauthStart, im.oauthEnd = i, end
		im.hops[im.hops[end].prev].next, im.hops[end].prev = -1, -1
		im.say("login: OAuth 2 authorization code, started by the application at %s: an oauth2 section (cohort makes the state, follows the provider and checks the way back)", im.hops[i].url.Path)
		if i > 0 {
			im.say("dropped: %d requests before the OAuth 2 login", i)
		}
		return
	}
}

// onApp reports whether a hop went to the application.
func (im *importer) onApp(h *hop) bool {
	return h.url.Scheme == im.origin.Scheme && h.url.Host == im.origin.Host
}

// inOAuth2 reports whether hop i is replayed by the oauth2 section.
func (im *importer) inOAuth2(i int) bool {
	return im.oauthStart >= 0 && i < im.oauthEnd
}

func sumCounts(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// countList writes "image 3, .css 1" in a stable order.
func countList(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

// gap is the pause between the end of one hop and the start of another.
func gap(a, b *hop) time.Duration {
	end := a.entry.Started.Add(time.Duration(a.entry.Time * float64(time.Millisecond)))
	return max(b.entry.Started.Sub(end), 0)
}
