package target

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"html"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The demo identity provider's clients. A public client (an SPA or a
// native app) must use PKCE and may redirect to any loopback URL, as RFC
// 8252 allows native apps; the application's own client is confidential
// and redirects to the application's callback; the service client has
// only the client credentials grant.
const (
	PublicClient       = "cohort-spa"
	AppClient          = "cohort-app"
	AppClientSecret    = "app-secret"
	ServiceClient      = "cohort-service"
	ServiceSecret      = "service-secret"
	idpSessionCookie   = "IDPSESSION"
	authCodeTTL        = time.Minute
	idpSessionLifetime = 30 * time.Minute
)

// Faults of the identity provider (Config.OAuth2Fault), each a way an
// authorization code flow goes wrong that a client must notice.
const (
	// FaultState answers the callback with a state other than the one
	// the client sent (a forged or crossed response).
	FaultState = "state"
	// FaultReuse answers every code as already redeemed (a replay).
	FaultReuse = "reuse"
	// FaultExpired issues codes that have expired when they arrive.
	FaultExpired = "expired"
	// FaultPKCE checks the verifier against another challenge than the
	// one the client sent.
	FaultPKCE = "pkce"
)

// idp is the built-in target's OAuth 2 / OpenID Connect provider: a login
// page of its own (with its own session cookie and CSRF token) on another
// host than the application, an authorization endpoint, a token endpoint
// (authorization code with PKCE, refresh, client credentials, password),
// and the JWKS its RS256 access tokens are verified with.
type idp struct {
	t      *Target
	issuer string // its URL, set by Start
	host   string // its host:port, which requests name
	key    *rsa.PrivateKey
	kid    string
	header string // the base64url JWT header of its tokens

	mu       sync.Mutex
	sessions map[string]*idpSession // by IDPSESSION cookie
	codes    map[string]*authCode
	used     map[string]bool // codes redeemed, to tell a replay
	refresh  map[string]refreshGrant

	codesIssued, codesRedeemed, codesRefused atomic.Int64
	tokensIssued, tokensRefreshed            atomic.Int64
}

// idpSession is a browser's session at the provider: the authorization
// request it is logging in for, and its CSRF token.
type idpSession struct {
	csrf    string
	user    string
	pending url.Values // the authorization request waiting for a login
	expires time.Time
}

// authCode is one authorization code, bound to what it was issued for.
type authCode struct {
	client, redirect, challenge, user, scope, nonce string
	expires                                         time.Time
}

func newIDP(t *Target) (*idp, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	p := &idp{t: t, key: key, kid: newUUID()[:8],
		sessions: map[string]*idpSession{}, codes: map[string]*authCode{},
		used: map[string]bool{}, refresh: map[string]refreshGrant{}}
	p.header = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT","kid":"` + p.kid + `"}`))
	return p, nil
}

// ServeHTTP serves the provider's endpoints.
func (p *idp) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.t.requests.Add(1)
	switch r.URL.Path {
	case "/.well-known/openid-configuration":
		p.discovery(w)
	case "/oauth2/jwks":
		p.jwks(w)
	case "/oauth2/authorize":
		p.authorize(w, r)
	case "/login":
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		p.login(w, r)
	case "/oauth2/token":
		p.token(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (p *idp) discovery(w http.ResponseWriter) {
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                p.issuer,
		"authorization_endpoint":                p.issuer + "/oauth2/authorize",
		"token_endpoint":                        p.issuer + "/oauth2/token",
		"jwks_uri":                              p.issuer + "/oauth2/jwks",
		"response_types_supported":              []string{"code"},
		"grant_types_supported":                 []string{"authorization_code", "refresh_token", "client_credentials", "password"},
		"code_challenge_methods_supported":      []string{"S256"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post", "none"},
	})
}

func (p *idp) jwks(w http.ResponseWriter) {
	pub := p.key.PublicKey
	writeJSON(w, http.StatusOK, map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "use": "sig", "alg": "RS256", "kid": p.kid,
		"n": base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}}})
}

