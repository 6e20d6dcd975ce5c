package virtualuser

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// refKind says what a template part refers to.
type refKind uint8

const (
	refLiteral   refKind = iota
	refUser              // {{user.COLUMN}}
	refVar               // {{vars.NAME}}
	refCookie            // {{cookie.NAME}}
	refVUID              // {{vu.id}}
	refIteration         // {{vu.iteration}}
	refPick              // {{pick vars.NAME}}: one of a list at random
	refNth               // {{nth vars.NAME}}: the one of the VU's iteration
	refFunc              // {{uuid}}, {{sha256 vars.x}}, ...: funcs.go
)

// escape says how a value is written into its surroundings.
type escape uint8

const (
	escRaw escape = iota
	escJSON
	escPath  // a URL path segment: url.PathEscape
	escQuery // a URL query value: url.QueryEscape
	escRegex // literal text in a regular expression: regexp.QuoteMeta
	// escURL is not a part's escape but a template's: each reference is
	// escaped for where it stands in the URL (urlEscape).
	escURL
)

// rawPrefix opts a reference out of escaping: {{raw vars.next}}.
const rawPrefix = "raw "

type part struct {
	kind refKind
	esc  escape
	lit  string // literal text, or the reference's name
	idx  int    // user column or variable slot
	fn   funcKind
	args []part // a function's reference arguments
	nums []int  // a function's number arguments
}

// isVar says whether the part is a variable's value, alone or picked from
// its list.
func (p *part) isVar() bool { return p.kind == refVar || p.kind == refPick || p.kind == refNth }

// Template is a string with {{...}} references, parsed once when the
// profile is compiled so that expanding it walks a slice and allocates
// nothing of its own.
type Template struct {
	src   string
	parts []part
}

// String returns the template's source.
func (t *Template) String() string { return t.src }

// Constant reports whether the template has no references.
func (t *Template) Constant() bool {
	for _, p := range t.parts {
		if p.kind != refLiteral {
			return false
		}
	}
	return true
}

// scope resolves names while templates are compiled.
type scope struct {
	columns []string       // user columns
	vars    map[string]int // variable name -> slot
	totp    []int          // user columns holding TOTP secrets
}

// parseTemplate parses src; references are checked against sc.
func parseTemplate(src string, sc *scope, esc escape) (*Template, error) {
	t := &Template{src: src}
	rest := src
	for {
		open := strings.Index(rest, "{{")
		if open < 0 {
			t.addLiteral(rest, esc)
			return t, nil
		}
		t.addLiteral(rest[:open], esc)
		end := strings.Index(rest[open:], "}}")
		if end < 0 {
			return nil, fmt.Errorf("unclosed {{ in %q", src)
		}
		ref := strings.TrimSpace(rest[open+2 : open+end])
		raw := strings.HasPrefix(ref, rawPrefix)
		ref = strings.TrimSpace(strings.TrimPrefix(ref, rawPrefix))
		p, err := sc.resolveList(ref)
		if err != nil {
			return nil, err
		}
		switch {
		case raw:
			p.esc = escRaw
		case esc == escURL:
			p.esc = urlEscape(t.placeholder())
		default:
			p.esc = esc
		}
		t.parts = append(t.parts, p)
		rest = rest[open+end+2:]
	}
}

// urlEscape is how a reference is escaped in a URL template, from the
// text before it: nothing before it, or a scheme and host not yet ended,
// is a URL or host given whole (raw); after a '?', a query value; else a
// path segment. So a username "../admin?x=1" stays in its segment.
func urlEscape(before string) escape {
	if before == "" {
		return escRaw
	}
	if strings.ContainsAny(before, "?#") {
		return escQuery
	}
	if _, host, ok := strings.Cut(before, "://"); ok && !strings.Contains(host, "/") {
		return escRaw
	}
	return escPath
}

// placeholder is the template so far with each reference written as "x":
// what urlEscape reads.
func (t *Template) placeholder() string {
	var b strings.Builder
	for _, p := range t.parts {
		if p.kind == refLiteral {
			b.WriteString(p.lit)
		} else {
			b.WriteByte('x')
		}
	}
	return b.String()
}

func (t *Template) addLiteral(s string, esc escape) {
	if s == "" {
		return
	}
	if esc == escJSON {
		s = jsonEscape(s)
	}
	if n := len(t.parts); n > 0 && t.parts[n-1].kind == refLiteral {
		t.parts[n-1].lit += s
		return
	}
	t.parts = append(t.parts, part{kind: refLiteral, lit: s})
}

// resolveList resolves "pick vars.NAME" and "nth vars.NAME", the list
// picks, and any other reference as resolve does.
func (sc *scope) resolveList(ref string) (part, error) {
	if p, ok, err := sc.resolveFunc(ref); ok {
		return p, err
	}
	for word, kind := range map[string]refKind{"pick ": refPick, "nth ": refNth} {
		if rest, ok := strings.CutPrefix(ref, word); ok {
			p, err := sc.resolve(strings.TrimSpace(rest))
			if err != nil {
				return part{}, err
			}
			if p.kind != refVar {
				return part{}, fmt.Errorf("{{%s}}: %s picks from a variable: {{%svars.NAME}}", ref, strings.TrimSpace(word), word)
			}
			p.kind = kind
			return p, nil
		}
	}
	return sc.resolve(ref)
}

