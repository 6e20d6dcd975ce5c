package profiles

import (
	"net/http"
	"net/url"
	"strings"
	"time"
)

// OAuth2 is a login by OAuth 2 / OpenID Connect. cohort turns it into
// login steps (and a refresh step) of its own, named oauth2/..., before the
// profile's login steps, so that every figure, check and trace of a login
// covers them as it covers any step.
type OAuth2 struct {
	// Grant is authorization_code (default), client_credentials or
	// password.
	Grant string `yaml:"grant"`
	// Start, for an application that is the client itself (Spring's
	// oauth2Login), is its path that sends the browser to the provider
	// (/oauth2/authorization/{registration}): the application makes the
	// state and the PKCE challenge and redeems the code; cohort follows
	// the browser's way and checks that the state comes back unchanged.
	// Without Start, cohort is the client (a single-page or native app).
	Start string `yaml:"start"`
	// Issuer is the provider's URL: authorize_url and token_url default to
	// its /oauth2/authorize and /oauth2/token (Spring Authorization
	// Server's paths). Empty against the built-in target, which starts its
	// provider.
	Issuer       string `yaml:"issuer"`
	AuthorizeURL string `yaml:"authorize_url"`
	TokenURL     string `yaml:"token_url"`
	ClientID     string `yaml:"client_id"`
	// ClientSecret is a template ({{user.client_secret}} takes it from the
	// users CSV); empty for a public client.
	ClientSecret string `yaml:"client_secret"`
	// ClientAuth is how the secret is sent to the token endpoint: basic
	// (default, client_secret_basic) or post (client_secret_post).
	ClientAuth  string `yaml:"client_auth"`
	RedirectURI string `yaml:"redirect_uri"`
	Scope       string `yaml:"scope"`
	// Form names the fields of the provider's login form that take the
	// user's name and password (default username and password); every
	// other field of the form (its CSRF token) is sent as the page has it.
	Form OAuth2Form `yaml:"form"`
	// RefreshBefore is how long before the access token expires (from
	// expires_in) it is refreshed, at most half its lifetime; default 30s.
	RefreshBefore Duration `yaml:"refresh_before"`
}

// OAuth2Form names the login form's credential fields.
type OAuth2Form struct {
	Username string `yaml:"username"`
	Password string `yaml:"password"`
}

// OAuth 2 grants.
const (
	GrantAuthorizationCode = "authorization_code"
	GrantClientCredentials = "client_credentials"
	GrantPassword          = "password"
)

// The roles of the steps an oauth2 login becomes; virtualuser gives each
// its part of the protocol.
const (
	OAuth2Start     = "start"     // the application sends the browser to the provider
	OAuth2Authorize = "authorize" // the provider's login page for the authorization request
	OAuth2Login     = "login"     // the credentials posted; the provider redirects back with a code
	OAuth2Callback  = "callback"  // the application takes the code
	OAuth2Token     = "token"     // the token endpoint (a grant, or a refresh)
)

// The variables an oauth2 login sets: the tokens (by their extractors)
// and the protocol's values in between.
var oauth2Vars = []struct {
	name   string
	secret bool
}{
	{"oauth2_state", false}, {"oauth2_verifier", true}, {"oauth2_challenge", false},
	{"oauth2_redirect_uri", false}, {"oauth2_authorize_url", false}, {"oauth2_login_url", false},
	{"oauth2_form", true}, {"oauth2_code", true}, {"oauth2_callback_url", true}, {"oauth2_client", true},
}

