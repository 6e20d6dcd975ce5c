package virtualuser

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

type fakeEnv struct {
	user    []string
	vars    []string
	lists   map[int][]string
	cookies map[string]string
}

func (f fakeEnv) userValue(i int) string      { return f.user[i] }
func (f fakeEnv) varValue(i int) string       { return f.vars[i] }
func (f fakeEnv) cookieValue(n string) string { return f.cookies[n] }
func (f fakeEnv) vuID() int                   { return 7 }
func (f fakeEnv) iteration() int64            { return 42 }
func (f fakeEnv) listValue(i int) []string    { return f.lists[i] }
func (f fakeEnv) intn(n int) int              { return n - 1 }
func (f fakeEnv) now() time.Time              { return time.Unix(1700000000, 0) }

func TestTemplates(t *testing.T) {
	sc := &scope{columns: []string{"username", "password", "email"}, vars: map[string]int{"csrf": 0, "token": 1}}
	e := fakeEnv{user: []string{"alice", `p"w\d`, "a@x"}, vars: []string{"abc", "t0k"}, cookies: map[string]string{"XSRF-TOKEN": "xs"},
		lists: map[int][]string{0: {"c1", "c2", "c/3"}, 1: {"t0k"}}}
	cases := []struct {
		src, want, err string
		esc            escape
	}{
		{src: "plain", want: "plain"},
		{src: "{{user.username}}:{{ user.email }}", want: "alice:a@x"},
		{src: "Bearer {{vars.token}}", want: "Bearer t0k"},
		{src: "{{cookie.XSRF-TOKEN}}/{{cookie.missing}}", want: "xs/"},
		{src: "vu {{vu.id}} it {{vu.iteration}}", want: "vu 7 it 42"},
		{src: `{{user.password}}`, esc: escJSON, want: `p\"w\\d`},
		{src: "{{user.phone}}", err: `the users have no column "phone"`},
		{src: "{{vars.nope}}", err: `no step extracts a variable named "nope"`},
		{src: "{{env.HOME}}", err: "unknown template reference {{env.HOME}}"},
		{src: "{{vars.csrf", err: "unclosed {{"},
		// In a URL each reference is escaped for where it stands.
		{src: "/users/{{vars.csrf}}/orders?q={{vars.token}}", esc: escURL, want: "/users/abc/orders?q=t0k"},
		{src: "/users/{{user.username}}", esc: escURL, want: "/users/..%2F..%2Fadmin%3Fx=1%23frag"},
		{src: "/search?q={{user.username}}&n=1", esc: escURL, want: "/search?q=..%2F..%2Fadmin%3Fx%3D1%23frag&n=1"},
		{src: "/a?{{user.email}}#{{user.email}}", esc: escURL, want: "/a?a%26b+c#a%26b+c"},
		{src: "{{vars.csrf}}/next", esc: escURL, want: "abc/next"},                   // a URL or path given whole
		{src: "http://{{vars.csrf}}:8080/x", esc: escURL, want: "http://abc:8080/x"}, // a host
		{src: "/go/{{raw user.username}}", esc: escURL, want: "/go/../../admin?x=1#frag"},
		{src: `{{raw user.password}}`, esc: escJSON, want: `p"w\d`},
	}
	hostile := fakeEnv{user: []string{"../../admin?x=1#frag", "", "a&b c"}, vars: e.vars, lists: e.lists}
	for _, c := range cases {
		t.Run(c.src, func(t *testing.T) {
			env := e
			if c.esc == escURL && strings.Contains(c.src, "user.") || strings.Contains(c.src, "raw user.username") {
				env = hostile
			}
			tm, err := parseTemplate(c.src, sc, c.esc)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := string(tm.expand(nil, env)); got != c.want {
				t.Fatalf("expand = %q, want %q", got, c.want)
			}
		})
	}
}

