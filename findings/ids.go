package findings

import (
	"fmt"
	"hash/maphash"
	"math"
)

// maxIDsKept bounds the ids remembered to find repeats: 1M ids are 16 MB.
const maxIDsKept = 1 << 20

// Alphabet classes an id's characters fall in, with their sizes.
const (
	classDigit = 1 << iota
	classHexLower
	classHexUpper
	classLower // g-z
	classUpper // G-Z
	classURLSafe
	classStd // + /
	classPad // =
	classOther
)

// idStats is the shape of the session ids a run was issued.
type idStats struct {
	count       int64
	minLen      int
	maxLen      int
	classes     int
	seed        maphash.Seed
	owner       map[uint64]int32 // id hash -> VU that got it, plus one
	repeats     int64
	repeatedReq string
	request     string
}

func newIDStats() idStats {
	return idStats{seed: maphash.MakeSeed(), owner: map[uint64]int32{}}
}

// SessionID tells of a session id the server issued to VU vu in answer
// to request. Ids given to two VUs are a finding; the shape of all of them
// says how guessable they are.
func (o *Observer) SessionID(request string, vu int, id string) {
	if o == nil || id == "" {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	s := &o.ids
	if s.count == 0 {
		s.minLen, s.request = len(id), request
	}
	s.count++
	s.minLen, s.maxLen = min(s.minLen, len(id)), max(s.maxLen, len(id))
	s.classes |= classesOf(id)
	h := maphash.String(s.seed, id)
	if prev, ok := s.owner[h]; ok {
		if int(prev) != vu+1 {
			s.repeats++
			if s.repeatedReq == "" {
				s.repeatedReq = request
			}
		}
		return
	}
	if len(s.owner) < maxIDsKept {
		s.owner[h] = int32(vu + 1)
	}
}

func classesOf(id string) int {
	c := 0
	for i := 0; i < len(id); i++ {
		switch b := id[i]; {
		case b >= '0' && b <= '9':
			c |= classDigit
		case b >= 'a' && b <= 'f':
			c |= classHexLower
		case b >= 'A' && b <= 'F':
			c |= classHexUpper
		case b >= 'g' && b <= 'z':
			c |= classLower
		case b >= 'G' && b <= 'Z':
			c |= classUpper
		case b == '-' || b == '_':
			c |= classURLSafe
		case b == '+' || b == '/':
			c |= classStd
		case b == '=':
			c |= classPad
		default:
			c |= classOther
		}
	}
	return c
}

// alphabet names the smallest usual alphabet holding the classes seen,
// and its size.
func alphabet(c int) (string, int) {
	letters := classHexLower | classLower | classHexUpper | classUpper
	switch {
	case c&^classDigit == 0:
		return "decimal digits", 10
	case c&^(classDigit|classHexUpper) == 0:
		return "upper-case hex", 16
	case c&^(classDigit|classHexLower) == 0:
		return "lower-case hex", 16
	case c&^(classDigit|classHexLower|classHexUpper) == 0:
		return "hex", 16
	case c&^(classDigit|letters) == 0:
		return "letters and digits", 62
	case c&^(classDigit|letters|classURLSafe|classStd|classPad) == 0:
		return "base64", 64
	}
	return "printable characters", 94
}

// findings are the ids' shape (Info, or a weakness under 64 bits) and
// the ids issued to two VUs.
func (s *idStats) findings() []Finding {
	if s.count == 0 {
		return nil
	}
	name, size := alphabet(s.classes)
	chars := s.minLen
	if s.classes&classPad != 0 {
		chars = s.minLen * 3 / 4 // base64 padding carries nothing
	}
	bits := float64(chars) * math.Log2(float64(size))
	length := fmt.Sprintf("%d characters", s.minLen)
	if s.maxLen != s.minLen {
		length = fmt.Sprintf("%d to %d characters", s.minLen, s.maxLen)
	}
	evidence := fmt.Sprintf("%d session ids issued: %s of %s, at most %.0f bits each (an upper bound from their length and alphabet: an id built from a counter or a clock has fewer)",
		s.count, length, name, bits)
	var out []Finding
	if bits < 64 {
		out = append(out, Finding{Kind: WeakIDs, Severity: High, Request: s.request, Count: s.count,
			Evidence: evidence + "; under 64 bits, ids can be guessed by trying"})
	} else {
		out = append(out, Finding{Kind: SessionIDsInfo, Severity: Info, Request: s.request, Count: s.count, Evidence: evidence})
	}
	if s.repeats > 0 {
		out = append(out, Finding{Kind: DuplicateIDs, Severity: High, Request: s.repeatedReq, Count: s.repeats,
			Evidence: fmt.Sprintf("%d session ids were issued to two different VUs: one user can land in another's session", s.repeats)})
	}
	return out
}
