package virtualuser

import (
	"strings"
	"testing"
)

type fakeEnv struct {
	user    []string
	vars    []string
	cookies map[string]string
}

func (f fakeEnv) userValue(i int) string      { return f.user[i] }
func (f fakeEnv) varValue(i int) string       { return f.vars[i] }
func (f fakeEnv) cookieValue(n string) string { return f.cookies[n] }
func (f fakeEnv) vuID() int                   { return 7 }
func (f fakeEnv) iteration() int64            { return 42 }

func TestTemplates(t *testing.T) {
	sc := &scope{columns: []string{"username", "password", "email"}, vars: map[string]int{"csrf": 0, "token": 1}}
	e := fakeEnv{user: []string{"alice", `p"w\d`, "a@x"}, vars: []string{"abc", "t0k"}, cookies: map[string]string{"XSRF-TOKEN": "xs"}}
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
	}
	for _, c := range cases {
		t.Run(c.src, func(t *testing.T) {
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
			if got := string(tm.expand(nil, e)); got != c.want {
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
	tm, _ := parseTemplate("/api/{{user.username}}?t={{vars.csrf}}&i={{vu.iteration}}", sc, escRaw)
	e := &fakeEnv{user: []string{"u", "p"}, vars: []string{"c"}}
	buf := make([]byte, 0, 128)
	if n := testing.AllocsPerRun(100, func() { buf = tm.expand(buf[:0], e) }); n != 0 {
		t.Fatalf("expand allocates %v times", n)
	}
}
