package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// badInput is one case of docs/errors.md: a command refused before
// anything starts, exit 2, with a message naming the file, line and field.
type badInput struct {
	id      string
	command string // run (default), report, compare
	profile string // the profile written to p.yaml, "" for none
	args    []string
	want    []string // substrings of stderr
	absent  string   // a secret of the input that stderr must not show
}

// oneEntryHAR is the smallest HAR file an import takes.
const oneEntryHAR = `{"log": {"version": "1.2", "entries": [{"startedDateTime": "2026-12-01T10:00:00Z", "time": 1,
  "request": {"method": "GET", "url": "http://127.0.0.1:8080/", "headers": []},
  "response": {"status": 200, "headers": [], "content": {"mimeType": "text/html", "text": "<p>hi</p>"}}}]}}`

func badInputs(t *testing.T, dir string) []badInput {
	good, err := os.ReadFile("../../profiles/builtin/spring-form.yaml")
	if err != nil {
		t.Fatal(err)
	}
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
	minimal := "name: x\nbase_url: http://127.0.0.1:1\nmix:\n  - {name: a, path: /}\nload: {vus: 1, duration: 1s}\n"
	oneUser := write("one.csv", "username,password\nuser1,pass1\n")
	otpUsers := write("otp.csv", "username,password,otp\nuser1,pass1,GEZDGNBVGY3TQOJQ\nuser2,pass2,NOT-BASE32!!\n")
	result := write("good.json", `{"schema":"cohort.result/v1","histograms":{}}`)
	part := func(name, profile, segment string) string {
		return write(name, `{"schema":"cohort.result/v1","profile":"`+profile+`","segment":"`+segment+`","histograms":{}}`)
	}
	return []badInput{
		{id: "yaml-syntax", profile: "name: [\n", want: []string{"p.yaml:1: did not find expected node content"}},
		{id: "not-a-mapping", profile: "- a\n", want: []string{"p.yaml:1:1: a profile is a mapping"}},
		{id: "unknown-field", profile: edit("\nthink:", "\nthinking: 1\nthink:"), want: []string{"p.yaml:", `unknown field "thinking"`}},
		{id: "wrong-type", profile: strings.Replace(minimal, "vus: 1", "vus: many", 1), want: []string{"p.yaml:5:13: load.vus: cannot read !!str `many` into int"}},
		{id: "bad-duration", profile: strings.Replace(minimal, "duration: 1s", "duration: 1 sec", 1), want: []string{"p.yaml:5:26: load.duration: `1 sec`: not a duration"}},
		{id: "negative-duration", profile: strings.Replace(minimal, "duration: 1s", "duration: -1s", 1), want: []string{"load.duration: `-1s`: a duration must not be negative"}},
		{id: "zero-vus", profile: string(good), args: []string{"--vus", "0"}, want: []string{"--vus: want at least 1 VU"}},
		{id: "negative-vus", profile: strings.Replace(minimal, "vus: 1", "vus: -3", 1), want: []string{"p.yaml:5:13: load.vus: must not be negative"}},
		{id: "fraction-vus", profile: strings.Replace(minimal, "vus: 1", "vus: 2.9", 1), want: []string{"p.yaml:5:13: load.vus: want a whole number, got 2.9"}},
		{id: "fraction-weight", profile: strings.Replace(minimal, "{name: a, path: /}", "{name: a, path: /, weight: 1.5}", 1), want: []string{"mix[0].weight: want a whole number, got 1.5"}},
		{id: "weights-overflow", profile: strings.Replace(minimal, "{name: a, path: /}", "{name: a, path: /, weight: 9223372036854775807}\n  - {name: b, path: /b}", 1),
			want: []string{"mix[0].weight: the weights add up past 1073741824"}},
		{id: "bad-login-rate", profile: string(good), args: []string{"--login-rate", "fast"}, want: []string{`--login-rate: want logins per second, or auto, got "fast"`}},
		{id: "auto-login-rate-capacity", profile: edit("\nthink:", "\ncapacity: {vary: login_rate}\nthink:"), args: []string{"--login-rate", "auto", "--find-capacity", "--threshold", "http_req_failed: rate<0.01"},
			want: []string{"capacity.vary: stepping the login rate needs it fixed: login_rate is auto"}},
		{id: "nan-rate", profile: string(good), args: []string{"--rate", "NaN"}, want: []string{"--rate: want a finite number, got NaN"}},
		{id: "infinite-rate", profile: string(good), args: []string{"--max-rps", "+Inf"}, want: []string{"--max-rps: want a finite number, got +Inf"}},
		{id: "negative-rate", profile: string(good), args: []string{"--max-rps", "-5"}, want: []string{"--max-rps: must not be negative"}},
		{id: "negative-warm", profile: string(good), args: []string{"--warm-sessions", "-1"}, want: []string{"--warm-sessions: must not be negative, got -1"}},
		{id: "warm-without-login", profile: strings.Replace(minimal, "load:", "sessions: {warm: 10}\nload:", 1), want: []string{"p.yaml:5:18: sessions.warm: warm sessions need a login flow"}},
		{id: "capacity-without-thresholds", profile: string(good), args: []string{"--find-capacity"}, want: []string{"--find-capacity: give at least one threshold"}},
		{id: "capacity-window", profile: edit("\nthink:", "\nsessions: {warm: 10, touch_every: 1m}\ncapacity: {vary: warm_sessions, step_duration: 10s, settle: 2s}\nthink:"),
			args: []string{"--find-capacity", "--threshold", "warm_sessions_lost: count<1"},
			want: []string{"sessions.touch_every: 1m0s is longer than the 8s each capacity step is judged on", "make touch_every at most 8s, or step_duration at least 1m2s"}},
		{id: "capacity-vary", profile: edit("\nthink:", "\ncapacity: {vary: cpu}\nthink:"), want: []string{"capacity.vary: want vus, warm_sessions or login_rate, got \"cpu\""}},
		{id: "instance-header", profile: edit("\nthink:", "\ninstance_header: \"X Instance\"\nthink:"), want: []string{`instance_header: "X Instance" is not a header name`}},
		{id: "http-compression", profile: minimal + "http: {compression: br}\n", want: []string{"p.yaml:6:", `http.compression: want gzip or none, got "br"`}},
		{id: "http-version", profile: minimal + "http: {version: 3}\n", want: []string{"p.yaml:6:", `http.version: want auto, 1.1 or 2, got "3"`}},
		{id: "per-vu-without-iterations", profile: strings.Replace(minimal, "load: {vus: 1, duration: 1s}", "load: {executor: per-vu-iterations, vus: 2}", 1), want: []string{"p.yaml:5:7: load.iterations: per-vu-iterations needs the iterations each VU does"}},
		{id: "journey-with-request", profile: strings.Replace(minimal, "{name: a, path: /}", "{name: a, path: /, steps: [{name: s, path: /x}]}", 1), want: []string{"p.yaml:4:", "mix[0]: a journey's requests are its steps"}},
		{id: "all-of-one-value", profile: strings.Replace(minimal, "{name: a, path: /}", "{name: a, path: /, extract: [{name: c, cookie: SESSION, all: true}]}", 1), want: []string{"p.yaml:4:", "mix[0].extract[0].all: all takes every match of css, regex or json"}},
		{id: "repeat-without-count", profile: strings.Replace(minimal, "  - {name: a, path: /}\n", "  - name: a\n    steps:\n      - {name: g, repeat: {steps: [{name: s, path: /}]}}\n", 1), want: []string{"p.yaml:6:27: mix[0].steps[0].repeat: give times (1 or more) or over, one of them"}},
		{id: "totp-secret", profile: strings.Replace(minimal, "{name: a, path: /}", `{name: a, path: /, headers: {X-Otp: "{{totp user.otp}}"}}`, 1), args: []string{"--users", otpUsers},
			want: []string{"users: line 3 (user user2): column otp: not a base32 TOTP secret"}},
		{id: "instance-route", profile: minimal + "instance_route: true\n", want: []string{"p.yaml:6:", "instance_route: the route is read from the session cookie: set session.cookie"}},
		{id: "not-a-template", profile: strings.Replace(minimal, "{name: a, path: /}", "{name: a, path: /, extract: [{name: x, css: 'b.{{user.username}}'}]}", 1), want: []string{"p.yaml:4:", `mix[0].extract[0].css: "b.{{user.username}}": this field is not a template`}},
		{id: "equals-without-value", profile: strings.Replace(minimal, "{name: a, path: /}", "{name: a, path: /, checks: [{name: c, equals: x}]}", 1), want: []string{"p.yaml:4:", "mix[0].checks[0].equals: equals compares the value of css, regex or cookie"}},
		{id: "unknown-touch", profile: edit("\nthink:", "\nsessions: {warm: 10, touch: nope}\nthink:"), want: []string{"sessions.touch: \"nope\" is not the name of a mix request"}},
		{id: "zero-rate", profile: string(good), args: []string{"--rate", "0"}, want: []string{"--rate: constant-arrival-rate needs a rate above 0"}},
		{id: "unknown-executor", profile: strings.Replace(minimal, "{vus: 1", "{executor: per-vu, vus: 1", 1), want: []string{`p.yaml:5:18: load.executor: unknown executor "per-vu"`}},
		{id: "invalid-url", profile: strings.Replace(minimal, "http://127.0.0.1:1", "127.0.0.1:1", 1), want: []string{"p.yaml:2:11: base_url:", "is not a URL"}},
		{id: "invalid-url-flag", profile: string(good), args: []string{"--base-url", "ftp://x"}, want: []string{"--base-url:", "want an absolute http:// or https:// URL"}},
		{id: "csv-unreadable", profile: edit("generate: {username: \"user{{n}}\", password: \"pass{{n}}\", start: 1}", "csv: nowhere.csv"), want: []string{"nowhere.csv: no such file"}},
		{id: "csv-missing-columns", profile: string(good), args: []string{"--users", write("cols.csv", "name,secret\na,b\n")}, want: []string{"cols.csv:1: header \"name,secret\": want columns named username and password"}},
		{id: "csv-empty", profile: string(good), args: []string{"--users", write("empty.csv", "")}, want: []string{"empty.csv:1: empty file"}},
		{id: "csv-field-count", profile: string(good), args: []string{"--users", write("short.csv", "username,password\nuser1\n")}, want: []string{"short.csv:2: want as many fields as the header has"}},
		{id: "csv-bad-quoting", profile: string(good), args: []string{"--users", write("quote.csv", "username,password\n\"user1,pass1\n")}, want: []string{"quote.csv:2:"}},
		{id: "csv-column-used", profile: edit(`{Accept: application/json}`, `{Accept: application/json, X-Email: "{{user.email}}"}`),
			args: []string{"--users", oneUser, "--vus", "1"}, want: []string{"p.yaml:", "mix[0].headers.X-Email", `the users have no column "email"`}},
		{id: "csv-duplicate-user", profile: string(good), args: []string{"--users", write("dup.csv", "username,password\nuser1,pass1\nuser2,pass2\nuser1,other\n")},
			want: []string{`dup.csv:4: field username: "user1" is also the user of line 2`}},
		{id: "csv-too-few-users", profile: string(good), args: []string{"--users", oneUser, "--vus", "2"}, want: []string{"2 VUs need 2 distinct users, the users have 1"}},
		{id: "alias-bomb", profile: "name: x\nbase_url: http://127.0.0.1:1\nmix: [{name: a, path: /}]\na: &a [x, x, x, x, x, x, x, x, x, x]\n" +
			"b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n" +
			"e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n",
			want: []string{"p.yaml:1:1: the profile's aliases expand to more than 1000000 nodes"}},
		{id: "duplicate-request-names", profile: strings.Replace(minimal, "load:", "  - {name: a, path: /b}\nload:", 1), want: []string{`p.yaml:5:12: mix[1].name: "a" is also the name of mix[0]`}},
		{id: "empty-mix", profile: "name: x\nbase_url: http://127.0.0.1:1\nmix: []\nload: {vus: 1, duration: 1s}\n", want: []string{"p.yaml:3:6: mix: the mix is empty"}},
		{id: "zero-weights", profile: strings.Replace(minimal, "{name: a, path: /}", "{name: a, path: /, weight: 0}", 1), want: []string{"p.yaml:3:1: mix: every weight is 0"}},
		{id: "bad-template", profile: edit(`_csrf: "{{vars.csrf}}"`, `_csrf: "{{vars.csfr}}"`), want: []string{"p.yaml:31:14:", "login[1].form._csrf", `no step extracts a variable named "csfr"`}},
		{id: "bad-template-namespace", profile: edit(`username: "{{user.username}}"`, `username: "{{usr.username}}"`), want: []string{"p.yaml:29:17:", "unknown template reference {{usr.username}}"}},
		{id: "bad-regex", profile: edit(`location_not: "error"`, `location_not: "error("`), want: []string{"p.yaml:32:43:", "login[1].expect.location_not", "bad regular expression"}},
		{id: "bad-selector", profile: edit(`css: 'input[name="_csrf"]'`, `css: 'input[name="_csrf"'`), want: []string{"p.yaml:24:", "login[0].extract[0].css", "bad CSS selector"}},
		{id: "bad-json-path", profile: strings.Replace(minimal, "{name: a, path: /}", "{name: a, path: /, extract: [{name: t, json: 'a..b'}]}", 1), want: []string{"p.yaml:4:", "mix[0].extract[0].json", `bad JSON path "a..b"`}},
		{id: "oauth2-bad-grant", profile: minimal + "oauth2: {grant: implicit, client_id: c}\n",
			want: []string{"p.yaml:6:", "oauth2.grant: want authorization_code, client_credentials or password, got \"implicit\""}},
		{id: "oauth2-no-client", profile: minimal + "oauth2: {redirect_uri: http://127.0.0.1:1/cb}\n",
			want: []string{"p.yaml:6:", "oauth2.client_id: required (or start:"}},
		{id: "oauth2-start-and-client", profile: minimal + "oauth2: {start: /oauth2/authorization/idp, client_id: c}\n",
			want: []string{"p.yaml:6:", "oauth2.start: with start, the application is the OAuth client"}},
		{id: "oauth2-no-issuer", profile: minimal + "oauth2: {client_id: c, redirect_uri: http://127.0.0.1:1/cb}\n",
			want: []string{"p.yaml:6:", "oauth2.issuer: required"}},
		{id: "scenarios-and-load", profile: minimal + "scenarios:\n  - {name: a, load: {vus: 1, duration: 1s}}\n",
			want: []string{"p.yaml:5:", "load: with scenarios, each scenario has its own load"}},
		{id: "scenario-without-load", profile: strings.Replace(minimal, "load: {vus: 1, duration: 1s}\n", "scenarios:\n  - {name: a}\n", 1),
			want: []string{"p.yaml:6:", "scenarios[0]: load: required"}},
		{id: "scenario-duplicate-name", profile: strings.Replace(minimal, "load: {vus: 1, duration: 1s}\n", "scenarios:\n  - {name: a, load: {vus: 1, duration: 1s}}\n  - {name: a, load: {vus: 1, duration: 1s}}\n", 1),
			want: []string{"p.yaml:7:", `scenarios[1].name: "a" is also the name of scenarios[0]`}},
		{id: "scenarios-load-flag", profile: strings.Replace(minimal, "load: {vus: 1, duration: 1s}\n", "scenarios:\n  - {name: a, load: {vus: 1, duration: 1s}}\n", 1),
			args: []string{"--vus", "5"}, want: []string{"--vus: the profile's scenarios each have their own load"}},
		{id: "bad-threshold", profile: minimal + "thresholds: [\"http_req_duration: p(99)<fast\"]\n", want: []string{"p.yaml:6:", "thresholds[0]", "want METRIC"}},
		{id: "bad-threshold-flag", profile: string(good), args: []string{"--threshold", "latency: p(99)<1"}, want: []string{`--threshold: "latency: p(99)<1": unknown metric "latency"`}},
		{id: "threshold-unknown-name", profile: string(good), args: []string{"--threshold", "http_req_duration{name:profle}: p(99)<500"},
			want: []string{`--threshold: "http_req_duration{name:profle}: p(99)<500": no request has name "profle" (names: login-page, login-submit, home, logout, profile, list-orders, browse/catalogue, browse/product, buy/catalogue, buy/product, buy/add-to-cart, buy/checkout, buy/order)`}},
		{id: "threshold-unknown-name-profile", profile: minimal + "thresholds: [\"http_req_failed{name:b}: rate<0.1\"]\n",
			want: []string{"p.yaml:6:", "thresholds[0]", `no request has name "b" (names: a)`}},
		{id: "threshold-unknown-check", profile: string(good), args: []string{"--threshold", "checks{name:nope}: rate==1"}, want: []string{`no check named "nope" (checks: none)`}},
		{id: "threshold-tags-not-split", profile: string(good), args: []string{"--threshold", "login_duration{name:home}: p(99)<500"},
			want: []string{"login_duration is not split by request: it takes no tags"}},
		{id: "out-unwritable", profile: string(good), args: []string{"--out", filepath.Join(dir, "missing", "r.json")}, want: []string{"--out: cannot create", "no such file or directory"}},
		{id: "out-directory", profile: string(good), args: []string{"--out", dir}, want: []string{"--out: " + dir + " is a directory"}},
		{id: "out-other-format", profile: string(good), args: []string{"--out", "csv=r.csv"}, want: []string{"--out csv=r.csv: cohort writes its result as JSON"}},
		{id: "out-json-empty", profile: string(good), args: []string{"--out", "json="}, want: []string{"--out json=: give the file after the ="}},
		{id: "outputs-same-path", profile: string(good), args: []string{"--out", filepath.Join(dir, "same.out"), "--html", filepath.Join(dir, "same.out")},
			want: []string{"--out and --html: both write"}},
		{id: "capacity-judged-too-short", profile: edit("\nthink:", "\ncapacity: {vary: vus, step_duration: 1500ms, settle: 1s}\nthink:"),
			args: []string{"--find-capacity", "--threshold", "sessions_lost: count<1"},
			want: []string{"capacity.settle: leaves 500ms of a 1.5s step to judge", "at least 1s after its settling time"}},
		{id: "html-unwritable", profile: string(good), args: []string{"--html", filepath.Join(dir, "missing", "r.html")}, want: []string{"--html: cannot create"}},
		{id: "hlog-unwritable", profile: string(good), args: []string{"--hlog", filepath.Join(dir, "missing", "run.hlog")}, want: []string{"--hlog: cannot create"}},
		{id: "samples-format", profile: string(good), args: []string{"--samples", filepath.Join(dir, "run.txt")}, want: []string{"--samples ", "run.txt: want a .csv file, or .jsonl (JSON lines)"}},
		{id: "samples-raw-alone", profile: string(good), args: []string{"--samples-raw"}, want: []string{"--samples-raw: give --samples FILE too"}},
		{id: "junit-unwritable", profile: string(good), args: []string{"--junit", filepath.Join(dir, "missing", "v.xml")}, want: []string{"--junit: cannot create"}},
		{id: "hgrm-not-a-directory", profile: string(good), args: []string{"--hgrm", result}, want: []string{"--hgrm: " + result + " exists and is not a directory"}},
		{id: "bad-stages", profile: string(good), args: []string{"--stages", "10s"}, want: []string{"--stages: stage 1 \"10s\": want DURATION:VUS"}},
		{id: "bad-conn", profile: string(good), args: []string{"--conn", "pooled"}, want: []string{"--conn: want shared, per-user or per-request"}},
		{id: "bad-prometheus-listen", profile: string(good), args: []string{"--prometheus-listen", "here"}, want: []string{"--prometheus-listen:", "want PORT or HOST:PORT"}},
		{id: "bad-remote-write", profile: string(good), args: []string{"--prometheus-remote-write", "writer:s3cret@127.0.0.1:9090/api/v1/write"},
			want: []string{"--prometheus-remote-write: want the receiver's http:// or https:// URL"}, absent: "s3cret"},
		{id: "bad-tag", profile: string(good), args: []string{"--tag", "novalue"}, want: []string{`--tag "novalue": want key=value`}},
		{id: "bad-segment", profile: string(good), args: []string{"--segment", "4/3"}, want: []string{`--segment: "4/3": want i/n with 1 <= i <= n`}},
		{id: "bad-start-at", profile: string(good), args: []string{"--start-at", "tomorrow"}, want: []string{`--start-at: "tomorrow" is not an RFC 3339 time`}},
		{id: "merge-missing-segment", command: "merge", args: []string{part("p1.json", "spring-form", "1/2"), "-o", filepath.Join(dir, "m.json")}, want: []string{"segments 2/2 are missing"}},
		{id: "merge-overlap", command: "merge", args: []string{part("p1.json", "spring-form", "1/2"), part("p1b.json", "spring-form", "1/2"), part("p2.json", "spring-form", "2/2"), "-o", filepath.Join(dir, "m.json")}, want: []string{"both hold segment 1/2"}},
		{id: "merge-other-profile", command: "merge", args: []string{part("p1.json", "spring-form", "1/2"), part("q2.json", "jwt", "2/2"), "-o", filepath.Join(dir, "m.json")}, want: []string{`profile "jwt"`, "not the same run"}},
		{id: "merge-corrupt", command: "merge", args: []string{write("c.json", "{"), "-o", filepath.Join(dir, "m.json")}, want: []string{"c.json: not a cohort result file"}},
		{id: "unknown-profile", args: []string{"no-such-profile"}, want: []string{"no-such-profile: no such file, and no built-in profile"}},
		{id: "result-corrupt", command: "report", args: []string{write("corrupt.json", `{"schema":"cohort.result/v1","histograms":{"all":"HISTFAAAbad"}}`)}, want: []string{"corrupt.json: field histograms"}},
		{id: "result-foreign", command: "compare", args: []string{result, write("k6.json", `{"metrics":{}}`)}, want: []string{`k6.json: field schema: "" is not "cohort.result/v1"`}},
		{id: "import-not-json", command: "import", args: []string{write("text.har", "hello"), "-o", filepath.Join(dir, "i.yaml")}, want: []string{"text.har:1: not JSON"}},
		{id: "import-no-entries", command: "import", args: []string{write("empty.har", `{"log":{"version":"1.2","entries":[]}}`), "-o", filepath.Join(dir, "i.yaml")}, want: []string{"empty.har: log.entries: no entries"}},
		{id: "import-bad-url", command: "import", args: []string{write("ftp.har", "{\"log\": {\"entries\": [\n  {\"startedDateTime\": \"2026-12-01T10:00:00Z\",\n   \"request\": {\"method\": \"GET\", \"url\": \"ftp://127.0.0.1/?token=SECRET123\"}}]}}"), "-o", filepath.Join(dir, "i.yaml")},
			want: []string{"ftp.har:2: log.entries[0].request.url: not an absolute http, https or ws URL"}, absent: "SECRET123"},
		{id: "import-output-dir", command: "import", args: []string{write("one.har", oneEntryHAR), "-o", filepath.Join(dir, "no", "such", "i.yaml")}, want: []string{"-o " + filepath.Join(dir, "no", "such", "i.yaml") + ": its directory does not exist"}},
		{id: "import-same-file", command: "import", args: []string{write("one.har", oneEntryHAR), "-o", filepath.Join(dir, "i.yaml"), "--users-out", filepath.Join(dir, "i.yaml")}, want: []string{"i.yaml: is the profile itself (-o)"}},
		{id: "import-base-path", command: "import", args: []string{write("one.har", oneEntryHAR), "-o", filepath.Join(dir, "i.yaml"), "--base-url", "http://127.0.0.1:8080/app/"}, want: []string{"--base-url: want an origin only"}},
		{id: "import-think", command: "import", args: []string{write("one.har", oneEntryHAR), "-o", filepath.Join(dir, "i.yaml"), "--think", "sometimes"}, want: []string{"--think sometimes: want recorded, none, or a duration"}},
		{id: "result-not-json", command: "report", args: []string{write("text.json", "hello")}, want: []string{"text.json: not a cohort result file"}},
	}
}

