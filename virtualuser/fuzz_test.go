package virtualuser

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/cohort-dev/cohort/profiles"
)

// FuzzTemplate parses and expands arbitrary templates: no panic, and a
// template without references expands to itself.
func FuzzTemplate(f *testing.F) {
	for _, s := range []string{"plain", "{{user.username}}", "{{vars.csrf}}x{{cookie.A}}", "{{", "}}{{vu.id}}", "{{ user.password }}", "a{{b}}c",
		"{{uuid}}", "{{sha256 vars.csrf}}", "{{hmac_sha256 user.password vars.csrf}}", "{{randint 1 3}}{{randstr 5}}",
		"{{totp user.password}}", "{{now.rfc3339}}", "{{base64url cookie.A}}", "{{pick vars.csrf}}", "{{nth vars.csrf}}", "{{raw urlencode user.username}}"} {
		f.Add(s)
	}
	sc := &scope{columns: []string{"username", "password"}, vars: map[string]int{"csrf": 0}}
	e := &fakeEnv{user: []string{"u", "p"}, vars: []string{"c\"s\\rf"}, cookies: map[string]string{"A": "1"}}
	f.Fuzz(func(t *testing.T, src string) {
		for _, esc := range []escape{escRaw, escJSON, escURL, escRegex} {
			tm, err := parseTemplate(src, sc, esc)
			if err != nil {
				continue
			}
			out := string(tm.expand(nil, e))
			if esc == escRaw && !strings.Contains(src, "{{") && out != src {
				t.Fatalf("literal %q expanded to %q", src, out)
			}
		}
	})
}

// FuzzExtractors runs every kind of extractor on arbitrary bodies.
func FuzzExtractors(f *testing.F) {
	f.Add([]byte(`<input name="_csrf" value="x">`), `input[name="_csrf"]`, `token = "(\w+)"`, "a.b")
	f.Add([]byte(`{"a":{"b":[1,2]}}`), "div > p", `(`, "a.b.1")
	f.Add([]byte{0xff, 0xfe, '<'}, "*", `.*`, "..")
	f.Fuzz(func(t *testing.T, body []byte, css, regex, path string) {
		r := &response{status: 200, header: http.Header{"X-A": {"1"}}, body: body}
		c := &compiler{p: &profiles.Profile{File: "fuzz"}, pl: &Plan{}, sc: &scope{vars: map[string]int{"v": 0}}}
		for _, pe := range []profiles.Extractor{
			{Name: "v", CSS: css, Attr: "value"}, {Name: "v", CSS: css}, {Name: "v", JSON: path},
			{Name: "v", Cookie: "A"}, {Name: "v", Header: "x-a"},
		} {
			ex, err := c.compileExtractor("f", &pe)
			if err != nil {
				continue
			}
			page := pageDoc{body: body}
			ex.run(r, &page, func(string) string { return "" })
			ex.hint(&page)
		}
		if re, err := regexp.Compile(regex); err == nil {
			ex := extractor{name: "v", kind: extractRegex, src: regex, re: re}
			ex.run(r, &pageDoc{body: body}, nil)
		}
	})
}
