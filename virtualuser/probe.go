package virtualuser

import (
	"context"
	"net/http"
	"time"

	"github.com/cohort-dev/cohort/metrics"
)

// LogoutProbe is what became of a session's old cookies after its logout.
type LogoutProbe struct {
	// Probed says the probe was sent: the session had cookies to keep.
	Probed bool
	// Alive says the old cookies were still answered as logged in; Ended
	// that the answer was the session's loss. Neither: the probe failed
	// another way, and says nothing.
	Alive, Ended bool
	Result       StepResult
}

// ProbeLogout runs the logout flow, then sends probe once more with the
// cookies the session held before it, as a client that kept them (or
// someone who copied them) would. A logout that ends the session on the
// server leaves them worthless; one that only clears the browser's
// cookies does not. The VU keeps the logged-out jar afterwards.
func (v *VU) ProbeLogout(ctx context.Context, probe *Step) (bool, []StepResult, LogoutProbe) {
	u := v.plan.Base
	kept := v.sess.Jar.Cookies(u)
	ok, results := v.LogoutSteps(ctx)
	if len(kept) == 0 || probe == nil || ctx.Err() != nil {
		return ok, results, LogoutProbe{}
	}
	after, id := v.sess.Jar, v.sess.SessionID
	old := NewJar(v.hooks.Clock.Now)
	for _, c := range kept {
		c.Path = "/"
	}
	old.SetCookies(u, kept)
	v.sess.Jar = old
	r, res := v.runStep(ctx, probe, time.Time{}, 0)
	lost := v.isLost(r) // by the profile's signs of a lost session
	v.done(r)
	v.sess.Jar, v.sess.SessionID = after, id
	return ok, results, LogoutProbe{Probed: true, Alive: !lost && res.Reason == metrics.ReasonNone, Ended: lost, Result: res}
}

// ProbeStep picks the request a logout probe sends: the first GET of the
// mix that is not a journey (a page or API call that needs the session).
func (p *Plan) ProbeStep() *Step {
	for _, st := range p.Mix {
		if st.journey == nil && st.Method == http.MethodGet {
			return st
		}
	}
	return nil
}

// csrfNames are the form fields and headers CSRF tokens travel in:
// Spring Security's, and common ones of other frameworks.
var csrfNames = map[string]bool{"_csrf": true, "csrf": true, "csrf_token": true, "csrfmiddlewaretoken": true, "authenticity_token": true,
	"X-Csrf-Token": true, "X-Xsrf-Token": true}

// CSRFProbe returns a copy of the first unsafe request of the mix
// (journeys' steps included) that sends a CSRF token, without the token,
// and the name of the field or header it left out; nil if there is none.
func (p *Plan) CSRFProbe() (*Step, string) {
	for _, st := range p.Mix {
		if st.journey != nil {
			if s, name := csrfProbeIn(st.journey.nodes); s != nil {
				return s, name
			}
			continue
		}
		if s, name := withoutCSRF(st); s != nil {
			return s, name
		}
	}
	return nil, ""
}

func csrfProbeIn(nodes []journeyNode) (*Step, string) {
	for _, n := range nodes {
		if n.step != nil {
			if s, name := withoutCSRF(n.step); s != nil {
				return s, name
			}
		}
		if n.repeat != nil {
			if s, name := csrfProbeIn(n.repeat.nodes); s != nil {
				return s, name
			}
		}
	}
	return nil, ""
}

// withoutCSRF is st less its CSRF token, if it is unsafe and sends one.
func withoutCSRF(st *Step) (*Step, string) {
	if st.Method == http.MethodGet || st.Method == http.MethodHead || st.Method == http.MethodOptions {
		return nil, ""
	}
	for i, f := range st.form {
		if csrfNames[f.key] {
			c := *st
			c.form = append(append([]formField(nil), st.form[:i]...), st.form[i+1:]...)
			return &c, "form field " + f.key
		}
	}
	for i, h := range st.headers {
		if csrfNames[h.name] {
			c := *st
			c.headers = append(append([]header(nil), st.headers[:i]...), st.headers[i+1:]...)
			return &c, "header " + h.name
		}
	}
	return nil, ""
}
