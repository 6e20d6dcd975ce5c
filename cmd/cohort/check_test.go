package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/cohort-dev/cohort/bench/target"
)

func runCheckCmd(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out bytes.Buffer
	code := dispatch(context.Background(), &env{stdout: &out, stderr: &out}, append([]string{"check"}, args...))
	return code, out.String()
}

// secretShapes are values that must never be printed: the demo users'
// passwords, servlet/Spring session ids, CSRF tokens in full, and the
// built-in provider's authorization codes (UUIDs; its states are UUIDs
// too, and are no secret).
var secretShapes = regexp.MustCompile(`pass\d+|[0-9A-F]{32}|[A-Za-z0-9_-]{90,}|code=[0-9a-f]{8}-[0-9a-f]{4}-`)

func TestCheckExplainsEveryStep(t *testing.T) {
	for _, profile := range []string{"spring-form", "spring-spa", "jwt", "basic", "servlet-form", "spring-oauth2"} {
		t.Run(profile, func(t *testing.T) {
			code, out := runCheckCmd(t, profile)
			if code != exitOK || !strings.Contains(out, "steps passed") || strings.Contains(out, "✘") {
				t.Fatalf("exit %d\n%s", code, out)
			}
			if s := secretShapes.FindString(out); s != "" {
				t.Fatalf("a secret was printed: %q\n%s", s, out)
			}
		})
	}
}

func TestCheckNamesTheCause(t *testing.T) {
	cases := []struct {
		name, old, new string
		want           []string
	}{
		{"extractor finds nothing",
			`{name: csrf, css: 'input[name="_csrf"]', attr: value}`, `{name: csrf, css: 'input[name="csrf"]', attr: value}`,
			[]string{"✘ login-page", `extractor csrf found nothing (attribute value of CSS input[name="csrf"]); the page has no input named csrf (its inputs: username, password, _csrf)`}},
		{"CSRF token missing",
			`{name: csrf, css: 'input[name="_csrf"]', attr: value}`, `{name: csrf, css: 'input[name="csrf"]', attr: value, optional: true}`,
			[]string{"✘ login-submit", "403 after POST /login: the server rejected the CSRF token; Invalid CSRF token: no token was sent", "{{vars.csrf}} was empty when the request was sent"}},
		{"bad password",
			`password: "{{user.password}}"`, `password: "{{user.password}}x"`,
			[]string{"302 after POST /login: the login was refused: the server sent the client back to /login?error"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeProfile(t, "spring-form", func(s string) string { return strings.Replace(s, c.old, c.new, 1) })
			code, out := runCheckCmd(t, path)
			if code != exitFailed {
				t.Fatalf("exit %d, want 1\n%s", code, out)
			}
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Fatalf("output lacks %q:\n%s", w, out)
				}
			}
			if s := secretShapes.FindString(out); s != "" {
				t.Fatalf("a secret was printed: %q", s)
			}
		})
	}
}

func TestHTTPDebugLogsTheFirstVU(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := dispatch(context.Background(), &env{stdout: &stdout, stderr: &stderr},
		[]string{"run", "spring-form", "--vus", "3", "--iterations", "6", "--http-debug", "--no-progress"})
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr.String())
	}
	log := stderr.String()
	if !strings.Contains(log, "[http-debug] login-submit:") || !strings.Contains(log, "POST http") {
		t.Fatalf("no exchanges logged:\n%s", log)
	}
	// One VU is logged: one login, not three.
	if n := strings.Count(log, "[http-debug] login-submit:"); n != 1 {
		t.Fatalf("%d logins logged, want the first VU's only", n)
	}
	if s := secretShapes.FindString(log); s != "" {
		t.Fatalf("a secret was logged: %q", s)
	}
}

// withOrderChecks puts the CSRF variable in a URL and two checks on
// list-orders, one that holds and one that cannot.
func withOrderChecks(s string) string {
	return strings.Replace(s, `    path: /api/orders
    headers: {Accept: application/json}
    expect: {status: [200]}`, `    path: /api/orders?t={{vars.csrf}}
    headers: {Accept: application/json}
    expect: {status: [200]}
    checks:
      - {name: answers json, header: {name: Content-Type, matches: json}}
      - {name: never, text_contains: "no such text on the page"}`, 1)
}

// maskedInURL is the CSRF token as a URL shows it: its shape, not its value.
var maskedInURL = regexp.MustCompile(`/api/orders\?t=\S{2}…\(\d+ chars\) → 200`)

// TestCheckFailsOnAFailedCheck: cohort check exits 1 when a check failed
// although every step passed, and masks an extracted value in the URLs it
// prints as on its "extracted" line.
func TestCheckFailsOnAFailedCheck(t *testing.T) {
	path := writeProfile(t, "spring-form", withOrderChecks)
	code, out := runCheckCmd(t, path)
	if code != exitFailed {
		t.Fatalf("exit %d, want 1\n%s", code, out)
	}
	for _, w := range []string{`check "answers json" passed`, `check "never" failed: the text of the body does not contain "no such text on the page"`,
		"steps passed; 1 checks failed"} {
		if !strings.Contains(out, w) {
			t.Fatalf("output lacks %q:\n%s", w, out)
		}
	}
	if !maskedInURL.MatchString(out) {
		t.Fatalf("the CSRF token is not masked in the URL:\n%s", out)
	}
}