// authorize checks an authorization request and serves the provider's
// login form for it (the browser has no session at the provider), or,
// for a session already logged in, sends the browser back with a code.
func (p *idp) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	client, redirect := q.Get("client_id"), q.Get("redirect_uri")
	if !p.redirectAllowed(client, redirect) {
		// Never redirect to an unchecked URI: the error is shown here.
		http.Error(w, "invalid client_id or redirect_uri", http.StatusBadRequest)
		return
	}
	if q.Get("response_type") != "code" {
		p.backWithError(w, q, "unsupported_response_type")
		return
	}
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" {
		p.backWithError(w, q, "invalid_request") // PKCE S256 is required of every client
		return
	}
	now := p.t.cfg.Now()
	s, id := p.session(r, now)
	if s != nil && s.user != "" {
		p.sendCode(w, q, s.user, now)
		return
	}
	p.mu.Lock()
	if s == nil {
		id = newUUID()
		s = &idpSession{csrf: newUUID(), expires: now.Add(idpSessionLifetime)}
		p.sessions[id] = s
	}
	s.pending = q
	csrf := s.csrf
	p.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: idpSessionCookie, Value: id, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
	w.Header()["Cache-Control"] = noStoreHdr
	writeBody(w, http.StatusOK, ctHTML, idpLoginHTML("", csrf))
}

// redirectAllowed says whether client may be sent back to redirect.
func (p *idp) redirectAllowed(client, redirect string) bool {
	u, err := url.Parse(redirect)
	if err != nil || u.Scheme == "" || u.Fragment != "" {
		return false
	}
	switch client {
	case PublicClient:
		h := u.Hostname()
		return u.Scheme == "http" && (h == "127.0.0.1" || h == "localhost" || h == "::1")
	case AppClient:
		return redirect == p.t.appCallback()
	}
	return false
}

