// Package findings turns what the wire shows about an application's
// sessions into findings: a session cookie without HttpOnly, an id that
// does not change at login, guessable ids, a logout that leaves the
// session alive, long-lived or weakly signed tokens. docs/findings.md
// explains each and how Spring Security or Tomcat configuration fixes it.
//
// An Observer is shared by a run's VUs; they tell it about session cookies
// as they are set, logins as they end, session ids as they are issued and
// tokens as they are extracted: events of a login, not of every request.
// Evidence never holds a value: not an id, a cookie or a token, only their
// shape (lengths, attributes, claims' durations).
package findings

import (
	"cmp"
	"slices"
	"sync"
)

// Kind names a finding; the names are stable (result files carry them).
type Kind string

// The kinds of findings.
const (
	CookieOverHTTP       Kind = "session_cookie_over_http"
	CookieNoHTTPOnly     Kind = "session_cookie_no_httponly"
	CookieNoSecure       Kind = "session_cookie_no_secure"
	CookieNoSameSite     Kind = "session_cookie_no_samesite"
	CookieSameSiteNone   Kind = "session_cookie_samesite_none_insecure"
	CookiePersistent     Kind = "session_cookie_persistent"
	IDInURL              Kind = "session_id_in_url"
	NoRotation           Kind = "session_id_not_rotated_at_login"
	LogoutKeepsSession   Kind = "session_alive_after_logout"
	WeakIDs              Kind = "session_ids_low_entropy"
	DuplicateIDs         Kind = "session_ids_repeated"
	CSRFNotEnforced      Kind = "csrf_not_enforced"
	TokenLongLived       Kind = "token_long_lived"
	TokenNoExpiry        Kind = "token_no_expiry"
	TokenAlgNone         Kind = "token_alg_none"
	TokenWeakKey         Kind = "token_weak_key"
	SessionIDsInfo       Kind = "session_ids"
	CSRFEnforced         Kind = "csrf_enforced"
	LogoutEndsSession    Kind = "session_ended_by_logout"
	TokenLifetimeInfo    Kind = "token_lifetime"
	CookieAttributesInfo Kind = "session_cookie_attributes"
)

// Severity says how much a finding matters.
type Severity string

// Severities, from the most to the least serious; Info is what was looked
// at and found sound, so that a clean report says what it checked.
const (
	High   Severity = "high"
	Medium Severity = "medium"
	Low    Severity = "low"
	Info   Severity = "info"
)

var severityRank = map[Severity]int{High: 0, Medium: 1, Low: 2, Info: 3}

// Finding is one kind of weakness (or a sound property, at Info) with its
// evidence: what was seen, never a value.
type Finding struct {
	Kind     Kind     `json:"kind"`
	Severity Severity `json:"severity"`
	// Evidence says what showed it, in words, without a value.
	Evidence string `json:"evidence"`
	// Request names the first request that showed it.
	Request string `json:"first_request,omitempty"`
	// Count is how many times it was seen (responses, logins, ids).
	Count int64 `json:"count"`
}

// Observer gathers a run's findings. Its methods are safe for concurrent
// use by the VUs; the first sighting of a kind keeps its evidence and
// request, later ones count.
type Observer struct {
	mu     sync.Mutex
	byKind map[Kind]*Finding
	ids    idStats
	cookie cookieSeen
	tokens int
}

// NewObserver returns an empty observer.
func NewObserver() *Observer {
	return &Observer{byKind: map[Kind]*Finding{}, ids: newIDStats()}
}

// note records a sighting of kind; the caller holds o.mu.
func (o *Observer) note(kind Kind, sev Severity, request, evidence string) {
	f := o.byKind[kind]
	if f == nil {
		f = &Finding{Kind: kind, Severity: sev, Evidence: evidence, Request: request}
		o.byKind[kind] = f
	}
	f.Count++
}

// Note records a sighting of kind by request, with its evidence: for what
// a caller finds itself (cohort check's probes).
func (o *Observer) Note(kind Kind, sev Severity, request, evidence string) {
	if o == nil {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.note(kind, sev, request, evidence)
}

// Findings returns what was found, the most serious first; the session
// ids' shape is judged from all the ids issued so far.
func (o *Observer) Findings() []Finding {
	if o == nil {
		return nil
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]Finding, 0, len(o.byKind)+2)
	for _, f := range o.byKind {
		out = append(out, *f)
	}
	out = append(out, o.ids.findings()...)
	if f, ok := o.cookie.sound(o.byKind); ok {
		out = append(out, f)
	}
	Sort(out)
	return out
}

// Sort orders findings the most serious first, then by kind.
func Sort(fs []Finding) {
	slices.SortFunc(fs, func(a, b Finding) int {
		if c := cmp.Compare(severityRank[a.Severity], severityRank[b.Severity]); c != 0 {
			return c
		}
		return cmp.Compare(a.Kind, b.Kind)
	})
}

// Merge combines the findings of several processes (the segments of a
// run): counts add up, the first evidence of a kind is kept, and the most
// serious severity a kind was given wins.
func Merge(parts ...[]Finding) []Finding {
	byKind := map[Kind]*Finding{}
	var order []Kind
	for _, p := range parts {
		for _, f := range p {
			m := byKind[f.Kind]
			if m == nil {
				c := f
				byKind[f.Kind] = &c
				order = append(order, f.Kind)
				continue
			}
			m.Count += f.Count
			if severityRank[f.Severity] < severityRank[m.Severity] {
				m.Severity, m.Evidence, m.Request = f.Severity, f.Evidence, f.Request
			}
		}
	}
	out := make([]Finding, 0, len(order))
	for _, k := range order {
		out = append(out, *byKind[k])
	}
	Sort(out)
	return out
}

// Worst returns how many findings are above Info.
func Worst(fs []Finding) (weaknesses int) {
	for _, f := range fs {
		if f.Severity != Info {
			weaknesses++
		}
	}
	return weaknesses
}