// TestBadInput runs every case of docs/errors.md, and checks the document
// lists exactly these cases.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	cases := badInputs(t, dir)
	var ids []string
	for _, c := range cases {
		ids = append(ids, c.id)
		t.Run(c.id, func(t *testing.T) {
			command := c.command
			if command == "" {
				command = "run"
			}
			args := []string{command}
			if c.profile != "" {
				p := filepath.Join(t.TempDir(), "p.yaml")
				os.WriteFile(p, []byte(c.profile), 0o644)
				args = append(args, p)
			}
			args = append(args, c.args...)
			if command == "run" {
				args = append(args, "--duration", "1s", "--no-progress")
			}
			var stdout, stderr bytes.Buffer
			code := dispatch(context.Background(), &env{stdout: &stdout, stderr: &stderr}, args)
			if code != exitUsage {
				t.Fatalf("exit %d, want 2\nstderr: %s\nstdout: %s", code, stderr.String(), stdout.String())
			}
			for _, w := range c.want {
				if !strings.Contains(stderr.String(), w) {
					t.Fatalf("stderr %q\nwant it to contain %q", stderr.String(), w)
				}
			}
			if c.absent != "" && strings.Contains(stderr.String(), c.absent) {
				t.Fatalf("stderr %q shows the secret %q", stderr.String(), c.absent)
			}
			if stdout.Len() != 0 {
				t.Fatalf("something started: %s", stdout.String())
			}
		})
	}
	doc, err := os.ReadFile("../../docs/errors.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(doc), "## Bad input")
	var documented []string
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z0-9-]+)` \\|").FindAllStringSubmatch(section, -1) {
		documented = append(documented, m[1])
	}
	slices.Sort(ids)
	slices.Sort(documented)
	if strings.Join(ids, " ") != strings.Join(documented, " ") {
		t.Fatalf("docs/errors.md lists %v\nthe test covers %v", documented, ids)
	}
}

// TestStoppingLine: the first Ctrl-C promises outputs only where there
// are some.
func TestStoppingLine(t *testing.T) {
	for args, want := range map[string]string{
		"run spring-form": "stopping, outputs will be written (a second Ctrl-C aborts at once)",
		"target":          "stopping (a second Ctrl-C aborts at once)",
		"check basic":     "stopping (a second Ctrl-C aborts at once)",
	} {
		if got := stoppingLine(strings.Fields(args)); got != want {
			t.Errorf("cohort %s: %q, want %q", args, got, want)
		}
	}
}
