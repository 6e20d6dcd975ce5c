package target

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
)

// The application's side of the identity provider (Config.OAuth2), as
// Spring Security's oauth2Login serves it: the application is a
// confidential client that sends the browser to the provider with its own
// state and PKCE challenge, and takes the code back on its callback.
const (
	oauth2StartPath    = "/oauth2/authorization/idp"
	oauth2CallbackPath = "/login/oauth2/code/idp"
)

// authRequest is what a session waits on while its browser is at the
// provider (Spring keeps it in the session as the
// OAuth2AuthorizationRequest).
type authRequest struct{ state, verifier string }

// appCallback is the application's redirect URI.
func (t *Target) appCallback() string { return t.url + oauth2CallbackPath }

// oauth2Start sends the browser to the provider's authorization endpoint,
// keeping the request's state and verifier with the session.
func (x *exchange) oauth2Start() {
	if !x.hasSess {
		x.newSession(nil)
	}
	req := authRequest{state: newUUID(), verifier: newUUID() + newUUID()}
	x.t.pending.Store(x.sess.id, req)
	sum := sha256.Sum256([]byte(req.verifier))
	q := url.Values{"response_type": {"code"}, "client_id": {AppClient}, "redirect_uri": {x.t.appCallback()},
		"scope": {"openid profile"}, "state": {req.state},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}
	x.noStore()
	x.redirect(http.StatusFound, x.t.idp.issuer+"/oauth2/authorize?"+q.Encode())
}

// oauth2Callback takes the browser back from the provider: the state must
// be the session's, the code is redeemed over the back channel, and the
// session logged in (its id changed, as at any login). A failure goes to
// /login?error, as Spring's failure handler sends it.
func (x *exchange) oauth2Callback() {
	q := x.r.URL.Query()
	var req authRequest
	if x.hasSess {
		if v, ok := x.t.pending.LoadAndDelete(x.sess.id); ok {
			req = v.(authRequest)
		}
	}
	if req.state == "" || q.Get("state") != req.state || q.Get("code") == "" {
		x.t.loginsFailed.Add(1)
		x.redirect(http.StatusFound, "/login?error")
		return
	}
	tr, desc := x.t.idp.redeem(AppClient, q.Get("code"), x.t.appCallback(), req.verifier, x.now)
	if desc != "" {
		x.t.loginsFailed.Add(1)
		x.redirect(http.StatusFound, "/login?error")
		return
	}
	user, _ := x.t.idp.verify(tr.AccessToken, x.now)
	x.logIn(user)
}
