package target

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// newUUID returns a random (version 4) UUID in its text form, the shape of
// Spring's CSRF tokens and Spring Session ids.
func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}

// newServletID returns a session id as Tomcat makes them: 16 random bytes
// in upper-case hex.
func newServletID() string {
	var b [16]byte
	rand.Read(b[:])
	return strings.ToUpper(hex.EncodeToString(b[:]))
}

// newShortID returns a session id of 8 hex digits: 32 bits, guessable
// (the --short-ids weakness).
func newShortID() string {
	var b [4]byte
	rand.Read(b[:])
	return strings.ToUpper(hex.EncodeToString(b[:]))
}

// newSpringSessionID returns a Spring Session id as its cookie carries it:
// a UUID, base64-encoded by DefaultCookieSerializer.
func newSpringSessionID() string {
	return base64.StdEncoding.EncodeToString([]byte(newUUID()))
}

// maskToken hides token behind a fresh random pad, as Spring Security 6's
// XorCsrfTokenRequestAttributeHandler does against BREACH: every response
// carries a different value for the same token.
func maskToken(token string) string {
	n := len(token)
	buf := make([]byte, 2*n)
	rand.Read(buf[:n])
	for i := 0; i < n; i++ {
		buf[n+i] = buf[i] ^ token[i]
	}
	return base64.URLEncoding.EncodeToString(buf)
}

// unmaskToken reverses maskToken; it reports false for a value that cannot
// have come from it.
func unmaskToken(masked string) (string, bool) {
	buf, err := base64.URLEncoding.DecodeString(masked)
	if err != nil || len(buf) == 0 || len(buf)%2 != 0 {
		return "", false
	}
	n := len(buf) / 2
	for i := 0; i < n; i++ {
		buf[n+i] ^= buf[i]
	}
	return string(buf[n:]), true
}

// maskedMatches reports whether the masked value sent by a client carries
// the token the server holds.
func maskedMatches(token, masked string) bool {
	if token == "" || masked == "" {
		return false
	}
	got, ok := unmaskToken(masked)
	return ok && subtle.ConstantTimeCompare([]byte(got), []byte(token)) == 1
}

// rawMatches compares an unmasked token, as the SPA header carries it.
func rawMatches(token, sent string) bool {
	return token != "" && subtle.ConstantTimeCompare([]byte(sent), []byte(token)) == 1
}
