package metrics

// CookieDrop says why a VU's cookie jar refused or evicted a cookie, as a
// browser would have.
type CookieDrop uint8

// Reasons a cookie is dropped.
const (
	// DropNone is no drop.
	DropNone CookieDrop = iota
	// DropTooLarge is a cookie whose name and value pass 4096 bytes.
	DropTooLarge
	// DropForeignDomain is a Domain attribute the request's host is not in.
	DropForeignDomain
	// DropPublicSuffix is a Domain attribute that is a public suffix.
	DropPublicSuffix
	// DropPrefix is a __Secure- or __Host- cookie that breaks its prefix's rule.
	DropPrefix
	// DropInsecure is a Secure cookie (or one overwriting a Secure cookie)
	// from an origin that is not secure.
	DropInsecure
	// DropEvicted is an older cookie pushed out by the per-site or total limit.
	DropEvicted
	// NumCookieDrops bounds the reasons.
	NumCookieDrops
)

var cookieDropNames = [NumCookieDrops]string{"", "too_large", "foreign_domain", "public_suffix", "prefix", "insecure", "evicted"}

// String names the reason as results and metrics do.
func (d CookieDrop) String() string {
	if d < NumCookieDrops {
		return cookieDropNames[d]
	}
	return "other"
}

// CookieDropByName returns the reason a result file names, and whether it
// is one.
func CookieDropByName(name string) (CookieDrop, bool) {
	for i, n := range cookieDropNames {
		if n == name && i > 0 {
			return CookieDrop(i), true
		}
	}
	return DropNone, false
}

// CookieDrops counts dropped cookies by reason.
type CookieDrops [NumCookieDrops]uint32