// TestHTTPDebugPrintsFindings: --http-debug logs what each step extracted
// and how its checks went, values masked as cohort check masks them.
func TestHTTPDebugPrintsFindings(t *testing.T) {
	path := writeProfile(t, "spring-form", withOrderChecks)
	var stdout, stderr bytes.Buffer
	code := dispatch(context.Background(), &env{stdout: &stdout, stderr: &stderr},
		[]string{"run", path, "--vus", "1", "--iterations", "60", "--http-debug", "--no-progress"})
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr.String())
	}
	log := stderr.String()
	for _, w := range []string{"[http-debug] login-page judged:", "extracted csrf = ", `check "never" failed`, `check "answers json" passed`} {
		if !strings.Contains(log, w) {
			t.Fatalf("log lacks %q:\n%s", w, log)
		}
	}
	if !maskedInURL.MatchString(log) {
		t.Fatalf("the CSRF token is not masked in the URL:\n%s", log)
	}
	if s := secretShapes.FindString(log); s != "" {
		t.Fatalf("a secret was logged: %q", s)
	}
}

// TestWorkedExampleRuns runs the worked example of docs/profiles.md, its
// profile and users as the page writes them (think time off, to be quick),
// against the built-in target started as the page says: cohort check
// passes, and a run of 2 VUs does its 10 iterations without a failure.
func TestWorkedExampleRuns(t *testing.T) {
	doc, err := os.ReadFile("../../docs/profiles.md")
	if err != nil {
		t.Fatal(err)
	}
	_, example, _ := strings.Cut(string(doc), "## A worked example")
	blocks := regexp.MustCompile("(?s)```(yaml)?\n(.*?)```").FindAllStringSubmatch(example, 3)
	if len(blocks) < 3 {
		t.Fatal("the worked example has lost its users, profile or commands")
	}
	users, profile := blocks[0][2], blocks[1][2]
	if !strings.Contains(blocks[2][2], "--session-cookie SESSION --users users.csv") {
		t.Fatalf("the page starts the target otherwise than this test: %s", blocks[2][2])
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "users.csv"), []byte(users), 0o644)
	profile = regexp.MustCompile(`(?m)^think: .*$`).ReplaceAllString(profile, "think: {type: none}")
	os.WriteFile(filepath.Join(dir, "shop.yaml"), []byte(profile), 0o644)
	known, err := target.ReadUsers(strings.NewReader(users))
	if err != nil {
		t.Fatal(err)
	}
	tg, err := target.New(target.Config{SessionCookie: "SESSION", Users: known})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(tg)
	defer srv.Close()
	shop := filepath.Join(dir, "shop.yaml")
	if code, out := runCheckCmd(t, shop, "--base-url", srv.URL); code != exitOK {
		t.Fatalf("cohort check: exit %d\n%s", code, out)
	}
	var stdout, stderr bytes.Buffer
	code := dispatch(context.Background(), &env{stdout: &stdout, stderr: &stderr},
		[]string{"run", shop, "--base-url", srv.URL, "--vus", "2", "--iterations", "10", "--no-progress"})
	if code != exitOK || !strings.Contains(stdout.String(), "iterations: 10") || strings.Contains(stdout.String(), "FAIL") {
		t.Fatalf("exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	// cohort check's login and the run's (one or two: under login_rate the
	// second VU may start after the first has done all 10).
	if st := tg.Stats(); st.LoginsOK < 2 || st.LoginsFailed != 0 {
		t.Fatalf("the target saw %d logins (%d failed), want 2 or 3, none failed", st.LoginsOK, st.LoginsFailed)
	}
}

// TestCheckSaysWhatTheJarRefused: cohort check names the cookies of an
// answer that the jar refused as a browser would.
func TestCheckSaysWhatTheJarRefused(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Set-Cookie", "big="+strings.Repeat("v", 5000))
		w.Header().Add("Set-Cookie", "__Host-x=1; Path=/app")
		w.Header().Add("Set-Cookie", "ok=1")
	}))
	defer srv.Close()
	path := filepath.Join(t.TempDir(), "p.yaml")
	os.WriteFile(path, []byte("name: jar\nmix:\n  - {name: a, path: /}\n"), 0o644)
	code, out := runCheckCmd(t, path, "--base-url", srv.URL)
	if code != exitOK || !strings.Contains(out, "cookies the jar refused, as a browser would: 1 too_large, 1 prefix") {
		t.Fatalf("exit %d\n%s", code, out)
	}
}

// TestCheckWalksJourneys: cohort check sends every step of each journey,
// in order, and judges each.
func TestCheckWalksJourneys(t *testing.T) {
	path := writeProfile(t, "spring-form", func(s string) string {
		i, j := strings.Index(s, "mix:\n"), strings.Index(s, "\nthink:")+1
		return s[:i] + journeyMix + s[j:]
	})
	code, out := runCheckCmd(t, path)
	for _, w := range []string{"journey order", "✔ order/place", `extracted order_id = "1"`, "✔ order/read", "✔ order/cancel", "all 8 steps passed"} {
		if !strings.Contains(out, w) {
			t.Fatalf("exit %d; output lacks %q:\n%s", code, w, out)
		}
	}
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, out)
	}
}

// TestCheckShowsEachRepeatWithItsRequest: a step a repeat sends twice is
// reported twice, each time with its own request.
func TestCheckShowsEachRepeatWithItsRequest(t *testing.T) {
	path := writeProfile(t, "spring-form", func(s string) string {
		i, j := strings.Index(s, "mix:\n"), strings.Index(s, "\nthink:")+1
		return s[:i] + "mix:\n  - name: shop\n    steps:\n      - name: g\n        repeat: {times: 2, steps: [{name: again, path: /api/profile}]}\n" + s[j:]
	})
	code, out := runCheckCmd(t, path)
	if code != exitOK || strings.Count(out, "✔ shop/again\n      GET ") != 2 {
		t.Fatalf("exit %d; want each of the 2 rows with its own GET:\n%s", code, out)
	}
}