// session returns the browser's provider session, if it has a live one.
func (p *idp) session(r *http.Request, now time.Time) (*idpSession, string) {
	c, err := r.Cookie(idpSessionCookie)
	if err != nil {
		return nil, ""
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	s, ok := p.sessions[c.Value]
	if !ok || !now.Before(s.expires) {
		delete(p.sessions, c.Value)
		return nil, ""
	}
	return s, c.Value
}

// login checks the provider's login form; on success the browser goes
// back to the client with a code, on failure it gets the form again.
func (p *idp) login(w http.ResponseWriter, r *http.Request) {
	now := p.t.cfg.Now()
	s, _ := p.session(r, now)
	if s == nil || s.pending == nil {
		http.Error(w, "no authorization request in progress (cookies off, or the login page expired)", http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	csrf, pending := s.csrf, s.pending
	p.mu.Unlock()
	if !rawMatches(csrf, r.PostFormValue("_csrf")) {
		http.Error(w, "invalid CSRF token", http.StatusForbidden)
		return
	}
	user, pass := r.PostFormValue("username"), r.PostFormValue("password")
	if !p.t.checkPassword(r.Context(), user, pass) {
		p.t.loginsFailed.Add(1)
		writeBody(w, http.StatusOK, ctHTML, idpLoginHTML(`<p class="error">Invalid username or password.</p>`, csrf))
		return
	}
	p.mu.Lock()
	s.user, s.pending = user, nil
	p.mu.Unlock()
	p.sendCode(w, pending, user, now)
}

// sendCode issues a code for an authorization request and redirects the
// browser to the client with it, its state, and the issuer (RFC 9207).
func (p *idp) sendCode(w http.ResponseWriter, q url.Values, user string, now time.Time) {
	code := newUUID()
	exp := now.Add(authCodeTTL)
	if p.t.cfg.OAuth2Fault == FaultExpired {
		exp = now
	}
	c := &authCode{client: q.Get("client_id"), redirect: q.Get("redirect_uri"), challenge: q.Get("code_challenge"),
		user: user, scope: q.Get("scope"), nonce: q.Get("nonce"), expires: exp}
	p.mu.Lock()
	p.codes[code] = c
	if p.t.cfg.OAuth2Fault == FaultReuse {
		p.used[code] = true
	}
	p.mu.Unlock()
	p.codesIssued.Add(1)
	state := q.Get("state")
	if p.t.cfg.OAuth2Fault == FaultState {
		state += "x"
	}
	back := url.Values{"code": {code}, "iss": {p.issuer}}
	if state != "" {
		back.Set("state", state)
	}
	w.Header()["Location"] = []string{addQuery(c.redirect, back)}
	w.WriteHeader(http.StatusFound)
}

func (p *idp) backWithError(w http.ResponseWriter, q url.Values, code string) {
	back := url.Values{"error": {code}}
	if s := q.Get("state"); s != "" {
		back.Set("state", s)
	}
	w.Header()["Location"] = []string{addQuery(q.Get("redirect_uri"), back)}
	w.WriteHeader(http.StatusFound)
}

func addQuery(u string, q url.Values) string {
	if strings.Contains(u, "?") {
		return u + "&" + q.Encode()
	}
	return u + "?" + q.Encode()
}

// token is the token endpoint: the client authenticates (a secret, in
// Basic or in the form, or none for the public client), then the grant is
// checked and tokens issued.
func (p *idp) token(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	client, ok := p.client(r)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Basic realm="oauth2"`)
		oauthError(w, http.StatusUnauthorized, "invalid_client", "client authentication failed")
		return
	}
	now := p.t.cfg.Now()
	var tr idTokenResponse
	var desc string
	switch grant := r.PostFormValue("grant_type"); {
	case grant == "authorization_code" && client != ServiceClient:
		tr, desc = p.redeem(client, r.PostFormValue("code"), r.PostFormValue("redirect_uri"), r.PostFormValue("code_verifier"), now)
	case grant == "refresh_token" && client != ServiceClient:
		tr, desc = p.useRefresh(client, r.PostFormValue("refresh_token"), now)
	case grant == "client_credentials" && client == ServiceClient:
		tr = p.issue(client, client, r.PostFormValue("scope"), "", false, now)
	case grant == "password" && client == PublicClient:
		user := r.PostFormValue("username")
		if !p.t.checkPassword(r.Context(), user, r.PostFormValue("password")) {
			p.t.loginsFailed.Add(1)
			desc = "bad credentials"
			break
		}
		p.t.loggedIn(user)
		tr = p.issue(client, user, r.PostFormValue("scope"), "", true, now)
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "grant "+grant+" is not allowed for client "+client)
		return
	}
	if desc != "" {
		oauthError(w, http.StatusBadRequest, "invalid_grant", desc)
		return
	}
	w.Header()["Cache-Control"] = []string{"no-store"}
	writeJSON(w, http.StatusOK, tr)
}

// client authenticates the client of a token request.
func (p *idp) client(r *http.Request) (string, bool) {
	id, secret, basic := r.BasicAuth()
	if !basic {
		id, secret = r.PostFormValue("client_id"), r.PostFormValue("client_secret")
	}
	want := map[string]string{AppClient: AppClientSecret, ServiceClient: ServiceSecret, PublicClient: ""}
	s, known := want[id]
	return id, known && subtle.ConstantTimeCompare([]byte(s), []byte(secret)) == 1
}

// redeem exchanges an authorization code, once, for tokens: the code must
// be the client's, unexpired, for the same redirect URI, and the verifier
// must hash to the challenge it was issued for.
func (p *idp) redeem(client, code, redirect, verifier string, now time.Time) (idTokenResponse, string) {
	p.mu.Lock()
	c, ok := p.codes[code]
	replay := p.used[code]
	delete(p.codes, code)
	p.used[code] = true
	p.mu.Unlock()
	challenge := ""
	if ok {
		challenge = c.challenge
		if p.t.cfg.OAuth2Fault == FaultPKCE {
			challenge += "x"
		}
	}
	sum := sha256.Sum256([]byte(verifier))
	var desc string
	switch {
	case replay:
		desc = "authorization code already used"
	case !ok:
		desc = "unknown authorization code"
	case !now.Before(c.expires):
		desc = "authorization code expired"
	case c.client != client:
		desc = "authorization code issued to another client"
	case c.redirect != redirect:
		desc = "redirect_uri does not match the authorization request"
	case base64.RawURLEncoding.EncodeToString(sum[:]) != challenge:
		desc = "PKCE verification failed"
	}
	if desc != "" {
		p.codesRefused.Add(1)
		return idTokenResponse{}, desc
	}
	p.codesRedeemed.Add(1)
	if client == PublicClient {
		p.t.loggedIn(c.user) // the application's own client counts its login itself
	}
	return p.issue(client, c.user, c.scope, c.nonce, true, now), ""
}

func (p *idp) useRefresh(client, rt string, now time.Time) (idTokenResponse, string) {
	p.mu.Lock()
	g, ok := p.refresh[rt]
	delete(p.refresh, rt)
	p.mu.Unlock()
	if !ok || now.UnixNano() >= g.exp || !strings.HasPrefix(g.user, client+" ") {
		return idTokenResponse{}, "invalid refresh token"
	}
	p.tokensRefreshed.Add(1)
	return p.issue(client, g.user[len(client)+1:], "", "", true, now), ""
}

// idTokenResponse is the token endpoint's answer.
type idTokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope,omitempty"`
	IDToken      string `json:"id_token,omitempty"`
}

// issue makes an access token for sub (RS256, living the target's
// token TTL), a rotating refresh token when asked, and an ID token when
// the scope holds openid.
func (p *idp) issue(client, sub, scope, nonce string, withRefresh bool, now time.Time) idTokenResponse {
	ttl := p.t.cfg.TokenTTL
	tr := idTokenResponse{TokenType: "Bearer", ExpiresIn: int64(ttl / time.Second), Scope: scope,
		AccessToken: p.sign(map[string]any{"iss": p.issuer, "sub": sub, "aud": client, "scope": scope,
			"iat": now.Unix(), "exp": now.Add(ttl).Unix(), "jti": newUUID()})}
	if withRefresh {
		tr.RefreshToken = newUUID()
		p.mu.Lock()
		p.refresh[tr.RefreshToken] = refreshGrant{user: client + " " + sub, exp: now.Add(p.t.cfg.RefreshTTL).UnixNano()}
		p.mu.Unlock()
	}
	if strings.Contains(" "+scope+" ", " openid ") {
		claims := map[string]any{"iss": p.issuer, "sub": sub, "aud": client, "iat": now.Unix(), "exp": now.Add(ttl).Unix()}
		if nonce != "" {
			claims["nonce"] = nonce
		}
		tr.IDToken = p.sign(claims)
	}
	p.tokensIssued.Add(1)
	return tr
}

func (p *idp) sign(claims map[string]any) string {
	payload, _ := json.Marshal(claims)
	body := p.header + "." + base64.RawURLEncoding.EncodeToString(payload)
	sum := sha256.Sum256([]byte(body))
	sig, _ := rsa.SignPKCS1v15(nil, p.key, crypto.SHA256, sum[:])
	return body + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// verify checks an access token as a resource server does with the
// provider's JWKS: signature, issuer and expiry. It returns the subject
// or the reason it is refused.
func (p *idp) verify(tok string, now time.Time) (sub, reason string) {
	dot := strings.LastIndexByte(tok, '.')
	sig, err := base64.RawURLEncoding.DecodeString(tok[dot+1:])
	if err != nil {
		return "", "Malformed token"
	}
	sum := sha256.Sum256([]byte(tok[:dot]))
	if rsa.VerifyPKCS1v15(&p.key.PublicKey, crypto.SHA256, sum[:], sig) != nil {
		return "", "Invalid signature"
	}
	payload, err := base64.RawURLEncoding.DecodeString(tok[len(p.header)+1 : dot])
	var c struct {
		Iss, Sub string
		Exp      int64
	}
	if err != nil || json.Unmarshal(payload, &c) != nil || c.Sub == "" || c.Iss != p.issuer {
		return "", "Malformed payload"
	}
	if now.Unix() >= c.Exp {
		return "", "Jwt expired at " + time.Unix(c.Exp, 0).UTC().Format(time.RFC3339)
	}
	return c.Sub, ""
}

// sweep forgets expired codes, provider sessions and refresh tokens.
func (p *idp) sweep(now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, c := range p.codes {
		if !now.Before(c.expires.Add(authCodeTTL)) {
			delete(p.codes, k)
		}
	}
	for k, s := range p.sessions {
		if !now.Before(s.expires) {
			delete(p.sessions, k)
		}
	}
	for k, g := range p.refresh {
		if now.UnixNano() >= g.exp {
			delete(p.refresh, k)
		}
	}
	if len(p.used) > 1<<16 {
		clear(p.used) // a replay older than that is refused as unknown
	}
}

// OAuth2Stats are the identity provider's counters in /-/stats.
type OAuth2Stats struct {
	CodesIssued     int64 `json:"codes_issued"`
	CodesRedeemed   int64 `json:"codes_redeemed"`
	CodesRefused    int64 `json:"codes_refused"`
	TokensIssued    int64 `json:"tokens_issued"`
	TokensRefreshed int64 `json:"tokens_refreshed"`
}

func (p *idp) stats() *OAuth2Stats {
	return &OAuth2Stats{CodesIssued: p.codesIssued.Load(), CodesRedeemed: p.codesRedeemed.Load(),
		CodesRefused: p.codesRefused.Load(), TokensIssued: p.tokensIssued.Load(), TokensRefreshed: p.tokensRefreshed.Load()}
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	w.Header()["Cache-Control"] = []string{"no-store"}
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	writeBody(w, status, ctJSON, b)
}

// idpLoginHTML is the provider's own login page, posted to its /login
// with the provider's CSRF token.
func idpLoginHTML(alert, csrf string) []byte {
	return []byte(pageHead + `<title>Sign in to cohort ID</title>
</head>
<body>
<h1>cohort ID</h1>
` + alert + `<form id="kc-form-login" method="post" action="/login">
<input type="text" name="username" autocomplete="username" autofocus>
<input type="password" name="password" autocomplete="current-password">
<input type="hidden" name="_csrf" value="` + html.EscapeString(csrf) + `">
<button type="submit">Sign in</button>
</form>
</body>
</html>
`)
}
