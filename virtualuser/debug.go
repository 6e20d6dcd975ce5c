package virtualuser

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cohort-dev/cohort/metrics"
)

// Exchange describes one request and its answer, for "cohort check" and
// --http-debug. Values that could be secret are not in it: cookies and
// headers are given by name, with the values a Masker hides.
type Exchange struct {
	Step   *Step
	Hop    int
	Method string
	URL    string
	// Sent and Received are the request's and the response's headers.
	Sent, Received http.Header
	FormFields     []string // names of the form body's fields
	Status         int
	Duration       time.Duration
	Err            error
	// EmptyVars are the variables the request used that had no value.
	EmptyVars []string
	// Body is the start of an error response's body (status 400 and up).
	Body string
	// CookiesDropped counts, by reason, the cookies of this answer the
	// VU's jar refused or evicted, as a browser would.
	CookiesDropped metrics.CookieDrops
}

// Extracted is what one extractor found.
type Extracted struct {
	Name   string
	Value  string
	Found  bool
	Secret bool
	What   string // what it looked for, in words
	// Count is how many values an all: true extractor found (Value is
	// the first).
	Count int
}

// debugExchange reports an exchange to the debug hook.
func (v *VU) debugExchange(st *Step, hop int, req *http.Request, r *response, d time.Duration) {
	x := Exchange{Step: st, Hop: hop, Method: req.Method, URL: req.URL.String(), Sent: req.Header.Clone(),
		Status: r.status, Duration: d, Err: r.err, CookiesDropped: v.dropped}
	v.dropped = metrics.CookieDrops{}
	if r.header != nil {
		x.Received = r.header.Clone()
	}
	if st.oauth != oauthNone {
		// A code in a URL is as good as a token until redeemed, and the
		// login step shows it before cohort has taken it in (or when it
		// refuses the answer): it is masked here, at the source.
		x.URL = maskCode(x.URL)
		if loc := x.Received.Get("Location"); loc != "" {
			x.Received.Set("Location", maskCode(loc))
		}
	}
	if st.form != nil && hop == 0 {
		for _, f := range st.form {
			x.FormFields = append(x.FormFields, f.key)
		}
	}
	if st.oauth == oauthLogin && hop == 0 {
		// The provider's own form, filled in: its field names (never
		// their values) show what cohort posted.
		for _, kv := range strings.Split(v.sess.Vars[v.plan.oauth.form], "&") {
			if k, _, _ := strings.Cut(kv, "="); k != "" {
				name, err := url.QueryUnescape(k)
				if err != nil {
					name = k
				}
				x.FormFields = append(x.FormFields, name)
			}
		}
	}
	if hop == 0 {
		x.EmptyVars = v.emptyVars(st)
	}
	if r.status >= 400 {
		b := r.body
		if len(b) > 400 {
			b = b[:400]
		}
		x.Body = strings.TrimSpace(string(b))
	}
	v.hooks.Debug(x)
}

// maskCode masks the value of an authorization code in a URL's query,
// leaving the rest of the URL as it was written.
func maskCode(raw string) string {
	base, query, ok := strings.Cut(raw, "?")
	if !ok {
		return raw
	}
	query, frag, hasFrag := strings.Cut(query, "#")
	parts := strings.Split(query, "&")
	for i, p := range parts {
		if v, ok := strings.CutPrefix(p, "code="); ok && v != "" {
			if u, err := url.QueryUnescape(v); err == nil {
				v = u
			}
			parts[i] = "code=" + MaskValue(v)
		}
	}
	out := base + "?" + strings.Join(parts, "&")
	if hasFrag {
		out += "#" + frag
	}
	return out
}

// emptyVars lists the variables a step's request uses that are empty now.
func (v *VU) emptyVars(st *Step) []string {
	var out []string
	add := func(t *Template) {
		if t == nil {
			return
		}
		for _, p := range t.parts {
			if p.isVar() && v.sess.Vars[p.idx] == "" && !slices.Contains(out, p.lit) {
				out = append(out, p.lit)
			}
		}
	}
	add(st.url)
	for _, h := range st.headers {
		add(h.val)
	}
	for _, f := range st.form {
		add(f.val)
	}
	add(st.body)
	return out
}

// Masker hides a session's secrets in text: the password, session and
// cookie values, and every variable marked secret.
type Masker struct {
	secrets []secret
}

// MaskedLen is the length from which an extracted value is shown masked
// even when not marked secret: long values are tokens more often than not.
const MaskedLen = 16

// Masked says whether an extracted value is shown masked: wherever it
// appears (its "extracted" line, a URL, a header, a message) it is, alike.
func Masked(value string, secret bool) bool { return secret || len(value) > MaskedLen }

// NewMasker collects the secrets the VU knows now: the password, every
// variable Masked says to hide, the session and the cookies.
func (v *VU) NewMasker() *Masker {
	m := &Masker{}
	if u := v.sess.User; u != nil && len(u.Values) > 1 {
		m.add(u.Values[1])
	}
	for i, val := range v.sess.Vars {
		if Masked(val, v.plan.Secret[i]) && !v.plan.oauth.shown(i) {
			m.add(val)
		}
		if i < len(v.sess.Lists) {
			for _, x := range v.sess.Lists[i] {
				if Masked(x, v.plan.Secret[i]) {
					m.add(x)
				}
			}
		}
	}
	m.add(v.sess.SessionID)
	m.add(v.sess.header)
	for _, c := range v.sess.Jar.Cookies(v.plan.Base) {
		m.add(c.Value)
	}
	return m
}

// add hides s, and s as a URL's path or query writes it.
func (m *Masker) add(s string) {
	if len(s) < 4 {
		return
	}
	for _, form := range []string{s, url.QueryEscape(s), url.PathEscape(s)} {
		if !slices.ContainsFunc(m.secrets, func(x secret) bool { return x.text == form }) {
			m.secrets = append(m.secrets, secret{form, MaskValue(s)})
		}
	}
}

// secret is a text to hide and what shows instead: the shape of the value
// it stands for, however it was escaped.
type secret struct{ text, mask string }

// Mask replaces every known secret in s.
func (m *Masker) Mask(s string) string {
	for _, sec := range m.secrets {
		s = strings.ReplaceAll(s, sec.text, sec.mask)
	}
	return s
}

// MaskValue shows a value's shape, not its content: its first two
// characters and its length.
func MaskValue(s string) string {
	if len(s) <= 4 {
		return "••••"
	}
	return s[:2] + "…(" + strconv.Itoa(len(s)) + " chars)"
}
