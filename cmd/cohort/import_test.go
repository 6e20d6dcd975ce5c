package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cohort-dev/cohort/bench/target"
)

// recordedModes are the built-in target's modes a person is recorded in
// (scripts/har-record/record.js has a flow for each), and the target
// that serves each.
var recordedModes = []struct {
	flow string
	cfg  target.Config
	// fixture is the user of the committed recording (harimport/testdata).
	fixture string
}{
	{"form", target.Config{}, "user1,pass1"},
	{"spa", target.Config{CSRF: target.CSRFCookie}, "user2,pass2"},
	{"jwt", target.Config{}, "user1,pass1"},
	{"servlet", target.Config{ServletForm: true}, "user1,pass1"},
	{"oauth2", target.Config{OAuth2: true}, "user3,pass3"},
}

// startTarget serves a built-in target on a loopback port of its own.
func startTarget(t *testing.T, cfg target.Config) (*target.Target, string) {
	t.Helper()
	tg, err := target.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	base, err := tg.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tg.Close(context.Background()) })
	return tg, base
}

// usersFile writes a users CSV of the demo users from..to.
func usersFile(t *testing.T, from, to int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("username,password\n")
	for n := from; n <= to; n++ {
		fmt.Fprintf(&b, "user%d,pass%d\n", n, n)
	}
	p := filepath.Join(t.TempDir(), "users.csv")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// importAndRun imports a recording, checks the profile with another user
// than the recorded one, and runs it with vus users: every VU logs in as
// its own user, replays the journey twice (the profile's load is
// per-vu-iterations), logs out, and nothing fails.
func importAndRun(t *testing.T, har string, tg *target.Target, base string, recorded string, vus int) {
	t.Helper()
	dir := t.TempDir()
	prof := filepath.Join(dir, "imported.yaml")
	var out bytes.Buffer
	args := []string{"import", har, "-o", prof}
	if base != "" {
		args = append(args, "--base-url", base)
	}
	if code := dispatch(context.Background(), &env{stdout: &out, stderr: &out}, args); code != exitOK {
		t.Fatalf("import: exit %d\n%s", code, out.String())
	}
	report := out.String()
	if s := secretShapes.FindString(report); s != "" {
		t.Fatalf("the import printed a secret: %q\n%s", s, report)
	}
	profile, _ := os.ReadFile(prof)
	users, _ := os.ReadFile(filepath.Join(dir, "imported.users.csv"))
	if want := "username,password\n" + recorded + "\n"; string(users) != want {
		t.Fatalf("users file %q, want %q", users, want)
	}
	if strings.Contains(string(profile), strings.Split(recorded, ",")[1]) {
		t.Fatalf("the profile holds the recorded password:\n%s", profile)
	}
	code, text := runCheckCmd(t, prof, "--users", usersFile(t, 7, 7))
	if code != exitOK || !strings.Contains(text, "steps passed") || strings.Contains(text, "✘") {
		t.Fatalf("check as user7: exit %d\n%s\nimport:\n%s\nprofile:\n%s", code, text, report, profile)
	}
	before := tg.Stats()
	code, text, res := runCohort(t, prof, "--users", usersFile(t, 1, vus), "--vus", fmt.Sprint(vus), "--iterations", "2")
	after := tg.Stats()
	if code != exitOK || res.Totals.Failures != 0 || res.Sessions.Logins != int64(vus) || res.Sessions.LoginFailures != 0 {
		t.Fatalf("run: exit %d, %d failures, sessions %+v\n%s\nprofile:\n%s", code, res.Totals.Failures, res.Sessions, text, profile)
	}
	if len(res.Journeys) != 1 || res.Journeys[0].Count != int64(2*vus) || res.Journeys[0].Failed != 0 {
		t.Fatalf("journeys %+v, want %d, none failed", res.Journeys, 2*vus)
	}
	// The target's own count: a login of each user (user7 of the check
	// among them).
	if n := after.LoginsOK - before.LoginsOK; n != int64(vus) || after.Users != int64(vus) || after.LoginsFailed != 0 {
		t.Fatalf("the target saw %d logins of %d users (%d failed), want %d of %d", n, after.Users, after.LoginsFailed, vus, vus)
	}
	if strings.Contains(string(profile), "logout:") && res.Sessions.Logouts != int64(vus) {
		t.Fatalf("%d logouts, want %d", res.Sessions.Logouts, vus)
	}
}

// TestImportFixtures imports the recordings committed in
// harimport/testdata, made in Chromium against each mode, and runs them
// with 10 users against a target of that mode (its base URL given, as a
// user would give their staging server's).
func TestImportFixtures(t *testing.T) {
	for _, m := range recordedModes {
		t.Run(m.flow, func(t *testing.T) {
			t.Parallel()
			tg, base := startTarget(t, m.cfg)
			importAndRun(t, filepath.Join("..", "..", "harimport", "testdata", m.flow+".har"), tg, base, m.fixture, 10)
		})
	}
}

// TestImportFreshRecordings records each mode in a real Chromium now
// (Playwright, scripts/har-record), then imports and runs the recording
// as it is, nothing edited, with 50 users.
func TestImportFreshRecordings(t *testing.T) {
	node := component(t, "node")
	component(t, "chromium")
	script, _ := filepath.Abs(filepath.Join("..", "..", "scripts", "har-record", "record.js"))
	if _, err := os.Stat(filepath.Join(filepath.Dir(script), "node_modules", "playwright-core")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("playwright-core is not installed (scripts/test installs it)")
		}
		t.Skip("playwright-core is not installed; scripts/test installs it")
	}
	for _, m := range recordedModes {
		t.Run(m.flow, func(t *testing.T) {
			tg, base := startTarget(t, m.cfg)
			har := filepath.Join(t.TempDir(), m.flow+".har")
			cmd := exec.Command(node, script, m.flow, base, har, "user3", "pass3")
			cmd.Dir = filepath.Dir(script)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("recording in Chromium: %v\n%s", err, out)
			}
			importAndRun(t, har, tg, "", "user3,pass3", 50)
		})
	}
}
