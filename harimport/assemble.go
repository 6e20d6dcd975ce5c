package harimport

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/PuerkitoBio/goquery"

	"github.com/cohort-dev/cohort/profiles"
)

// assemble writes the profile of the steps.
func (im *importer) assemble(drafts []*draft) (*outProfile, error) {
	base := strings.TrimRight(im.origin.String(), "/")
	if im.o.BaseURL != "" {
		base = strings.TrimRight(im.o.BaseURL, "/")
	}
	p := &outProfile{Name: im.o.Name, BaseURL: base,
		Description: "imported from " + im.o.File + " by cohort import",
		// Each VU replays the recording a few times: a run whose counts
		// say at once whether every VU got through (--vus, --iterations).
		Load: outLoad{Executor: "per-vu-iterations", VUs: 10, Iterations: 5}}
	accept := commonAccept(im, drafts)
	if accept != "" {
		p.Headers = map[string]string{"Accept": accept}
	}
	if im.oauthStart >= 0 {
		p.OAuth2 = &outOAuth2{Start: stripPathParams(im.hops[im.oauthStart].url.Path)}
	}
	names := map[string]int{}
	var journey []*outStep
	for k, d := range drafts {
		st := im.step(d, accept, names)
		switch d.section {
		case inLogin:
			p.Login = append(p.Login, st)
		case inLogout:
			if len(p.Logout) == 0 {
				p.Logout = append(p.Logout, im.pageBeforeLogout(drafts[:k], d, accept, names)...)
			}
			p.Logout = append(p.Logout, st)
		default:
			if k+1 < len(drafts) && drafts[k+1].section == inJourney {
				st.Think = im.think(d, drafts[k+1])
			}
			journey = append(journey, st)
		}
	}
	if len(journey) == 0 {
		again, err := im.again(p.Login)
		if err != nil {
			return nil, err
		}
		journey = append(journey, again)
	}
	p.Mix = []*outMix{{Name: "recorded", Weight: 1, Steps: journey}}
	if im.o.Think != "recorded" && im.o.Think != "none" {
		for _, st := range journey {
			st.Think = nil
		}
		p.Think = &outThink{Type: "constant", Duration: im.o.Think}
	}
	im.say("journey: %d %s, in the mix as recorded; %s", len(journey), plural(len(journey), "step", "steps"), im.thinkLine(journey))
	p.Session = im.session(drafts)
	if im.user != "" || im.pass != "" {
		p.Users = &outUsers{CSV: im.o.UsersCSV}
	}
	return p, nil
}

// again is the mix of a recording with nothing after its login: the
// login's last page, loaded again.
func (im *importer) again(login []*outStep) (*outStep, error) {
	var page *outStep
	for _, st := range login {
		if st.Method == "" && st.Form == nil && st.JSON == nil && st.Body == "" {
			page = st
		}
	}
	if page == nil {
		return nil, &profiles.Error{File: im.o.File, Field: "log.entries",
			Msg: "nothing to replay after the login: record the pages a logged-in user loads too"}
	}
	again := *page
	again.Name, again.Extract, again.Redirects = "again", nil, nil
	again.Expect = outExpect{Status: []int{200}}
	im.say("journey: nothing after the login; the mix loads the login's page %s again", page.Path)
	return &again, nil
}

// pageBeforeLogout is the journey's page the logout reads a value of
// (the CSRF token of the page the person clicked "Log out" on), again as
// the logout's first step: a VU whose journey never ran, or stopped half
// way, logs out too.
func (im *importer) pageBeforeLogout(before []*draft, logout *draft, accept string, names map[string]int) []*outStep {
	uses := logout.path + logout.body + fmt.Sprint(logout.form) + fmt.Sprint(logout.headers) + fmt.Sprint(logout.json)
	for k := len(before) - 1; k >= 0; k-- {
		d := before[k]
		if d.section != inJourney {
			continue
		}
		for _, ex := range im.extracts[d.hops[len(d.hops)-1]] {
			if strings.Contains(uses, "vars."+ex.Name+"}}") {
				again := *d
				again.section = inLogout
				st := im.step(&again, accept, names)
				st.Name = "before-logout"
				im.say("logout: %s again first, for the value the logout sends", im.describeHop(d.hops[0]))
				return []*outStep{st}
			}
		}
	}
	return nil
}

// commonAccept is the Accept header most steps send.
func commonAccept(im *importer, drafts []*draft) string {
	count := map[string]int{}
	best := ""
	for _, d := range drafts {
		a := d.headers["Accept"]
		if a == "" {
			a = d.headers["accept"]
		}
		if a == "" {
			continue
		}
		count[a]++
		if best == "" || count[a] > count[best] {
			best = a
		}
	}
	return best
}

