package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestProfileErrorsExit2 gives cohort run broken profiles: each must be
// refused before anything starts, with exit code 2 and a message naming
// the file, the line and the field.
func TestProfileErrorsExit2(t *testing.T) {
	dir := t.TempDir()
	good, _ := os.ReadFile("../../profiles/builtin/spring-form.yaml")
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(content), 0o644)
		return p
	}
	edit := func(old, new string) string {
		if !strings.Contains(string(good), old) {
			t.Fatalf("spring-form.yaml has no %q", old)
		}
		return strings.Replace(string(good), old, new, 1)
	}
	noEmail := write("users.csv", "username,password\nuser1,pass1\n")
	cases := []struct {
		name    string
		profile string
		args    []string
		want    []string // substrings of stderr
	}{
		{"unknown field", edit("think:", "thinking: 1\nthink:"), nil,
			[]string{"p.yaml:", `unknown field "thinking"`}},
		{"bad template variable", edit(`_csrf: "{{vars.csrf}}"`, `_csrf: "{{vars.csfr}}"`), nil,
			[]string{"p.yaml:31:14:", "login[1].form._csrf", `no step extracts a variable named "csfr"`}},
		{"unknown template namespace", edit(`username: "{{user.username}}"`, `username: "{{usr.username}}"`), nil,
			[]string{"p.yaml:29:17:", "login[1].form.username", "unknown template reference {{usr.username}}"}},
		{"bad regex", edit(`location_not: "error"`, `location_not: "error("`), nil,
			[]string{"p.yaml:32:43:", "login[1].expect.location_not", "bad regular expression"}},
		{"bad CSS selector", edit(`css: 'input[name="_csrf"]'`, `css: 'input[name="_csrf"'`), nil,
			[]string{"p.yaml:24:", "login[0].extract[0].css", "bad CSS selector"}},
		{"missing CSV", edit("generate: {username: \"user{{n}}\", password: \"pass{{n}}\", start: 1}", "csv: nowhere.csv"), nil,
			[]string{"nowhere.csv", "no such file"}},
		{"CSV without the columns used", edit(`X-CSRF-TOKEN: "{{vars.csrf}}"`, `X-CSRF-TOKEN: "{{vars.csrf}}", X-Email: "{{user.email}}"`),
			[]string{"--users", noEmail, "--vus", "1"}, []string{"p.yaml:", "mix[2].headers.X-Email", `the users have no column "email"`}},
		{"empty mix", "name: x\nbase_url: http://127.0.0.1:1\nmix: []\nload: {vus: 1, duration: 1s}\n", nil,
			[]string{"p.yaml:3:6: mix: the mix is empty"}},
		{"zero weights", "name: x\nbase_url: http://127.0.0.1:1\nmix:\n  - {name: a, path: /, weight: 0}\nload: {vus: 1, duration: 1s}\n", nil,
			[]string{"p.yaml:4:3: mix: every weight is 0"}},
		{"zero VUs", string(good), []string{"--vus", "0"}, []string{"--vus: want at least 1 VU"}},
		{"more VUs than CSV users", string(good), []string{"--users", noEmail, "--vus", "2"}, []string{"2 VUs need 2 distinct users, the users have 1"}},
		{"malformed CSV", string(good), []string{"--users", write("bad.csv", "username,password\n\"user1,pass1\n")}, []string{"bad.csv:2"}},
		{"bad stages", string(good), []string{"--stages", "10s"}, []string{"--stages: stage 1"}},
		{"not a profile", "", []string{"no-such-profile"}, []string{"no-such-profile: no such file, and no built-in profile"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := []string{"run"}
			if c.profile != "" {
				args = append(args, write("p.yaml", c.profile))
			}
			args = append(args, c.args...)
			var stdout, stderr bytes.Buffer
			code := dispatch(context.Background(), &env{stdout: &stdout, stderr: &stderr}, append(args, "--duration", "1s", "--no-progress"))
			if code != exitUsage {
				t.Fatalf("exit %d, want 2\nstderr: %s\nstdout: %s", code, stderr.String(), stdout.String())
			}
			for _, w := range c.want {
				if !strings.Contains(stderr.String(), w) {
					t.Fatalf("stderr %q\nwant it to contain %q", stderr.String(), w)
				}
			}
			if stdout.Len() != 0 {
				t.Fatalf("something started: %s", stdout.String())
			}
		})
	}
}
