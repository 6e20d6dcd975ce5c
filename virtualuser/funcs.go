package virtualuser

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// funcKind is a template function: a value computed when the template is
// expanded ({{uuid}}, {{sha256 vars.body}}, ...).
type funcKind uint8

const (
	fnNone funcKind = iota
	fnUUID
	fnRandInt   // randint MIN MAX: an integer in [MIN, MAX]
	fnRandStr   // randstr N: N letters and digits
	fnUnix      // now.unix: seconds
	fnUnixMs    // now.unix_ms: milliseconds
	fnRFC3339   // now.rfc3339
	fnSHA256    // sha256 REF: hex
	fnHMAC      // hmac_sha256 KEY REF: hex
	fnBase64    // base64 REF
	fnBase64URL // base64url REF (no padding)
	fnURLEncode // urlencode REF: a query value
	fnTOTP      // totp REF: the RFC 6238 code (6 digits, 30 s, SHA-1) of a base32 secret
)

// funcs are the functions by name, with how many arguments each takes.
var funcs = map[string]struct {
	kind funcKind
	args int
}{
	"uuid": {fnUUID, 0}, "randint": {fnRandInt, 2}, "randstr": {fnRandStr, 1},
	"now.unix": {fnUnix, 0}, "now.unix_ms": {fnUnixMs, 0}, "now.rfc3339": {fnRFC3339, 0},
	"sha256": {fnSHA256, 1}, "hmac_sha256": {fnHMAC, 2}, "base64": {fnBase64, 1},
	"base64url": {fnBase64URL, 1}, "urlencode": {fnURLEncode, 1}, "totp": {fnTOTP, 1},
}

// resolveFunc parses a function call: its name, then its arguments, each
// a reference (user.COLUMN, vars.NAME, cookie.NAME) or, for randint and
// randstr, a whole number. ok is false when ref is no function.
func (sc *scope) resolveFunc(ref string) (p part, ok bool, err error) {
	words := strings.Fields(ref)
	if len(words) == 0 {
		return part{}, false, nil
	}
	f, known := funcs[words[0]]
	if !known {
		return part{}, false, nil
	}
	if len(words)-1 != f.args {
		return part{}, true, fmt.Errorf("{{%s}}: %s takes %d argument(s), got %d", ref, words[0], f.args, len(words)-1)
	}
	p = part{kind: refFunc, fn: f.kind, lit: words[0]}
	for _, w := range words[1:] {
		if f.kind == fnRandInt || f.kind == fnRandStr {
			n, err := strconv.Atoi(w)
			if err != nil || n < 0 {
				return part{}, true, fmt.Errorf("{{%s}}: %q is not a whole number", ref, w)
			}
			p.nums = append(p.nums, n)
			continue
		}
		arg, err := sc.resolve(w)
		if err != nil {
			return part{}, true, err
		}
		if f.kind == fnTOTP && arg.kind == refUser && !slices.Contains(sc.totp, arg.idx) {
			sc.totp = append(sc.totp, arg.idx) // its values are checked with the users
		}
		p.args = append(p.args, arg)
	}
	switch {
	case f.kind == fnRandInt && p.nums[0] > p.nums[1]:
		return part{}, true, fmt.Errorf("{{%s}}: randint MIN MAX wants MIN <= MAX", ref)
	case f.kind == fnRandStr && p.nums[0] > 4096:
		return part{}, true, fmt.Errorf("{{%s}}: randstr makes at most 4096 characters", ref)
	}
	return p, true, nil
}

// argValue is the value of a function's argument.
func argValue(a *part, e env) string {
	switch a.kind {
	case refUser:
		return e.userValue(a.idx)
	case refVar:
		return e.varValue(a.idx)
	case refCookie:
		return e.cookieValue(a.lit)
	case refVUID:
		return strconv.Itoa(e.vuID())
	case refIteration:
		return strconv.FormatInt(e.iteration(), 10)
	}
	return a.lit
}