// step writes one step.
func (im *importer) step(d *draft, accept string, names map[string]int) *outStep {
	first, last := im.hops[d.hops[0]], im.hops[d.hops[len(d.hops)-1]]
	st := &outStep{Name: stepName(first, names), Path: d.path}
	hasBody := len(d.form) > 0 || d.json != nil || d.body != ""
	if m := first.method(); (m != "GET" || hasBody) && !(m == "POST" && hasBody) {
		st.Method = m
	}
	for k, v := range d.headers {
		if strings.EqualFold(k, "Accept") && v == accept {
			continue
		}
		if st.Headers == nil {
			st.Headers = map[string]string{}
		}
		st.Headers[k] = v
	}
	switch {
	case len(d.form) > 0:
		st.Form = formNode(d.form)
	case d.json != nil:
		if raw, ok := rawJSON(d.json); ok || lossy(d.json) {
			st.Body = raw
			if st.Headers == nil {
				st.Headers = map[string]string{}
			}
			st.Headers["Content-Type"] = "application/json"
		} else {
			st.JSON = yamlJSON(d.json)
		}
	case d.body != "":
		st.Body = d.body
		if ct := header(first.entry.Request.Headers, "Content-Type"); ct != "" {
			if st.Headers == nil {
				st.Headers = map[string]string{}
			}
			st.Headers["Content-Type"] = ct
		}
	}
	// A step follows the redirects the browser followed; one the
	// recording's step ends at (its target read by the next step, or an
	// asset) is not followed.
	redirects := len(d.hops) - 1
	cut := last.location() != nil
	if (d.section == inJourney && cut) || (d.section != inJourney && redirects > 0) {
		st.Redirects = &redirects
	}
	st.Extract = im.extracts[d.hops[len(d.hops)-1]]
	st.Expect = im.expect(d, last)
	return st
}

// stepName names a step after its path's last word, made unique.
func stepName(h *hop, names map[string]int) string {
	segs := strings.Split(strings.Trim(stripPathParams(h.url.Path), "/"), "/")
	base := "home"
	for i := len(segs) - 1; i >= 0; i-- {
		if s := varName(segs[i]); segs[i] != "" && !dynamicSegment(segs[i]) && s != "value" {
			base = strings.ReplaceAll(s, "_", "-")
			break
		}
	}
	if m := h.method(); m != "GET" {
		if _, taken := names[base]; taken {
			base += "-" + strings.ToLower(m)
		}
	}
	name := base
	for n := 2; names[name] > 0; n++ {
		name = fmt.Sprintf("%s-%d", base, n)
	}
	names[name]++
	return name
}

// expect says what the replayed response must be: the recorded status,
// where a redirect not followed went, and the user's name where the page
// showed it.
func (im *importer) expect(d *draft, last *hop) outExpect {
	e := outExpect{Status: []int{last.status()}}
	if loc := last.location(); loc != nil {
		switch {
		case d.hops[0] == im.creds || (im.creds >= 0 && d.hops[len(d.hops)-1] == im.creds):
			if page := im.loginPage(); page != "" {
				e.LocationNot = regexp.QuoteMeta(page) + `([?#;]|$)`
			}
		case im.split[d.hops[len(d.hops)-1]]:
			e.Location = locationPattern(last)
		}
		return e
	}
	if last.status() >= 200 && last.status() < 300 {
		e.BodyContains = userContext(last.entry.Response.body(), im.user)
	}
	return e
}

// locationPattern is the recorded redirect's target with any digits, as
// the server wrote it: a path, or a URL on any origin (the base URL may
// change).
func locationPattern(h *hop) string {
	raw := header(h.entry.Response.Headers, "Location")
	if raw == "" {
		raw = h.entry.Response.RedirectURL
	}
	if u, err := url.Parse(raw); err == nil && u.IsAbs() {
		return "^https?://[^/]+" + generalise(u.RequestURI()) + "$"
	}
	return "^" + generalise(raw) + "$"
}

// generalise makes a regular expression of a path whose digits vary.
func generalise(p string) string {
	parts := digitRun.Split(p, -1)
	for i, s := range parts {
		parts[i] = regexp.QuoteMeta(s)
	}
	return strings.Join(parts, "[0-9]+")
}

