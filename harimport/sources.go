package harimport

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/PuerkitoBio/goquery"
)

// Kinds of source, in the order of preference when one response holds a
// value in several places: a JSON path and a CSS selector name the
// value's meaning, a header less so. (A cookie needs no source: the
// VU's jar has it, and a request that echoes one reads {{cookie.NAME}}.)
const (
	fromJSON = iota
	fromCSS
	fromHeader
)

// source is a place in a response where a value can be read again.
type source struct {
	hop  int
	kind int
	// name is the variable name the value suggests (the field, the key).
	name string
	// css and attr, json or header say where the value is.
	css, attr, json, header string
	// all: the selector matches several elements, the value among them;
	// the request takes one of them at random ({{pick}}).
	all bool
	// form is the action of the form an input belongs to (resolved
	// path), for the inputs of the form a request posts; typed marks an
	// input a person fills in (not hidden), taken only for its own form.
	form  string
	typed bool
	value string
}

// describe says where a source is, for the report.
func (s *source) describe() string {
	switch s.kind {
	case fromJSON:
		return "JSON " + s.json
	case fromCSS:
		return fmt.Sprintf("%s of %s", s.attr, s.css)
	}
	return "header " + s.header
}

// index holds every source of the recording by value.
type index struct {
	byValue map[string][]*source
}

func (ix *index) add(s *source) {
	if s.value == "" {
		return
	}
	ix.byValue[s.value] = append(ix.byValue[s.value], s)
}

// plainHeaders are response headers whose values are never a value a
// client sends back.
var plainHeaders = map[string]bool{
	"date": true, "server": true, "content-type": true, "content-length": true,
	"content-encoding": true, "transfer-encoding": true, "connection": true,
	"keep-alive": true, "cache-control": true, "pragma": true, "expires": true,
	"vary": true, "set-cookie": true, "x-content-type-options": true,
	"x-frame-options": true, "x-xss-protection": true, "strict-transport-security": true,
	"content-security-policy": true, "referrer-policy": true, "last-modified": true,
	"etag": true, "accept-ranges": true, "age": true, "via": true, "x-instance": true,
}

// addResponse indexes what hop i's response holds.
func (ix *index) addResponse(i int, h *hop) {
	r := &h.entry.Response
	for _, nv := range r.Headers {
		n := strings.ToLower(nv.Name)
		if plainHeaders[n] || strings.HasPrefix(n, "access-control-") {
			continue
		}
		ix.add(&source{hop: i, kind: fromHeader, header: nv.Name, name: headerVar(nv.Name, nv.Value), value: nv.Value})
		if n == "location" {
			if u, err := h.url.Parse(nv.Value); err == nil && u.Host == h.url.Host && u.Path != nv.Value {
				ix.add(&source{hop: i, kind: fromHeader, header: nv.Name, name: headerVar(nv.Name, nv.Value), value: u.RequestURI()})
			}
		}
	}
	body := r.body()
	switch m := r.mime(); {
	case strings.Contains(m, "json"):
		if v, ok := decodeJSON(body); ok {
			walkJSON(v, "", func(path, key, value string) {
				ix.add(&source{hop: i, kind: fromJSON, json: path, name: varName(key), value: value})
			})
		}
	case strings.Contains(m, "html") || bytes.HasPrefix(bytes.TrimSpace(body), []byte("<")):
		ix.addHTML(i, h, body)
	}
}

// setCookies returns the cookies a response set, from its cookies list
// or, when a HAR writer leaves that out, its Set-Cookie headers.
func setCookies(r *Response) []NV {
	if len(r.Cookies) > 0 {
		return r.Cookies
	}
	var out []NV
	for _, nv := range r.Headers {
		if !strings.EqualFold(nv.Name, "Set-Cookie") {
			continue
		}
		for _, line := range strings.Split(nv.Value, "\n") {
			kv, _, _ := strings.Cut(line, ";")
			k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
			if ok && k != "" {
				out = append(out, NV{Name: k, Value: strings.Trim(v, `"`)})
			}
		}
	}
	return out
}

// addHTML indexes the values of a page a browser sends back: hidden
// inputs (by their form), meta tags, links and form actions.
func (ix *index) addHTML(i int, h *hop, body []byte) {
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		return
	}
	doc.Find("input[name]").Each(func(_ int, in *goquery.Selection) {
		name, _ := in.Attr("name")
		value, ok := in.Attr("value")
		typ, _ := in.Attr("type")
		if !ok || value == "" || strings.Contains(name, `"`) {
			return
		}
		s := &source{hop: i, kind: fromCSS, attr: "value", name: varName(name), value: value}
		form := in.Closest("form")
		if action, ok := form.Attr("action"); ok {
			if u, err := h.url.Parse(action); err == nil {
				s.form = stripPathParams(u.Path)
			}
		}
		s.css = inputSelector(doc, form, name, value)
		if s.css == "" {
			return
		}
		// What a person typed or left as it was: only a form's own field
		// is taken from it, never a coincidence elsewhere.
		s.typed = !strings.EqualFold(typ, "hidden")
		ix.add(s)
	})
	doc.Find("meta[name][content]").Each(func(_ int, m *goquery.Selection) {
		name, _ := m.Attr("name")
		content, _ := m.Attr("content")
		if strings.Contains(name, `"`) {
			return
		}
		sel := fmt.Sprintf(`meta[name="%s"]`, name)
		if first, _ := doc.Find(sel).First().Attr("content"); first == content {
			ix.add(&source{hop: i, kind: fromCSS, css: sel, attr: "content", name: varName(name), value: content})
		}
	})
	doc.Find("a[href]").Each(func(_ int, a *goquery.Selection) {
		href, _ := a.Attr("href")
		if sel, all, name := linkSelector(doc, a, href); sel != "" {
			ix.addLink(&source{hop: i, kind: fromCSS, css: sel, attr: "href", all: all, name: name, value: href})
		}
	})
	doc.Find("form[action]").Each(func(_ int, f *goquery.Selection) {
		action, _ := f.Attr("action")
		if id, ok := f.Attr("id"); ok && cssIdent.MatchString(id) {
			ix.addLink(&source{hop: i, kind: fromCSS, css: "form#" + id, attr: "action", name: varName(id) + "_action", value: action})
		}
	})
}

