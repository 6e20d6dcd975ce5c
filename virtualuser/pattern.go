package virtualuser

import (
	"bytes"
	"regexp"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// pattern is a regular expression that may hold template references
// ({{user.username}}), whose values are matched as literal text (quoted).
// A constant one is compiled once; a templated one is compiled per VU when
// its value changes (a VU's user rarely does), and kept in the VU.
type pattern struct {
	src  string
	re   *regexp.Regexp // a constant pattern's
	tmpl *Template      // a templated one's, references quoted; else nil
	slot int            // the VU's cache slot of a templated pattern
}

// compiledPattern is a VU's compiled form of a templated pattern.
type compiledPattern struct {
	src string
	re  *regexp.Regexp
	err error
}

func (c *compiler) pattern(field, src string) (*pattern, error) {
	t, err := c.templateEsc(field, src, escRegex)
	if err != nil {
		return nil, err
	}
	p := &pattern{src: src}
	if t.Constant() {
		if p.re, err = regexp.Compile(src); err != nil {
			return nil, c.p.Errorf(field, "bad regular expression %q: %v", src, err)
		}
		return p, nil
	}
	p.tmpl, p.slot = t, c.pl.patterns
	c.pl.patterns++
	return p, nil
}

// String returns the pattern as the profile wrote it.
func (p *pattern) String() string { return p.src }

// get returns the regular expression for v's values.
func (p *pattern) get(v *VU) (*regexp.Regexp, error) {
	if p.tmpl == nil {
		return p.re, nil
	}
	if len(v.patterns) <= p.slot {
		v.patterns = append(v.patterns, make([]compiledPattern, p.slot+1-len(v.patterns))...)
	}
	c := &v.patterns[p.slot]
	v.scratch = p.tmpl.expand(v.scratch[:0], v)
	if c.re == nil && c.err == nil || string(v.scratch) != c.src {
		c.src = string(v.scratch)
		c.re, c.err = regexp.Compile(c.src)
	}
	return c.re, c.err
}

// match reports whether b matches p for v.
func (p *pattern) match(v *VU, b []byte) bool {
	re, err := p.get(v)
	return err == nil && re.Match(b)
}

// matchString is match on a string.
func (p *pattern) matchString(v *VU, s string) bool {
	re, err := p.get(v)
	return err == nil && re.MatchString(s)
}

// collapseSpace appends s with every run of white space made one space
// and none at either end: text as a browser lays it out, for matching
// text that the page breaks over lines or indents.
func collapseSpace(dst []byte, s []byte) []byte {
	space := false
	start := len(dst)
	for len(s) > 0 {
		r, n := utf8.DecodeRune(s)
		if unicode.IsSpace(r) {
			space = true
		} else {
			if space && len(dst) > start {
				dst = append(dst, ' ')
			}
			space = false
			dst = append(dst, s[:n]...)
		}
		s = s[n:]
	}
	return dst
}

// text is the text of a body for text_contains: an HTML page's text
// (scripts and styles left out), or the body itself, with white space
// collapsed. It is made once per response.
func (p *pageDoc) text() []byte {
	if p.plain != nil {
		return p.plain
	}
	raw := p.body
	if looksLikeHTML(p.body) {
		if doc, err := p.get(); err == nil {
			var b bytes.Buffer
			for _, n := range doc.Nodes {
				appendText(&b, n)
			}
			raw = b.Bytes()
		}
	}
	p.plain = collapseSpace(make([]byte, 0, len(raw)), raw)
	return p.plain
}

// appendText writes the text of n and its children, but not of scripts,
// styles and templates, which a browser does not show. Block elements are
// separated by a space ("<td>a</td><td>b</td>" is "a b"); inline ones are
// not ("Hello, <b>alice</b>." is "Hello, alice.").
func appendText(b *bytes.Buffer, n *html.Node) {
	switch n.Type {
	case html.TextNode:
		b.WriteString(n.Data)
		return
	case html.ElementNode:
		switch n.DataAtom {
		case atom.Script, atom.Style, atom.Template:
			return
		}
		if !inline[n.DataAtom] {
			b.WriteByte(' ')
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		appendText(b, c)
	}
}

// inline are the elements that flow within a line of text.
var inline = map[atom.Atom]bool{
	atom.A: true, atom.Abbr: true, atom.B: true, atom.Bdi: true, atom.Bdo: true, atom.Cite: true,
	atom.Code: true, atom.Data: true, atom.Dfn: true, atom.Em: true, atom.I: true, atom.Kbd: true,
	atom.Mark: true, atom.Q: true, atom.S: true, atom.Samp: true, atom.Small: true, atom.Span: true,
	atom.Strong: true, atom.Sub: true, atom.Sup: true, atom.Time: true, atom.U: true, atom.Var: true,
	atom.Label: true, atom.Font: true,
}

func looksLikeHTML(b []byte) bool {
	b = bytes.TrimLeftFunc(b[:min(len(b), 512)], unicode.IsSpace)
	return len(b) > 0 && b[0] == '<'
}

// textContains reports whether the text of the page contains want, both
// with white space collapsed.
func textContains(page *pageDoc, want []byte) bool {
	return bytes.Contains(page.text(), collapseSpace(nil, want))
}