func TestJSONTemplate(t *testing.T) {
	sc := &scope{columns: []string{"username", "password"}, vars: map[string]int{}}
	v := map[string]any{"username": "{{user.username}}", "password": "{{user.password}}", "remember": true, "n": 2, "tags": []any{"a\"b", nil}}
	tm, err := jsonTemplate(v, sc)
	if err != nil {
		t.Fatal(err)
	}
	got := string(tm.expand(nil, fakeEnv{user: []string{"bob", "x\"y\n"}}))
	want := `{"n":2,"password":"x\"y\u000a","remember":true,"tags":["a\"b",null],"username":"bob"}`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestTemplateExpandDoesNotAllocate(t *testing.T) {
	sc := &scope{columns: []string{"username", "password"}, vars: map[string]int{"csrf": 0}}
	tm, _ := parseTemplate("/api/{{user.username}}?t={{vars.csrf}}&i={{vu.iteration}}", sc, escURL)
	e := &fakeEnv{user: []string{"u", "p"}, vars: []string{"c"}}
	buf := make([]byte, 0, 128)
	if n := testing.AllocsPerRun(100, func() { buf = tm.expand(buf[:0], e) }); n != 0 {
		t.Fatalf("expand allocates %v times", n)
	}
}

func TestPageText(t *testing.T) {
	cases := []struct{ body, want string }{
		{"<p>Hello, <b>alice</b>.</p>", "Hello, alice."},
		{"<table><tr><td>a</td><td>b</td></tr></table>", "a b"},
		{"<p>remote user\n   <b>\n  alice\n </b></p><script>var x = 'hidden';</script>", "remote user alice"},
		{"plain   text\n body", "plain text body"},
	}
	for _, c := range cases {
		p := &pageDoc{body: []byte(c.body)}
		if got := string(p.text()); got != c.want {
			t.Errorf("text of %q = %q, want %q", c.body, got, c.want)
		}
	}
}

// TestTemplateFunctions: each function's value on a fixed clock and a
// random source that always draws its largest value.
func TestTemplateFunctions(t *testing.T) {
	sc := &scope{columns: []string{"username", "password", "otp"}, vars: map[string]int{"body": 0}}
	e := fakeEnv{user: []string{"alice", "p", "gezd gnbv gy3t qojq gezd gnbv gy3t qojq"}, vars: []string{"abc"}}
	cases := []struct{ src, want, err string }{
		{src: "{{now.unix}}/{{now.unix_ms}}/{{now.rfc3339}}", want: "1700000000/1700000000000/2023-11-14T22:13:20Z"},
		{src: "{{sha256 vars.body}}", want: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{src: "{{hmac_sha256 user.username vars.body}}", want: "9eb2c3ca52adb99ff02f6e3bf23139c0096a5f9eb5a0f19c62a5a1c4dfb559cd"},
		{src: "{{base64 user.username}} {{base64url vars.body}} {{urlencode user.password}}", want: "YWxpY2U= YWJj p"},
		{src: "{{totp user.otp}}", want: "921300"}, // RFC 6238's SHA-1 secret, at 1700000000
		{src: "{{randint 5 9}} {{randstr 3}}", want: "9 999"},
		{src: "{{sha256}}", err: "sha256 takes 1 argument(s), got 0"},
		{src: "{{randint 9 5}}", err: "wants MIN <= MAX"},
		{src: "{{base64 vars.nope}}", err: `no step extracts a variable named "nope"`},
	}
	for _, c := range cases {
		tm, err := parseTemplate(c.src, sc, escRaw)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: error %v, want %q", c.src, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", c.src, err)
		}
		if got := string(tm.expand(nil, e)); got != c.want {
			t.Errorf("%s = %q, want %q", c.src, got, c.want)
		}
	}
	tm, _ := parseTemplate("{{uuid}}", sc, escRaw)
	if u := string(tm.expand(nil, e)); !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(u) {
		t.Errorf("uuid %q is not a version 4 UUID", u)
	}
	if appendTOTP(nil, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", time.Unix(59, 0)) == nil || string(appendTOTP(nil, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", time.Unix(59, 0))) != "287082" {
		t.Error("TOTP at 59 s is not RFC 6238's 287082")
	}
}
