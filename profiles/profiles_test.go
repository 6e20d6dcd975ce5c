package profiles

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBuiltinsParse(t *testing.T) {
	names := Builtins()
	want := []string{"basic", "jwt", "servlet-form", "session-store", "spring-form", "spring-oauth2", "spring-spa"}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Fatalf("built-ins %v, want %v", names, want)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			p, err := Builtin(name)
			if err != nil {
				t.Fatal(err)
			}
			if p.Name != name || p.File != "builtin:"+name || p.DemoTarget == nil {
				t.Fatalf("name %q file %q demo_target %v", p.Name, p.File, p.DemoTarget)
			}
			if err := p.CheckLoad(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

const minimal = `name: t
base_url: http://127.0.0.1:8080
mix:
  - name: home
    path: /
load: {vus: 1, duration: 1s}
`

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name, yaml, want string
	}{
		{"syntax", "name: [\n", "p.yaml:1: did not find expected node content"},
		{"not a mapping", "- a\n- b\n", "p.yaml:1:1: a profile is a mapping"},
		{"unknown top-level field", minimal + "thinktime: 1s\n", `p.yaml:7:1: thinktime: unknown field "thinktime" (known here: base_url,`},
		{"unknown nested field", strings.Replace(minimal, "    path: /", "    path: /\n    wieght: 2", 1), `p.yaml:6:5: mix[0].wieght: unknown field "wieght"`},
		{"wrong type", strings.Replace(minimal, "vus: 1", "vus: many", 1), "p.yaml:6:13: load.vus: cannot read !!str `many` into int"},
		{"bad duration", strings.Replace(minimal, "duration: 1s", "duration: 1 sec", 1), "p.yaml:6:26: load.duration: `1 sec`: not a duration"},
		{"bad regex", strings.Replace(minimal, "    path: /", "    path: /\n    expect: {body_regex: \"(\"}", 1), `p.yaml:6:26: mix[0].expect.body_regex: bad regular expression "("`},
		{"empty mix", "name: t\nmix: []\n", "p.yaml:2:6: mix: the mix is empty"},
		{"zero weights", strings.Replace(minimal, "    path: /", "    path: /\n    weight: 0", 1), "mix: every weight is 0"},
		{"negative weight", strings.Replace(minimal, "    path: /", "    path: /\n    weight: -1", 1), "p.yaml:6:13: mix[0].weight: must not be negative"},
		{"duplicate names", strings.Replace(minimal, "load:", "  - name: home\n    path: /x\nload:", 1), `mix[1].name: "home" is also the name of mix[0]`},
		{"missing path", "mix:\n  - name: a\n", "p.yaml:2:5: mix[0]: path: required"},
		{"bad base url", strings.Replace(minimal, "http://127.0.0.1:8080", "127.0.0.1:8080", 1), "p.yaml:2:11: base_url:"},
		{"two extractor kinds", strings.Replace(minimal, "    path: /", "    path: /\n    extract: [{name: a, css: b, regex: c}]", 1), "mix[0].extract[0]: give exactly one of"},
		{"bad think type", minimal + "think: {type: gaussian}\n", `think.type: unknown think type "gaussian"`},
		{"unknown executor", strings.Replace(minimal, "{vus: 1", "{executor: per-vu, vus: 1", 1), `load.executor: unknown executor "per-vu"`},
		{"bad status", strings.Replace(minimal, "    path: /", "    path: /\n    expect: {status: [99]}", 1), "mix[0].expect.status[0]: 99 is not an HTTP status"},
		{"two bodies", strings.Replace(minimal, "    path: /", "    path: /\n    body: x\n    form: {a: b}", 1), "give one of form, json and body"},
		{"generate without n", minimal + "users: {generate: {username: alice, password: \"x{{n}}\"}}\n", "users.generate.username: the pattern \"alice\" must contain {{n}}"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("p.yaml", []byte(c.yaml))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v\nwant it to contain %q", err, c.want)
			}
		})
	}
}

