package target

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// jwtHeader is the base64url form of {"alg":"HS256","typ":"JWT"}.
var jwtHeader = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))

// claims is the payload of an access token.
type claims struct {
	Sub string `json:"sub"`
	Iat int64  `json:"iat"`
	Exp int64  `json:"exp"`
	Jti string `json:"jti"`
}

// tokenResponse is the body of /api/auth/token and /api/auth/refresh, in the
// field names OAuth 2 clients know.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
}

type refreshGrant struct {
	user string
	exp  int64
}

// tokens issues HS256 JWT access tokens, verified without server state as a
// Spring resource server does, and opaque refresh tokens that are rotated on
// use (a refresh token works once).
type tokens struct {
	key        []byte
	ttl        time.Duration
	refreshTTL time.Duration

	mu      sync.Mutex
	refresh map[string]refreshGrant

	issued, refreshed atomic.Int64
}

func newTokens(ttl, refreshTTL time.Duration, weakKey string) *tokens {
	key := []byte(weakKey)
	if weakKey == "" {
		key = make([]byte, 32)
		rand.Read(key)
	}
	return &tokens{key: key, ttl: ttl, refreshTTL: refreshTTL, refresh: make(map[string]refreshGrant)}
}

func (tk *tokens) sign(data string) string {
	m := hmac.New(sha256.New, tk.key)
	m.Write([]byte(data))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// issue returns a new access and refresh token for user.
func (tk *tokens) issue(user string, now time.Time) tokenResponse {
	payload, _ := json.Marshal(claims{Sub: user, Iat: now.Unix(), Exp: now.Add(tk.ttl).Unix(), Jti: newUUID()})
	body := jwtHeader + "." + base64.RawURLEncoding.EncodeToString(payload)
	rt := newUUID()
	tk.mu.Lock()
	tk.refresh[rt] = refreshGrant{user: user, exp: now.Add(tk.refreshTTL).UnixNano()}
	tk.mu.Unlock()
	tk.issued.Add(1)
	return tokenResponse{
		AccessToken:  body + "." + tk.sign(body),
		TokenType:    "Bearer",
		ExpiresIn:    int64(tk.ttl / time.Second),
		RefreshToken: rt,
	}
}

// verify returns the user an access token was issued to, or the reason it
// is refused, worded as Spring's error_description.
func (tk *tokens) verify(tok string, now time.Time) (user, reason string) {
	dot := strings.LastIndexByte(tok, '.')
	if dot < 0 || !strings.HasPrefix(tok, jwtHeader+".") {
		return "", "Malformed token"
	}
	if !hmac.Equal([]byte(tok[dot+1:]), []byte(tk.sign(tok[:dot]))) {
		return "", "Invalid signature"
	}
	payload, err := base64.RawURLEncoding.DecodeString(tok[len(jwtHeader)+1 : dot])
	if err != nil {
		return "", "Malformed payload"
	}
	var c claims
	if err := json.Unmarshal(payload, &c); err != nil || c.Sub == "" {
		return "", "Malformed payload"
	}
	if now.Unix() >= c.Exp {
		return "", "Jwt expired at " + time.Unix(c.Exp, 0).UTC().Format(time.RFC3339)
	}
	return c.Sub, ""
}

// use redeems a refresh token, which then no longer works, and issues a new
// pair.
func (tk *tokens) use(rt string, now time.Time) (tokenResponse, bool) {
	tk.mu.Lock()
	g, ok := tk.refresh[rt]
	delete(tk.refresh, rt)
	tk.mu.Unlock()
	if !ok || now.UnixNano() >= g.exp {
		return tokenResponse{}, false
	}
	tk.refreshed.Add(1)
	return tk.issue(g.user, now), true
}

// sweep forgets expired refresh tokens so that a long run does not grow.
func (tk *tokens) sweep(now time.Time) {
	cut := now.UnixNano()
	tk.mu.Lock()
	for k, g := range tk.refresh {
		if cut >= g.exp {
			delete(tk.refresh, k)
		}
	}
	tk.mu.Unlock()
}