const alphanumeric = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// appendFunc appends the function's value to dst (before escaping: the
// caller escapes it for where it stands).
func appendFunc(dst []byte, p *part, e env) []byte {
	switch p.fn {
	case fnUUID:
		var b [16]byte
		rand.Read(b[:])
		b[6] = b[6]&0x0f | 0x40 // version 4
		b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
		var h [36]byte
		hex.Encode(h[0:8], b[0:4])
		hex.Encode(h[9:13], b[4:6])
		hex.Encode(h[14:18], b[6:8])
		hex.Encode(h[19:23], b[8:10])
		hex.Encode(h[24:], b[10:])
		h[8], h[13], h[18], h[23] = '-', '-', '-', '-'
		return append(dst, h[:]...)
	case fnRandInt:
		return strconv.AppendInt(dst, int64(p.nums[0]+e.intn(p.nums[1]-p.nums[0]+1)), 10)
	case fnRandStr:
		for range p.nums[0] {
			dst = append(dst, alphanumeric[e.intn(len(alphanumeric))])
		}
		return dst
	case fnUnix:
		return strconv.AppendInt(dst, e.now().Unix(), 10)
	case fnUnixMs:
		return strconv.AppendInt(dst, e.now().UnixMilli(), 10)
	case fnRFC3339:
		return e.now().UTC().AppendFormat(dst, time.RFC3339)
	case fnSHA256:
		sum := sha256.Sum256([]byte(argValue(&p.args[0], e)))
		return hex.AppendEncode(dst, sum[:])
	case fnHMAC:
		m := hmac.New(sha256.New, []byte(argValue(&p.args[0], e)))
		m.Write([]byte(argValue(&p.args[1], e)))
		return hex.AppendEncode(dst, m.Sum(nil))
	case fnBase64:
		return base64.StdEncoding.AppendEncode(dst, []byte(argValue(&p.args[0], e)))
	case fnBase64URL:
		return base64.RawURLEncoding.AppendEncode(dst, []byte(argValue(&p.args[0], e)))
	case fnURLEncode:
		return append(dst, url.QueryEscape(argValue(&p.args[0], e))...)
	case fnTOTP:
		return appendTOTP(dst, argValue(&p.args[0], e), e.now())
	}
	return dst
}

// totpKey decodes a TOTP secret as authenticator apps take it: base32,
// case and spaces aside, padding optional.
func totpKey(secret string) ([]byte, error) {
	s := strings.ToUpper(strings.ReplaceAll(secret, " ", ""))
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.TrimRight(s, "="))
	if err == nil && len(key) == 0 {
		err = fmt.Errorf("empty")
	}
	return key, err
}

// CheckUsers refuses users whose TOTP secret ({{totp user.COLUMN}}) is not
// base32: every two-factor login of theirs would send an empty code.
func (p *Plan) CheckUsers(pool *UserPool) error {
	for _, col := range p.totpColumns {
		for i, u := range pool.rows {
			if _, err := totpKey(u.Values[col]); err != nil {
				return fmt.Errorf("users: line %d (user %s): column %s: not a base32 TOTP secret (%v)", i+2, u.Values[0], pool.columns[col], err)
			}
		}
	}
	return nil
}

// appendTOTP appends the RFC 6238 code of a base32 secret (as
// authenticator apps take it: case and spaces aside, padding optional) at
// t: HMAC-SHA-1 of the 30-second step, 6 digits. A secret that is not
// base32 gives nothing, and the step that sends it fails as the server
// says.
func appendTOTP(dst []byte, secret string, t time.Time) []byte {
	key, err := totpKey(secret)
	if err != nil {
		return dst
	}
	var counter [8]byte
	binary.BigEndian.PutUint64(counter[:], uint64(t.Unix()/30))
	m := hmac.New(sha1.New, key)
	m.Write(counter[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	code := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff % 1000000
	var digits [6]byte
	for i := 5; i >= 0; i-- {
		digits[i] = byte('0' + code%10)
		code /= 10
	}
	return append(dst, digits[:]...)
}
