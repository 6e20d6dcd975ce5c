package virtualuser

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/cohort-dev/cohort/metrics"
	"github.com/cohort-dev/cohort/profiles"
)

// oauthRole is a step's part of an oauth2 login (profiles.OAuth2Start, ...).
type oauthRole uint8

const (
	oauthNone oauthRole = iota
	oauthStart
	oauthAuthorize
	oauthLogin
	oauthCallback
	oauthToken
)

var oauthRoles = map[string]oauthRole{
	profiles.OAuth2Start: oauthStart, profiles.OAuth2Authorize: oauthAuthorize, profiles.OAuth2Login: oauthLogin,
	profiles.OAuth2Callback: oauthCallback, profiles.OAuth2Token: oauthToken,
}

// oauthPlan is what the VU needs of an oauth2 login beyond its steps: the
// slots of the protocol's variables, and what it makes at each login.
type oauthPlan struct {
	appIsClient   bool // oauth2.start: the application makes state and PKCE
	redirectURI   string
	clientID      string
	secret        *Template // nil for a public client
	userField     string
	passField     string
	refreshBefore time.Duration

	state, verifier, challenge, redirect, authorizeURL, loginURL, form, code, callback, client, expiresIn int
}

// compileOAuth2 checks the oauth2 section's templates and finds its
// variables' slots.
func (c *compiler) compileOAuth2() error {
	o := c.p.OAuth2
	if o == nil {
		return nil
	}
	if c.p.NeedsIssuer() {
		return c.p.Errorf("oauth2.issuer", "required: the provider's URL (or authorize_url and token_url)")
	}
	slot := func(name string) int { return c.sc.vars[name] }
	op := &oauthPlan{appIsClient: o.Start != "", redirectURI: o.RedirectURI, clientID: o.ClientID,
		userField: o.Form.Username, passField: o.Form.Password, refreshBefore: o.RefreshBefore.D(),
		state: slot("oauth2_state"), verifier: slot("oauth2_verifier"), challenge: slot("oauth2_challenge"),
		redirect: slot("oauth2_redirect_uri"), authorizeURL: slot("oauth2_authorize_url"), loginURL: slot("oauth2_login_url"),
		form: slot("oauth2_form"), code: slot("oauth2_code"), callback: slot("oauth2_callback_url"),
		client: slot("oauth2_client"), expiresIn: slot("oauth2_expires_in")}
	if o.ClientSecret != "" {
		t, err := c.template("oauth2.client_secret", o.ClientSecret)
		if err != nil {
			return err
		}
		op.secret = t
	}
	c.pl.oauth = op
	return nil
}

// shown says whether a variable of the protocol is shown whole, however
// long: the URLs, the state and the challenge are no secrets.
func (op *oauthPlan) shown(slot int) bool {
	if op == nil {
		return false
	}
	switch slot {
	case op.state, op.challenge, op.redirect, op.authorizeURL, op.loginURL:
		return true
	}
	return false
}

// beginOAuth sets what a login by OAuth needs before its first step: for
// cohort as the client, a new state and PKCE verifier (S256), and the
// client's Basic credentials.
func (v *VU) beginOAuth() {
	op := v.plan.oauth
	vars := v.sess.Vars
	v.sess.refreshAt = 0
	if op.appIsClient {
		return // the application's redirect brings its own
	}
	vars[op.state] = v.randomString(22)
	vars[op.verifier] = v.randomString(64)
	sum := sha256.Sum256([]byte(vars[op.verifier]))
	vars[op.challenge] = base64.RawURLEncoding.EncodeToString(sum[:])
	vars[op.redirect] = op.redirectURI
	if op.secret != nil {
		vars[op.client] = url.QueryEscape(op.clientID) + ":" + url.QueryEscape(op.secret.expandString(v))
	}
}

// randomString is n characters a PKCE verifier may hold, from the VU's
// generator (on a fake clock, the same every run).
func (v *VU) randomString(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[v.rng.IntN(len(alphabet))]
	}
	return string(b)
}

// afterOAuth does a step's part of the protocol once its answer passed
// its expectations: what the next step needs, and the checks a browser or
// a client makes. A token step's refusal gets the provider's error.
func (v *VU) afterOAuth(st *Step, r *response, page *pageDoc, why metrics.Reason, problem string) (metrics.Reason, string) {
	if why != metrics.ReasonNone {
		switch {
		case st.oauth == oauthToken && why == metrics.ReasonStatus:
			if e := OAuthError(r.body); e != "" {
				problem += ": " + e
			}
		case st.oauth == oauthAuthorize && r.status >= 400:
			problem += providerSays(page)
		case st.oauth == oauthLogin && why == metrics.ReasonStatus && r.status == http.StatusOK:
			// A provider that refuses the credentials shows its form
			// again: the protocol failed, not the server.
			return metrics.ReasonOAuth2, "the provider showed its login form again: it refused the credentials"
		}
		return why, problem
	}
	op, vars := v.plan.oauth, v.sess.Vars
	switch st.oauth {
	case oauthStart:
		return v.oauthStarted(r.header.Get("Location"))
	case oauthAuthorize:
		return v.fillProviderForm(r, page)
	case oauthLogin:
		return v.cameBack(r.header.Get("Location"))
	case oauthToken:
		v.sess.refreshAt = 0
		if secs, err := strconv.ParseFloat(vars[op.expiresIn], 64); err == nil && secs > 0 {
			life := time.Duration(secs * float64(time.Second))
			v.sess.refreshAt = v.moment() + life - min(op.refreshBefore, life/2)
		}
	}
	return metrics.ReasonNone, ""
}