// addLink indexes a link whose attribute is a path or a URL: what an
// extractor gives back is then usable as a request's path as it is.
func (ix *index) addLink(s *source) {
	if strings.HasPrefix(s.value, "/") || strings.HasPrefix(s.value, "http://") || strings.HasPrefix(s.value, "https://") {
		ix.add(s)
	}
}

var cssIdent = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]*$`)

// inputSelector finds the shortest selector whose first match is this
// input with this value: by name alone, or within its form.
func inputSelector(doc *goquery.Document, form *goquery.Selection, name, value string) string {
	plain := fmt.Sprintf(`input[name="%s"]`, name)
	var scoped []string
	if id, ok := form.Attr("id"); ok && cssIdent.MatchString(id) {
		scoped = append(scoped, "form#"+id+" "+plain)
	}
	if action, ok := form.Attr("action"); ok && !strings.Contains(action, `"`) {
		scoped = append(scoped, fmt.Sprintf(`form[action="%s"] %s`, action, plain))
	}
	// A form's own selector first when the page has several forms: the
	// extractor then reads the form the request posts.
	cands := append(scoped, plain)
	if doc.Find("form").Length() <= 1 {
		cands = append([]string{plain}, scoped...)
	}
	for _, sel := range cands {
		if v, _ := doc.Find(sel).First().Attr("value"); v == value {
			return sel
		}
	}
	return ""
}

// linkSelector names a link by its id, its class, or its text; all says
// the selector matches other links too, one of which the request took.
func linkSelector(doc *goquery.Document, a *goquery.Selection, href string) (sel string, all bool, name string) {
	if id, ok := a.Attr("id"); ok && cssIdent.MatchString(id) {
		return "a#" + id, false, varName(id)
	}
	if class, ok := a.Attr("class"); ok {
		for _, c := range strings.Fields(class) {
			if !cssIdent.MatchString(c) {
				continue
			}
			sel := "a." + c
			matches := doc.Find(sel)
			first, _ := matches.First().Attr("href")
			return sel, first != href || matches.Length() > 1, varName(c)
		}
	}
	text := strings.Join(strings.Fields(a.Text()), " ")
	if text == "" || len(text) > 40 || strings.ContainsAny(text, `"\`) {
		return "", false, ""
	}
	sel = fmt.Sprintf(`a:contains("%s")`, text)
	if first, _ := doc.Find(sel).First().Attr("href"); first != href {
		return "", false, ""
	}
	return sel, false, varName(text)
}

// decodeJSON decodes a JSON document, numbers kept as written.
func decodeJSON(b []byte) (any, bool) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if d.Decode(&v) != nil || d.More() {
		return nil, false
	}
	return v, true
}

var gjsonPlain = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// walkJSON calls fn with the gjson path, the key and the value of each
// string and number leaf.
func walkJSON(v any, prefix string, fn func(path, key, value string)) {
	join := func(k string) string {
		if prefix == "" {
			return k
		}
		return prefix + "." + k
	}
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if !gjsonPlain.MatchString(k) {
				continue
			}
			if leaf, ok := jsonLeaf(x[k]); ok {
				fn(join(k), k, leaf)
				continue
			}
			walkJSON(x[k], join(k), fn)
		}
	case []any:
		for i, e := range x {
			k := strconv.Itoa(i)
			if leaf, ok := jsonLeaf(e); ok {
				fn(join(k), lastKey(prefix), leaf)
				continue
			}
			walkJSON(e, join(k), fn)
		}
	}
}

func lastKey(path string) string {
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[i+1:]
	}
	return path
}

func jsonLeaf(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	}
	return "", false
}

// varName makes a variable name of a field's, a key's or a cookie's.
func varName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9' && b.Len() > 0:
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "_"):
			b.WriteByte('_')
		}
	}
	out := strings.TrimRight(b.String(), "_")
	if out == "" {
		return "value"
	}
	return out
}

// headerVar names a header's value: a Location by the resource it names
// (/shop/orders/2: orders_url).
func headerVar(name, value string) string {
	if !strings.EqualFold(name, "Location") {
		return varName(name)
	}
	u, err := url.Parse(value)
	if err != nil {
		return "location"
	}
	segs := strings.Split(strings.Trim(u.Path, "/"), "/")
	for i := len(segs) - 1; i >= 0; i-- {
		if s := varName(segs[i]); s != "value" && !isDigits(segs[i]) {
			return s + "_url"
		}
	}
	return "location"
}

func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}
