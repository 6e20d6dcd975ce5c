package findings

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash"
	"strings"
	"time"
)

// weakKeys are HMAC keys found in tutorials, defaults and jwt.io's
// example: a token signed with one is forgeable by anyone.
var weakKeys = []string{"secret", "your-256-bit-secret", "your-384-bit-secret", "your-512-bit-secret", "password",
	"changeit", "changeme", "jwtsecret", "jwt-secret", "mysecret", "secretkey", "secret-key", "key", "test", "admin", "123456", ""}

// keyTries bounds the tokens whose signature is tried against weakKeys.
const keyTries = 8

// Lifetimes past which an access token is flagged: a stolen one is good
// that long, and a logout cannot end it.
const (
	longToken     = time.Hour
	veryLongToken = 24 * time.Hour
)

// Token tells of a value a request extracted: if it is a JWT, its
// algorithm, lifetime and key are judged, locally, and nothing of it is
// kept or printed.
func (o *Observer) Token(request, value string) {
	if o == nil {
		return
	}
	header, claims, signed, sig, ok := parseJWT(value)
	if !ok {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.tokens++
	alg := header.Alg
	if strings.EqualFold(alg, "none") {
		o.note(TokenAlgNone, High, request, `a token is signed with alg "none": anyone can write one the server may accept`)
	}
	if h := hmacOf(alg); h != nil && o.tokens <= keyTries {
		for _, k := range weakKeys {
			m := hmac.New(h, []byte(k))
			m.Write([]byte(signed))
			if hmac.Equal(m.Sum(nil), sig) {
				o.note(TokenWeakKey, High, request, alg+" tokens are signed with a well-known key (one of cohort's list of defaults and examples): anyone can forge them")
				break
			}
		}
	}
	switch {
	case claims.Exp == nil:
		o.note(TokenNoExpiry, Medium, request, "a token has no exp claim: it is good until its key changes")
	case claims.Iat != nil:
		life := time.Duration(*claims.Exp-*claims.Iat) * time.Second
		switch {
		case life > veryLongToken:
			o.note(TokenLongLived, Medium, request, fmt.Sprintf("%s tokens live %s (exp less iat): a stolen one is good that long", alg, life))
		case life > longToken:
			o.note(TokenLongLived, Low, request, fmt.Sprintf("%s tokens live %s (exp less iat): a stolen one is good that long", alg, life))
		default:
			o.note(TokenLifetimeInfo, Info, request, fmt.Sprintf("%s tokens live %s (exp less iat)", alg, life))
		}
	}
}

type jwtHeader struct {
	Alg string `json:"alg"`
}

type jwtClaims struct {
	Exp *int64 `json:"exp"`
	Iat *int64 `json:"iat"`
}

// parseJWT decodes a compact JWS: its header, claims, the signed part and
// the signature. Anything else is not a token.
func parseJWT(v string) (h jwtHeader, c jwtClaims, signed string, sig []byte, ok bool) {
	parts := strings.Split(v, ".")
	if len(parts) != 3 || len(parts[0]) < 8 {
		return h, c, "", nil, false
	}
	hb, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	cb, err2 := base64.RawURLEncoding.DecodeString(parts[1])
	sig, err3 := base64.RawURLEncoding.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil || json.Unmarshal(hb, &h) != nil || h.Alg == "" || json.Unmarshal(cb, &c) != nil {
		return h, c, "", nil, false
	}
	return h, c, parts[0] + "." + parts[1], sig, true
}

func hmacOf(alg string) func() hash.Hash {
	switch alg {
	case "HS256":
		return sha256.New
	case "HS384":
		return sha512.New384
	case "HS512":
		return sha512.New
	}
	return nil
}