// TestMissingFieldOnItsParentsKey: a field left out of a block mapping
// is placed on the mapping's key line, not on the entry below it.
func TestMissingFieldOnItsParentsKey(t *testing.T) {
	_, err := Parse("p.yaml", []byte(minimal+"oauth2:\n  scope: openid\n"))
	want := fmt.Sprintf("p.yaml:%d:1: oauth2.client_id: required", strings.Count(minimal, "\n")+1)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error %v, want %q", err, want)
	}
}

func TestCheckLoad(t *testing.T) {
	cases := []struct {
		name string
		edit func(*Profile)
		want string
	}{
		{"ok", func(*Profile) {}, ""},
		{"zero vus from flag", func(p *Profile) { p.Load.VUs = 0 }, "load.vus: want at least 1 VU"},
		{"no duration nor iterations", func(p *Profile) { p.Load.Duration = 0 }, "load.duration: give a duration"},
		{"negative rate", func(p *Profile) { p.Load.MaxRPS = -1 }, "p.yaml:6:7: load.max_rps: must not be negative"},
		{"negative rate from flag", func(p *Profile) { p.Load.MaxRPS = -1; p.SetByFlag("load.max_rps") }, "p.yaml: --max-rps: must not be negative"},
		{"ramping without stages", func(p *Profile) { p.Load.Executor = RampingVUs }, "p.yaml:6:7: load.stages: ramping-vus needs stages"},
		{"ramping from flag", func(p *Profile) { p.Load.Executor = RampingVUs; p.SetByFlag("load.stages") }, "p.yaml: --stages: ramping-vus needs stages"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := Parse("p.yaml", []byte(minimal))
			if err != nil {
				t.Fatal(err)
			}
			c.edit(p)
			err = p.CheckLoad()
			if (c.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.want)) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
		})
	}
}

func TestReadFileAndDefaults(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "shop.yaml")
	os.WriteFile(path, []byte(minimal+"users: {csv: users.csv}\n"), 0o644)
	p, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if p.CSVPath() != filepath.Join(dir, "users.csv") {
		t.Fatalf("CSVPath %q", p.CSVPath())
	}
	if p.Mix[0].Weight != 1 || p.Mix[0].Method != "GET" || p.HTTP.Timeout.D() != DefaultTimeout || p.Think.Type != ThinkNone {
		t.Fatalf("defaults not applied: %+v", p)
	}
	if _, err := ReadFile(filepath.Join(dir, "missing.yaml")); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Fatalf("missing file error %v", err)
	}
}

func TestParseStages(t *testing.T) {
	st, err := ParseStages("30s:50, 1m:50,30s:0")
	if err != nil || len(st) != 3 || st[1].Duration.D().String() != "1m0s" || st[2].Target != 0 {
		t.Fatalf("%+v %v", st, err)
	}
	for _, bad := range []string{"30s", "x:1", "1s:-1", "1s:a", ""} {
		if _, err := ParseStages(bad); err == nil {
			t.Errorf("ParseStages(%q) accepted", bad)
		}
	}
}

func TestLoginRateAuto(t *testing.T) {
	base := "name: x\nbase_url: http://127.0.0.1:1\nmix:\n  - {name: a, path: /}\n"
	cases := []struct {
		load, err string
		auto      bool
		rate      float64
	}{
		{"load: {vus: 1, duration: 1s, login_rate: auto}", "", true, 0},
		{"load: {vus: 1, duration: 1s, login_rate: 20}", "", false, 20},
		{"load: {vus: 1, duration: 1s, login_rate: fast}", "load.login_rate", false, 0},
		{"scenarios:\n  - {name: s, load: {vus: 1, duration: 1s, login_rate: auto}}", "", false, 0},
	}
	for _, c := range cases {
		t.Run(c.load, func(t *testing.T) {
			p, err := Parse("p.yaml", []byte(base+c.load+"\n"))
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want one naming %s", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Load.LoginRateAuto != c.auto || p.Load.LoginRate != c.rate {
				t.Fatalf("load %+v", p.Load)
			}
			if len(p.Scenarios) > 0 && !p.Scenarios[0].Load.LoginRateAuto {
				t.Fatalf("the scenario's login_rate: auto was lost: %+v", p.Scenarios[0].Load)
			}
		})
	}
}
