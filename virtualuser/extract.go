package virtualuser

import (
	"bytes"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/PuerkitoBio/goquery"
	"github.com/andybalholm/cascadia"
	"github.com/tidwall/gjson"

	"github.com/cohort-dev/cohort/profiles"
)

type extractKind uint8

const (
	extractCSS extractKind = iota
	extractRegex
	extractJSON
	extractCookie
	extractHeader
)

type extractor struct {
	name     string
	slot     int
	kind     extractKind
	src      string // the selector, pattern, path or name, for messages
	css      cascadia.Selector
	attr     string
	re       *regexp.Regexp
	optional bool
	all      bool // every match, as a list
}

func (e *extractor) needsBody() bool {
	return e.kind == extractCSS || e.kind == extractRegex || e.kind == extractJSON
}

func (c *compiler) compileExtractor(field string, e *profiles.Extractor) (extractor, error) {
	ex := extractor{name: e.Name, slot: c.sc.vars[e.Name], attr: e.Attr, optional: e.Optional, all: e.All}
	switch {
	case e.CSS != "":
		m, err := compileSelector(e.CSS)
		if err != nil {
			return ex, c.p.Errorf(field+".css", "bad CSS selector %q: %v", e.CSS, err)
		}
		ex.kind, ex.src, ex.css = extractCSS, e.CSS, m
	case e.Header != "" && e.Regex != "":
		// The profile package has checked the regex compiles.
		ex.kind, ex.src, ex.re = extractHeader, http.CanonicalHeaderKey(e.Header), regexp.MustCompile(e.Regex)
	case e.Regex != "":
		ex.kind, ex.src, ex.re = extractRegex, e.Regex, regexp.MustCompile(e.Regex)
	case e.JSON != "":
		if err := checkJSONPath(e.JSON); err != nil {
			return ex, c.p.Errorf(field+".json", "bad JSON path %q: %v", e.JSON, err)
		}
		ex.kind, ex.src = extractJSON, e.JSON
	case e.Cookie != "":
		ex.kind, ex.src = extractCookie, e.Cookie
	case e.Header != "":
		ex.kind, ex.src = extractHeader, http.CanonicalHeaderKey(e.Header)
	default:
		return ex, c.p.Errorf(field, "give exactly one of css, regex, json, cookie and header")
	}
	return ex, nil
}

// checkJSONPath rejects the gjson paths that can only be typos: empty
// components and unbalanced brackets.
func checkJSONPath(path string) error {
	depth := 0
	for i := 0; i < len(path); i++ {
		switch path[i] {
		case '\\':
			i++
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
			if depth < 0 {
				return fmt.Errorf("unbalanced %q at offset %d", path[i], i)
			}
		case '.':
			if depth == 0 && (i == 0 || i == len(path)-1 || path[i+1] == '.') {
				return fmt.Errorf("empty component at offset %d", i)
			}
		}
	}
	if depth != 0 {
		return fmt.Errorf("unbalanced brackets")
	}
	return nil
}

// pageDoc parses a body as HTML at most once per response.
type pageDoc struct {
	body  []byte
	doc   *goquery.Document
	plain []byte // text(), once made
}

func (p *pageDoc) get() (*goquery.Document, error) {
	if p.doc == nil {
		d, err := goquery.NewDocumentFromReader(bytes.NewReader(p.body))
		if err != nil {
			return nil, err
		}
		p.doc = d
	}
	return p.doc, nil
}

// run extracts the value; found is false when the response lacks it.
func (e *extractor) run(r *response, page *pageDoc, cookie func(string) string) (value string, found bool) {
	switch e.kind {
	case extractCSS:
		doc, err := page.get()
		if err != nil {
			return "", false
		}
		sel := doc.FindMatcher(e.css).First()
		if sel.Length() == 0 {
			return "", false
		}
		if e.attr == "" {
			return strings.TrimSpace(sel.Text()), true
		}
		return sel.Attr(e.attr)
	case extractRegex:
		return submatch(e.re.FindSubmatch(r.body))
	case extractJSON:
		res := gjson.GetBytes(r.body, e.src)
		return res.String(), res.Exists()
	case extractCookie:
		v := cookie(e.src)
		return v, v != ""
	case extractHeader:
		v := r.header.Get(e.src)
		if e.re != nil {
			return submatch(e.re.FindSubmatch([]byte(v)))
		}
		return v, v != ""
	}
	return "", false
}

// submatch is a regex extractor's value: group 1 if there is one, else
// the whole match.
func submatch(m [][]byte) (string, bool) {
	switch {
	case m == nil:
		return "", false
	case len(m) > 1:
		return string(m[1]), true
	}
	return string(m[0]), true
}

// runAll extracts every match, in the page's order: the texts (or
// attribute) of every CSS match, group 1 (or the match) of every regex
// match, every element of a JSON array path (items.#.id).
func (e *extractor) runAll(r *response, page *pageDoc) []string {
	var out []string
	switch e.kind {
	case extractCSS:
		doc, err := page.get()
		if err != nil {
			return nil
		}
		doc.FindMatcher(e.css).Each(func(_ int, sel *goquery.Selection) {
			if e.attr == "" {
				out = append(out, strings.TrimSpace(sel.Text()))
			} else if v, ok := sel.Attr(e.attr); ok {
				out = append(out, v)
			}
		})
	case extractRegex:
		for _, m := range e.re.FindAllSubmatch(r.body, -1) {
			v, _ := submatch(m)
			out = append(out, v)
		}
	case extractJSON:
		res := gjson.GetBytes(r.body, e.src)
		if res.IsArray() {
			for _, x := range res.Array() {
				out = append(out, x.String())
			}
		} else if res.Exists() {
			out = append(out, res.String())
		}
	}
	return out
}

// describe says in words what the extractor looks for.
func (e *extractor) describe() string {
	switch e.kind {
	case extractCSS:
		if e.attr != "" {
			return fmt.Sprintf("attribute %s of CSS %s", e.attr, e.src)
		}
		return "text of CSS " + e.src
	case extractRegex:
		return "regex " + e.src
	case extractJSON:
		return "JSON path " + e.src
	case extractCookie:
		return "cookie " + e.src
	}
	if e.re != nil {
		return fmt.Sprintf("regex %s on header %s", e.re, e.src)
	}
	return "header " + e.src
}

var inputName = regexp.MustCompile(`^input\[name=["']?([^"'\]]+)["']?\]`)

// hint adds what the page does have, for an extractor that found nothing
// on an HTML form: the names of its inputs.
func (e *extractor) hint(page *pageDoc) string {
	if e.kind != extractCSS {
		return ""
	}
	m := inputName.FindStringSubmatch(e.src)
	if m == nil {
		return ""
	}
	doc, err := page.get()
	if err != nil {
		return ""
	}
	var names []string
	doc.Find("input[name]").Each(func(_ int, s *goquery.Selection) {
		if n, _ := s.Attr("name"); n != "" {
			names = append(names, n)
		}
	})
	if len(names) == 0 {
		return fmt.Sprintf("; the page has no input named %s, and no named input at all", m[1])
	}
	return fmt.Sprintf("; the page has no input named %s (its inputs: %s)", m[1], strings.Join(names, ", "))
}