// userContext finds the user's name in a body with the words before it
// ("Logged in as user1<"), as an expectation that the page is the user's.
func userContext(body []byte, user string) string {
	if user == "" {
		return ""
	}
	s := string(body)
	for off := 0; ; {
		k := strings.Index(s[off:], user)
		if k < 0 {
			return ""
		}
		k += off
		end := k + len(user)
		off = end
		if end < len(s) && isWordByte(s[end]) || k > 0 && isWordByte(s[k-1]) {
			continue
		}
		start := k
		for start > 0 && k-start < 24 && !strings.ContainsRune("<>\n{,", rune(s[start-1])) {
			start--
		}
		for start < k && !utf8.RuneStart(s[start]) {
			start++ // not in the middle of a character
		}
		before := s[start:k]
		after := ""
		if end < len(s) && strings.ContainsRune(`<"'`, rune(s[end])) {
			after = s[end : end+1]
		}
		if strings.Contains(before+after, "{{") {
			continue
		}
		return before + "{{user.username}}" + after
	}
}

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// loginPage is the path of the page that shows the login form.
func (im *importer) loginPage() string {
	if im.creds < 0 {
		return ""
	}
	action := stripPathParams(im.hops[im.creds].url.Path)
	for i := im.creds - 1; i >= 0; i-- {
		h := im.hops[i]
		if h == nil || !im.onApp(h) || !strings.Contains(h.entry.Response.mime(), "html") {
			continue
		}
		if hasPasswordForm(h, action) {
			return stripPathParams(h.url.Path)
		}
	}
	return ""
}

// hasPasswordForm reports whether a page has a form with a password field
// posted to action.
func hasPasswordForm(h *hop, action string) bool {
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(h.entry.Response.body()))
	if err != nil {
		return false
	}
	found := false
	doc.Find(`form:has(input[type="password"])`).Each(func(_ int, f *goquery.Selection) {
		a, _ := f.Attr("action")
		if u, err := h.url.Parse(a); err == nil && stripPathParams(u.Path) == action {
			found = true
		}
	})
	return found
}

// minThink is the shortest pause taken as one: a browser's next request
// within a few milliseconds was its own doing, not a person's.
const minThink = 5 * time.Millisecond

// think is the pause after a journey step, as the option says.
func (im *importer) think(d, next *draft) *outThink {
	if im.o.Think != "recorded" {
		return nil
	}
	g := gap(im.hops[d.hops[len(d.hops)-1]], im.hops[next.hops[0]]).Round(time.Millisecond)
	if g < minThink {
		return nil
	}
	return &outThink{Type: "constant", Duration: g.String()}
}

func (im *importer) thinkLine(journey []*outStep) string {
	switch im.o.Think {
	case "none":
		return "no think time (--think none)"
	case "recorded":
		var total time.Duration
		for _, st := range journey {
			if st.Think != nil {
				d, _ := time.ParseDuration(st.Think.Duration)
				total += d
			}
		}
		return fmt.Sprintf("the recorded pauses as think times (%s in all)", total)
	}
	return "think " + im.o.Think + " after each iteration (--think)"
}

// session finds the session cookie (the cookie the application set anew
// at login) and the signs of a lost session in the recording.
func (im *importer) session(drafts []*draft) *outSession {
	if im.basic {
		return &outSession{Basic: true}
	}
	if im.creds < 0 {
		return nil
	}
	s := &outSession{}
	var anew bool
	s.Cookie, anew = im.sessionCookie()
	switch {
	case s.Cookie != "" && anew:
		im.say("session: cookie %s (set anew at login)", s.Cookie)
	case s.Cookie != "":
		im.say("session: cookie %s (set before the login and kept: see the session findings of cohort check on fixation)", s.Cookie)
	default:
		im.say("session: no cookie set at login; requests carry what the login returned (see the correlations)")
	}
	lost := &outLost{Status: []int{401}}
	page := im.loginPage()
	for _, h := range im.hops {
		if h == nil || !im.onApp(h) {
			continue
		}
		if loc := h.location(); loc != nil && page != "" && loc.Host == h.url.Host && stripPathParams(loc.Path) == page && h.method() == "GET" && stripPathParams(h.url.Path) != page {
			lost.RedirectTo = regexp.QuoteMeta(page) + "$"
		}
	}
	if sign := im.inlineLoginSign(); sign != "" {
		lost.BodyContains = sign
	}
	s.Lost = lost
	im.say("lost session: %s", describeLost(lost))
	return s
}

func describeLost(l *outLost) string {
	parts := []string{"a 401"}
	if l.RedirectTo != "" {
		parts = append(parts, "a redirect to "+strings.TrimSuffix(l.RedirectTo, "$"))
	}
	if l.BodyContains != "" {
		parts = append(parts, "a page showing the login form ("+l.BodyContains+")")
	}
	return strings.Join(parts, ", or ")
}