func (p *Profile) validateOAuth2() error {
	o := p.OAuth2
	if o == nil {
		return nil
	}
	if o.Grant == "" {
		o.Grant = GrantAuthorizationCode
	}
	if o.ClientAuth == "" {
		o.ClientAuth = "basic"
	}
	if o.Form.Username == "" {
		o.Form.Username = "username"
	}
	if o.Form.Password == "" {
		o.Form.Password = "password"
	}
	if o.RefreshBefore == 0 {
		o.RefreshBefore = Duration(30 * time.Second)
	}
	switch {
	case o.Grant != GrantAuthorizationCode && o.Grant != GrantClientCredentials && o.Grant != GrantPassword:
		return p.Errorf("oauth2.grant", "want %s, %s or %s, got %q", GrantAuthorizationCode, GrantClientCredentials, GrantPassword, o.Grant)
	case o.ClientAuth != "basic" && o.ClientAuth != "post":
		return p.Errorf("oauth2.client_auth", "want basic or post, got %q", o.ClientAuth)
	case o.RefreshBefore < 0:
		return p.Errorf("oauth2.refresh_before", "must not be negative")
	case o.Start != "" && o.Grant != GrantAuthorizationCode:
		return p.Errorf("oauth2.start", "an application that sends the browser to its provider uses the authorization code grant, not %s", o.Grant)
	case o.Start != "" && (o.ClientID != "" || o.ClientSecret != "" || o.TokenURL != "" || o.AuthorizeURL != "" || o.RedirectURI != "" || o.Issuer != ""):
		return p.Errorf("oauth2.start", "with start, the application is the OAuth client: leave out client_id, client_secret, issuer, authorize_url, token_url and redirect_uri (the application's redirect says them)")
	case o.Start == "" && o.ClientID == "":
		return p.Errorf("oauth2.client_id", "required (or start: the application's path that sends the browser to the provider)")
	case o.Start == "" && o.Grant == GrantAuthorizationCode && o.RedirectURI == "":
		return p.Errorf("oauth2.redirect_uri", "required for the authorization code grant: the URI registered for the client")
	case o.Grant == GrantClientCredentials && o.ClientSecret == "":
		return p.Errorf("oauth2.client_secret", "the client credentials grant needs the client's secret")
	}
	for _, f := range []struct{ field, v string }{{"oauth2.issuer", o.Issuer}, {"oauth2.authorize_url", o.AuthorizeURL},
		{"oauth2.token_url", o.TokenURL}, {"oauth2.redirect_uri", o.RedirectURI}} {
		if f.v == "" {
			continue
		}
		if u, err := url.Parse(f.v); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return p.Errorf(f.field, "%q is not an absolute http(s) URL", f.v)
		}
		if err := p.notTemplate(f.field, f.v); err != nil {
			return err
		}
	}
	for _, v := range oauth2Vars {
		p.extraVars = append(p.extraVars, v.name)
		if v.secret {
			p.secretVars = append(p.secretVars, v.name)
		}
	}
	p.ownLogin = p.Login
	return p.expandOAuth2()
}

// SetOAuth2Issuer gives an oauth2 login without an issuer the provider's
// URL (the built-in target's), before the profile is compiled.
func (p *Profile) SetOAuth2Issuer(issuer string) error {
	p.OAuth2.Issuer = issuer
	return p.expandOAuth2()
}

// NeedsIssuer says whether the profile's oauth2 login lacks the
// provider's URL.
func (p *Profile) NeedsIssuer() bool {
	o := p.OAuth2
	return o != nil && o.Start == "" && o.Issuer == "" && (o.TokenURL == "" || o.Grant == GrantAuthorizationCode && o.AuthorizeURL == "")
}

// expandOAuth2 makes the login steps of the oauth2 section, before the
// profile's own, and its refresh step when the profile has none.
func (p *Profile) expandOAuth2() error {
	o := p.OAuth2
	// Without an issuer yet (the built-in target's comes with
	// SetOAuth2Issuer), the steps are made all the same, so that the
	// profile has its login flow; Compile refuses them while NeedsIssuer.
	authorizeURL, tokenURL := o.AuthorizeURL, o.TokenURL
	if authorizeURL == "" {
		authorizeURL = strings.TrimSuffix(o.Issuer, "/") + "/oauth2/authorize"
	}
	if tokenURL == "" {
		tokenURL = strings.TrimSuffix(o.Issuer, "/") + "/oauth2/token"
	}
	var steps []Step
	if o.Grant == GrantAuthorizationCode {
		steps = p.codeSteps(authorizeURL)
	}
	if o.Start == "" {
		token := o.tokenStep("oauth2/token", tokenURL, o.grantForm())
		steps = append(steps, token)
		if len(p.Session.Refresh) == 0 || p.Session.Refresh[0].OAuth2Role == OAuth2Token {
			// Client credentials have no refresh token: a new token
			// is the refresh, under the refresh's name.
			refresh := token
			refresh.Name = "oauth2/refresh"
			if o.Grant != GrantClientCredentials {
				refresh = o.tokenStep("oauth2/refresh", tokenURL, map[string]string{"grant_type": "refresh_token", "refresh_token": "{{vars.refresh_token}}"})
			}
			p.Session.Refresh = []Step{refresh}
		}
	}
	p.Login = append(steps, p.ownLogin...)
	return nil
}