// oauthStarted reads the application's redirect to the provider: the
// authorization request, its state and its redirect URI.
func (v *VU) oauthStarted(loc string) (metrics.Reason, string) {
	op, vars := v.plan.oauth, v.sess.Vars
	u, err := url.Parse(loc)
	if err != nil || !u.IsAbs() {
		return metrics.ReasonOAuth2, fmt.Sprintf("the application's redirect %q is not an absolute URL of a provider", loc)
	}
	q := u.Query()
	if q.Get("redirect_uri") == "" || q.Get("state") == "" {
		return metrics.ReasonOAuth2, "the application's authorization request has no redirect_uri or no state"
	}
	vars[op.authorizeURL], vars[op.state], vars[op.redirect] = loc, q.Get("state"), q.Get("redirect_uri")
	return metrics.ReasonNone, ""
}

// fillProviderForm fills the provider's login form as a browser does:
// its hidden fields (a CSRF token) as the page has them, the user's name
// and password in their fields, posted to the form's action.
func (v *VU) fillProviderForm(r *response, page *pageDoc) (metrics.Reason, string) {
	op := v.plan.oauth
	doc, err := page.get()
	if err != nil {
		return metrics.ReasonOAuth2, "the provider's login page could not be parsed: " + err.Error()
	}
	form := doc.Find("form").FilterFunction(func(_ int, s *goquery.Selection) bool {
		return s.Find(`input[name="`+op.passField+`"]`).Length() > 0
	}).First()
	if form.Length() == 0 {
		return metrics.ReasonOAuth2, fmt.Sprintf("the provider's page has no form with a %q field", op.passField)
	}
	action, _ := form.Attr("action")
	target, err := r.url.Parse(action)
	if err != nil {
		return metrics.ReasonOAuth2, fmt.Sprintf("the login form's action %q is not a URL", action)
	}
	vals := url.Values{}
	form.Find("input[name]").Each(func(_ int, in *goquery.Selection) {
		name, _ := in.Attr("name")
		if typ, _ := in.Attr("type"); typ == "submit" || typ == "checkbox" || name == op.userField || name == op.passField {
			return
		}
		val, _ := in.Attr("value")
		vals.Add(name, val)
	})
	vals.Set(op.userField, v.userValue(0))
	vals.Set(op.passField, v.userValue(1))
	v.sess.Vars[op.loginURL], v.sess.Vars[op.form] = target.String(), vals.Encode()
	return metrics.ReasonNone, ""
}

// cameBack checks the provider's redirect to the client: to the redirect
// URI of the request, with its state unchanged, and a code.
func (v *VU) cameBack(loc string) (metrics.Reason, string) {
	op, vars := v.plan.oauth, v.sess.Vars
	if !strings.HasPrefix(loc, vars[op.redirect]) {
		return metrics.ReasonOAuth2, "the provider redirected elsewhere than the redirect URI (did it refuse the credentials?)"
	}
	u, err := url.Parse(loc)
	if err != nil {
		return metrics.ReasonOAuth2, "the redirect back is not a URL"
	}
	q := u.Query()
	switch {
	case q.Get("error") != "":
		return metrics.ReasonOAuth2, fmt.Sprintf("the provider answered error=%s %s", q.Get("error"), q.Get("error_description"))
	case q.Get("state") != vars[op.state]:
		return metrics.ReasonOAuth2, "the state that came back is not the one sent: the answer is not to this request"
	case q.Get("code") == "":
		return metrics.ReasonOAuth2, "the redirect back has no code"
	}
	vars[op.code], vars[op.callback] = q.Get("code"), loc
	return metrics.ReasonNone, ""
}

// OAuthError is the provider's error of a refused token request,
// "invalid_grant (authorization code expired)", or "" when the body is no
// OAuth 2 error (RFC 6749 5.2: error and error_description, no secret).
func OAuthError(body []byte) string {
	var e struct {
		Error string `json:"error"`
		Desc  string `json:"error_description"`
	}
	if json.Unmarshal(body, &e) != nil || e.Error == "" {
		return ""
	}
	if e.Desc != "" {
		return fmt.Sprintf("%s (%s)", e.Error, e.Desc)
	}
	return e.Error
}

// providerSays is the start of the provider's error page, as text, for
// the problem's words: it says why it refused the authorization request
// (an unregistered redirect URI, an unknown client).
func providerSays(page *pageDoc) string {
	text := strings.TrimSpace(string(page.text()))
	if text == "" {
		return ""
	}
	if len(text) > 200 {
		text = text[:200] + "…"
	}
	return "; the provider says: " + text
}

// refreshDue says whether the session's access token is near its end:
// it is refreshed before the next request rather than on its 401.
func (v *VU) refreshDue() bool {
	at := v.sess.refreshAt
	return at != 0 && v.moment() >= at
}

// refreshAhead refreshes a token near its end (proactive refresh), or,
// when that fails, logs in again.
func (v *VU) refreshAhead(ctx context.Context) bool {
	v.sess.refreshAt = 0
	ok, _ := v.runFlow(ctx, v.plan.Refresh)
	if ctx.Err() != nil {
		return false
	}
	if ok {
		v.rec.Add(metrics.Sample{Kind: metrics.KindRefresh})
		return true
	}
	v.rec.Add(metrics.Sample{Kind: metrics.KindRefresh, Flags: metrics.Failed})
	v.sess.LoggedIn = false
	return v.Login(ctx)
}