// sessionCookie is the cookie of the application's the login set or
// changed, but not one a request echoes (a CSRF cookie); else a
// session-like cookie set before the login and kept (anew false: an
// application that keeps the id at login).
func (im *importer) sessionCookie() (name string, anew bool) {
	before := map[string]string{}
	type cand struct {
		name    string
		changed bool
	}
	var cands []cand
	loginEnd := im.vars.loginEnd
	csrf := func(n string) bool { return csrfCookie.MatchString(n) || im.echoed[n] }
	var kept []string
	for i, h := range im.hops {
		if h == nil || !im.onApp(h) {
			continue
		}
		if i == im.creds {
			for n := range before {
				if sessionName.MatchString(n) && !csrf(n) {
					kept = append(kept, n)
				}
			}
		}
		for _, c := range setCookies(&h.entry.Response) {
			if i >= im.creds && i <= loginEnd && !csrf(c.Name) && c.Value != "" {
				old, had := before[c.Name]
				cands = append(cands, cand{c.Name, had && old != c.Value})
			}
			before[c.Name] = c.Value
		}
	}
	sort.SliceStable(cands, func(a, b int) bool {
		sa, sb := sessionName.MatchString(cands[a].name), sessionName.MatchString(cands[b].name)
		if sa != sb {
			return sa
		}
		return cands[a].changed && !cands[b].changed
	})
	if len(cands) > 0 {
		return cands[0].name, true
	}
	if len(kept) > 0 && !im.tokenAuth {
		sort.Strings(kept)
		return kept[0], false
	}
	return "", false
}

var (
	csrfCookie  = regexp.MustCompile(`(?i)csrf|xsrf`)
	sessionName = regexp.MustCompile(`(?i)sess|sid|auth`)
)

// inlineLoginSign is what a page shows instead of itself when the session
// is gone, as servlet FORM authentication does: a page the recording got
// before the login with the login form in it, and after with none.
func (im *importer) inlineLoginSign() string {
	if im.creds < 0 {
		return ""
	}
	action := stripPathParams(im.hops[im.creds].url.Path)
	word := action[strings.LastIndexByte(action, '/')+1:]
	if len(word) < 6 {
		return ""
	}
	for i := 0; i < im.creds; i++ {
		h := im.hops[i]
		if h == nil || h.status() != 200 || !hasPasswordForm(h, action) {
			continue
		}
		for j := im.creds + 1; j < len(im.hops); j++ {
			a := im.hops[j]
			if a != nil && a.status() == 200 && stripPathParams(a.url.Path) == stripPathParams(h.url.Path) &&
				!bytes.Contains(a.entry.Response.body(), []byte(word)) {
				return word
			}
		}
	}
	return ""
}

// rawJSON writes a JSON body whose numbers templates give as text (a JSON
// body in YAML would quote them); ok is false when there is none.
func rawJSON(v any) (string, bool) {
	var b strings.Builder
	has := false
	var write func(v any)
	write = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			b.WriteByte('{')
			for i, k := range keys {
				if i > 0 {
					b.WriteByte(',')
				}
				kb, _ := json.Marshal(k)
				b.Write(kb)
				b.WriteByte(':')
				write(x[k])
			}
			b.WriteByte('}')
		case []any:
			b.WriteByte('[')
			for i, e := range x {
				if i > 0 {
					b.WriteByte(',')
				}
				write(e)
			}
			b.WriteByte(']')
		case jsonNumberTemplate:
			has = true
			b.WriteString(x.t)
		case jsonNumber:
			b.WriteString(string(x))
		case string:
			// A template's braces stay as they are; JSON escapes the rest.
			sb, _ := json.Marshal(x)
			b.Write(sb)
		default:
			vb, _ := json.Marshal(x)
			b.Write(vb)
		}
	}
	write(v)
	return b.String(), has
}

// lossy reports whether a JSON body has a number YAML would not give back
// as it was written (past int64, or a float's digits): the body is then
// written raw.
func lossy(v any) bool {
	switch x := v.(type) {
	case map[string]any:
		for _, e := range x {
			if lossy(e) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if lossy(e) {
				return true
			}
		}
	case jsonNumber:
		if _, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return false
		}
		f, err := strconv.ParseFloat(string(x), 64)
		return err != nil || strconv.FormatFloat(f, 'g', -1, 64) != string(x)
	}
	return false
}

// yamlJSON turns a JSON body into values YAML writes as JSON would read.
func yamlJSON(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = yamlJSON(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = yamlJSON(e)
		}
		return out
	case jsonNumber:
		if n, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return n
		}
		f, _ := strconv.ParseFloat(string(x), 64)
		return f
	}
	return v
}