// codeSteps are the browser's part of the authorization code flow.
func (p *Profile) codeSteps(authorizeURL string) []Step {
	o := p.OAuth2
	five := 5
	var steps []Step
	if o.Start != "" {
		steps = append(steps, Step{Name: "oauth2/start", Method: http.MethodGet, Path: o.Start,
			Expect: Expect{Status: []int{302, 303}}, OAuth2Role: OAuth2Start, Field: "oauth2.start"})
		authorizeURL = "{{vars.oauth2_authorize_url}}"
	} else {
		q := "response_type=code&client_id=" + url.QueryEscape(o.ClientID) + "&redirect_uri=" + url.QueryEscape(o.RedirectURI)
		if o.Scope != "" {
			q += "&scope=" + url.QueryEscape(o.Scope)
		}
		q += "&state={{vars.oauth2_state}}&code_challenge={{vars.oauth2_challenge}}&code_challenge_method=S256"
		authorizeURL += sep(authorizeURL) + q
	}
	steps = append(steps,
		Step{Name: "oauth2/authorize", Method: http.MethodGet, Path: authorizeURL, Redirects: &five,
			Expect: Expect{Status: []int{200}}, OAuth2Role: OAuth2Authorize, Field: "oauth2"},
		Step{Name: "oauth2/login", Method: http.MethodPost, Path: "{{vars.oauth2_login_url}}", Redirects: &five,
			Headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, Body: "{{vars.oauth2_form}}",
			Expect: Expect{Status: []int{302, 303}}, OAuth2Role: OAuth2Login, Field: "oauth2"})
	if o.Start != "" {
		// The application then sends the browser on (its home page, or
		// the request it saved); the profile's login steps go there.
		steps = append(steps, Step{Name: "oauth2/callback", Method: http.MethodGet, Path: "{{vars.oauth2_callback_url}}",
			Expect: Expect{Status: []int{302, 303}, LocationNot: "error"}, OAuth2Role: OAuth2Callback, Field: "oauth2"})
	}
	return steps
}

func sep(u string) string {
	if strings.Contains(u, "?") {
		return "&"
	}
	return "?"
}

// grantForm is the token request of the grant.
func (o *OAuth2) grantForm() map[string]string {
	switch o.Grant {
	case GrantClientCredentials:
		return map[string]string{"grant_type": "client_credentials", "scope": o.Scope}
	case GrantPassword:
		return map[string]string{"grant_type": "password", "username": "{{user.username}}", "password": "{{user.password}}", "scope": o.Scope}
	}
	return map[string]string{"grant_type": "authorization_code", "code": "{{vars.oauth2_code}}",
		"redirect_uri": o.RedirectURI, "code_verifier": "{{vars.oauth2_verifier}}"}
}

// tokenStep is a request to the token endpoint, with the client's
// authentication, taking the tokens from the answer.
func (o *OAuth2) tokenStep(name, tokenURL string, form map[string]string) Step {
	if form["scope"] == "" {
		delete(form, "scope")
	}
	st := Step{Name: name, Method: http.MethodPost, Path: tokenURL, Form: form, Headers: map[string]string{"Accept": "application/json"},
		Expect:     Expect{Status: []int{200}},
		OAuth2Role: OAuth2Token, Field: "oauth2",
		Extract: []Extractor{
			{Name: "access_token", JSON: "access_token", Secret: true},
			{Name: "refresh_token", JSON: "refresh_token", Secret: true, Optional: true},
			{Name: "id_token", JSON: "id_token", Secret: true, Optional: true},
			{Name: "oauth2_expires_in", JSON: "expires_in", Optional: true},
		}}
	switch {
	case o.ClientSecret == "" || o.ClientAuth == "post":
		form["client_id"] = o.ClientID
		if o.ClientSecret != "" {
			form["client_secret"] = o.ClientSecret
		}
	default:
		st.Headers["Authorization"] = "Basic {{base64 vars.oauth2_client}}"
	}
	return st
}