func (sc *scope) resolve(ref string) (part, error) {
	ns, name, _ := strings.Cut(ref, ".")
	switch {
	case ns == "user" && name != "":
		i := slices.Index(sc.columns, name)
		if i < 0 {
			return part{}, fmt.Errorf("{{%s}}: the users have no column %q (columns: %s)", ref, name, strings.Join(sc.columns, ", "))
		}
		return part{kind: refUser, lit: name, idx: i}, nil
	case ns == "vars" && name != "":
		slot, ok := sc.vars[name]
		if !ok {
			return part{}, fmt.Errorf("{{%s}}: no step extracts a variable named %q", ref, name)
		}
		return part{kind: refVar, lit: name, idx: slot}, nil
	case ns == "cookie" && name != "":
		return part{kind: refCookie, lit: name}, nil
	case ref == "vu.id":
		return part{kind: refVUID}, nil
	case ref == "vu.iteration":
		return part{kind: refIteration}, nil
	}
	return part{}, fmt.Errorf("unknown template reference {{%s}} (want user.COLUMN, vars.NAME, cookie.NAME, vu.id, vu.iteration, pick or nth vars.NAME, or a function: uuid, randint, randstr, now.unix, now.unix_ms, now.rfc3339, sha256, hmac_sha256, base64, base64url, urlencode, totp; optionally after raw)", ref)
}

// env is what templates are expanded against.
type env interface {
	userValue(i int) string
	varValue(slot int) string
	cookieValue(name string) string
	vuID() int
	iteration() int64
	listValue(slot int) []string
	intn(n int) int
	now() time.Time
}

// expand appends the template's value to dst.
func (t *Template) expand(dst []byte, e env) []byte {
	for i := range t.parts {
		p := &t.parts[i]
		var v string
		switch p.kind {
		case refLiteral:
			dst = append(dst, p.lit...)
			continue
		case refUser:
			v = e.userValue(p.idx)
		case refVar:
			v = e.varValue(p.idx)
		case refPick, refNth:
			list := e.listValue(p.idx)
			switch {
			case len(list) == 0:
			case p.kind == refPick:
				v = list[e.intn(len(list))]
			default:
				v = list[e.iteration()%int64(len(list))]
			}
		case refCookie:
			v = e.cookieValue(p.lit)
		case refVUID:
			dst = strconv.AppendInt(dst, int64(e.vuID()), 10)
			continue
		case refIteration:
			dst = strconv.AppendInt(dst, e.iteration(), 10)
			continue
		case refFunc:
			if p.esc == escRaw {
				dst = appendFunc(dst, p, e)
				continue
			}
			v = string(appendFunc(nil, p, e))
		}
		switch p.esc {
		case escJSON:
			dst = appendJSONEscaped(dst, v)
		case escPath:
			dst = appendPathSegment(dst, v)
		case escQuery:
			dst = append(dst, url.QueryEscape(v)...)
		case escRegex:
			dst = append(dst, regexp.QuoteMeta(v)...)
		default:
			dst = append(dst, v...)
		}
	}
	return dst
}

// expandString is expand for the places that need a string.
func (t *Template) expandString(e env) string {
	if len(t.parts) == 1 && t.parts[0].kind == refLiteral {
		return t.parts[0].lit
	}
	return string(t.expand(nil, e))
}

// appendPathSegment appends v escaped as a path segment, dot segments
// too: a value ".." must not climb out of its place when the URL is
// resolved.
func appendPathSegment(dst []byte, v string) []byte {
	switch v {
	case ".":
		return append(dst, "%2E"...)
	case "..":
		return append(dst, "%2E%2E"...)
	}
	return append(dst, url.PathEscape(v)...) // v itself when nothing needs escaping
}

func jsonEscape(s string) string { return string(appendJSONEscaped(nil, s)) }

// appendJSONEscaped appends s as the inside of a JSON string.
func appendJSONEscaped(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// jsonTemplate turns a YAML value into a JSON body template: structure and
// keys are fixed, string values may hold references.
func jsonTemplate(v any, sc *scope) (*Template, error) {
	t := &Template{}
	if err := t.addJSON(v, sc); err != nil {
		return nil, err
	}
	t.src = string(t.expand(nil, placeholderEnv{}))
	return t, nil
}

func (t *Template) addJSON(v any, sc *scope) error {
	switch x := v.(type) {
	case string:
		t.addLiteral(`"`, escRaw)
		s, err := parseTemplate(x, sc, escJSON)
		if err != nil {
			return err
		}
		for _, p := range s.parts {
			if p.kind == refLiteral {
				t.addLiteral(p.lit, escRaw) // already escaped
			} else {
				t.parts = append(t.parts, p)
			}
		}
		t.addLiteral(`"`, escRaw)
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		t.addLiteral("{", escRaw)
		for i, k := range keys {
			if i > 0 {
				t.addLiteral(",", escRaw)
			}
			t.addLiteral(`"`+jsonEscape(k)+`":`, escRaw)
			if err := t.addJSON(x[k], sc); err != nil {
				return err
			}
		}
		t.addLiteral("}", escRaw)
	case []any:
		t.addLiteral("[", escRaw)
		for i, e := range x {
			if i > 0 {
				t.addLiteral(",", escRaw)
			}
			if err := t.addJSON(e, sc); err != nil {
				return err
			}
		}
		t.addLiteral("]", escRaw)
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return fmt.Errorf("cannot write %v as JSON: %v", x, err)
		}
		t.addLiteral(string(b), escRaw)
	}
	return nil
}

// placeholderEnv shows references by name, for messages.
type placeholderEnv struct{}

func (placeholderEnv) userValue(int) string        { return "<user>" }
func (placeholderEnv) varValue(int) string         { return "<var>" }
func (placeholderEnv) cookieValue(n string) string { return "<cookie " + n + ">" }
func (placeholderEnv) vuID() int                   { return 0 }
func (placeholderEnv) iteration() int64            { return 0 }
func (placeholderEnv) listValue(int) []string      { return []string{"<var>"} }
func (placeholderEnv) intn(int) int                { return 0 }
func (placeholderEnv) now() time.Time              { return time.Unix(0, 0) }
