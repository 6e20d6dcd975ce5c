package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cohort-dev/cohort/clock"
	"github.com/cohort-dev/cohort/clock/clocktest"
	"github.com/cohort-dev/cohort/metrics/results"
	"github.com/cohort-dev/cohort/profiles"
	"github.com/cohort-dev/cohort/simnet"
	"github.com/cohort-dev/cohort/transport"
)

// runCohort runs "cohort run ARGS..." in-process and returns its exit code,
// its output and, when --out was asked for, the result file.
func runCohort(t *testing.T, args ...string) (int, string, *results.Result) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "result.json")
	var stdout, stderr bytes.Buffer
	code := dispatch(context.Background(), &env{stdout: &stdout, stderr: &stderr},
		append(append([]string{"run"}, args...), "--out", out, "--no-progress"))
	text := stdout.String() + stderr.String()
	if code != exitOK && code != exitInterrupted && code != exitThreshold && code != exitFailed {
		return code, text, nil
	}
	if _, err := os.Stat(out); code == exitFailed && err != nil {
		return code, text, nil // failed before the run
	}
	res, err := results.ReadResult(out)
	if err != nil {
		t.Fatalf("reading the result: %v\noutput:\n%s", err, text)
	}
	return code, text, res
}

// runSimulated is runCohort on a fake clock, in a synctest bubble of its
// own: the profile's built-in target is served in-process over a
// simulated network, with its latencies on the same clock, so the run
// takes no real time and what it measures is exact, however busy the
// machine is.
func runSimulated(t *testing.T, args ...string) (code int, text string, res *results.Result) {
	t.Helper()
	synctest.Test(t, func(t *testing.T) {
		fc := clock.NewFake(clocktest.Epoch)
		out := filepath.Join(t.TempDir(), "result.json")
		var stdout, stderr bytes.Buffer
		e := &env{stdout: &stdout, stderr: &stderr, clock: fc,
			network: func(h http.Handler) transport.Network {
				return &simnet.Network{Handler: h, Clock: fc, Connect: simConnect}
			}}
		code = clocktest.Do(t, fc, func() int {
			return dispatch(context.Background(), e, append(append([]string{"run"}, args...), "--out", out, "--no-progress"))
		})
		text = stdout.String() + stderr.String()
		if code != exitOK && code != exitInterrupted && code != exitThreshold && code != exitFailed {
			return
		}
		if _, err := os.Stat(out); code == exitFailed && err != nil {
			return // failed before the run
		}
		var err error
		if res, err = results.ReadResult(out); err != nil {
			t.Fatalf("reading the result: %v\noutput:\n%s", err, text)
		}
	})
	return code, text, res
}

// simConnect is how long a simulated connection takes to open.
const simConnect = time.Millisecond

func request(t *testing.T, r *results.Result, name string) results.RequestResult {
	t.Helper()
	for _, q := range r.Requests {
		if q.Name == name {
			return q
		}
	}
	t.Fatalf("no request %q in the result", name)
	return results.RequestResult{}
}

func TestSpringFormFiftyVUs(t *testing.T) {
	code, out, r := runSimulated(t, "spring-form", "--vus", "50", "--duration", "2s")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, out)
	}
	s := r.Sessions
	if s.Logins != 50 || s.LoginFailures != 0 || s.IDRotations != 50 || s.Logouts != 50 {
		t.Fatalf("sessions %+v: want 50 logins, 50 id rotations, 50 logouts, no failures", s)
	}
	if r.Totals.Failures != 0 {
		t.Fatalf("%d failures\n%s", r.Totals.Failures, out)
	}
	// Every profile answer was checked to name the VU's own user
	// (body_contains "username":"{{user.username}}"), so no failure means
	// no cookie jar was shared.
	if p := request(t, r, "profile"); p.Count < 50 || p.Status["200"] != p.Count {
		t.Fatalf("profile: %d requests, statuses %v", p.Count, p.Status)
	}
	if request(t, r, "login-submit").Status["302"] != 50 {
		t.Fatal("want 50 login POSTs answered 302")
	}
	if r.VUsMax != 50 || r.Schema != results.Schema || r.Tags["testid"] == "" {
		t.Fatalf("result header: vus_max %d schema %q tags %v", r.VUsMax, r.Schema, r.Tags)
	}
	if r.Totals.Requests != sumCounts(r) || r.Latency.Count != r.Totals.Requests {
		t.Fatalf("totals %+v do not add up to the requests", r.Totals)
	}
}

func sumCounts(r *results.Result) int64 {
	var n int64
	for _, q := range r.Requests {
		n += q.Count
	}
	return n
}

func TestBuiltinProfilesRunClean(t *testing.T) {
	cases := []struct {
		profile    string
		logins     int64 // per VU
		rotations  bool
		refreshes  bool
		extraFlags []string
	}{
		{"spring-form", 1, true, false, nil},
		{"spring-spa", 1, false, false, nil},
		{"jwt", 1, false, false, nil},
		{"basic", 0, false, false, nil},
		{"servlet-form", 1, true, false, nil},
		{"session-store", 1, true, false, nil},
	}
	for _, c := range cases {
		t.Run(c.profile, func(t *testing.T) {
			code, out, r := runSimulated(t, append([]string{c.profile, "--vus", "4", "--duration", "1s"}, c.extraFlags...)...)
			if code != exitOK || r.Totals.Failures != 0 || r.Sessions.LoginFailures != 0 {
				t.Fatalf("exit %d, failures %d, login failures %d\n%s", code, r.Totals.Failures, r.Sessions.LoginFailures, out)
			}
			if r.Sessions.Logins != 4*c.logins {
				t.Fatalf("logins %d, want %d", r.Sessions.Logins, 4*c.logins)
			}
			if got := r.Sessions.IDRotations; (got == 4) != c.rotations {
				t.Fatalf("id rotations %d (want rotations: %v)", got, c.rotations)
			}
			if r.Totals.Iterations == 0 {
				t.Fatal("no iterations")
			}
		})
	}
}

// writeProfile writes a variant of a built-in profile for a test.
func writeProfile(t *testing.T, builtin string, edit func(string) string) string {
	t.Helper()
	src, ok := profiles.BuiltinSource(builtin)
	if !ok {
		t.Fatalf("no built-in %s", builtin)
	}
	path := filepath.Join(t.TempDir(), builtin+".yaml")
	if err := os.WriteFile(path, []byte(edit(string(src))), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestVUsFlagKeepsPerVUIterations: --vus changes how many VUs a
// per-vu-iterations profile has, not what each does (an imported profile's
// load), and --iterations is then per VU, as docs/profiles.md says.
func TestVUsFlagKeepsPerVUIterations(t *testing.T) {
	path := writeProfile(t, "spring-form", func(s string) string {
		return strings.Replace(s, "load: {executor: constant-vus, vus: 50, duration: 10s}", "load: {executor: per-vu-iterations, vus: 10, iterations: 2}", 1)
	})
	for _, c := range []struct {
		args       []string
		iterations int64
	}{
		{[]string{"--vus", "3"}, 6},
		{[]string{"--vus", "3", "--iterations", "4"}, 12},
	} {
		code, out, r := runSimulated(t, append([]string{path}, c.args...)...)
		if code != exitOK || r.Totals.Iterations != c.iterations || r.Sessions.Logins != 3 {
			t.Fatalf("%v: exit %d, %d iterations, %d logins; want %d of 3 VUs\n%s", c.args, code, r.Totals.Iterations, r.Sessions.Logins, c.iterations, out)
		}
	}
}

func TestTokenRefreshOn401(t *testing.T) {
	path := writeProfile(t, "jwt", func(s string) string {
		return strings.Replace(s, `demo_target: ["--token-ttl", "5s"]`, `demo_target: ["--token-ttl", "1s"]`, 1)
	})
	_, out, r := runSimulated(t, path, "--vus", "3", "--duration", "2500ms")
	s := r.Sessions
	if s.Refreshes < 3 || s.RefreshFails != 0 || s.SessionsLost != 0 || r.Totals.Failures != 0 {
		t.Fatalf("sessions %+v, failures %d: want each VU to refresh at least once, and nothing lost\n%s", s, r.Totals.Failures, out)
	}
	if request(t, r, "profile").Status["401"] == 0 && request(t, r, "list-orders").Status["401"] == 0 {
		t.Fatal("no 401 recorded: the refreshes were not caused by expiry")
	}
}

func TestEvictedSessionsAreLostAndRenewed(t *testing.T) {
	path := writeProfile(t, "spring-form", func(s string) string {
		return strings.Replace(s, "demo_target: []", `demo_target: ["--max-sessions", "4"]`, 1)
	})
	code, out, r := runSimulated(t, path, "--vus", "8", "--duration", "2s")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, out)
	}
	s := r.Sessions
	if s.SessionsLost == 0 || s.Relogins == 0 || s.Logins <= 8 {
		t.Fatalf("sessions %+v: want lost sessions, re-logins, and more logins than VUs", s)
	}
	var lostRequests int64
	for _, q := range r.Requests {
		if q.Group != "mix" {
			continue
		}
		for reason, n := range q.Reasons {
			if reason != "session_lost" {
				t.Fatalf("%s: %d failures for %s; a mix request only fails here because its session was evicted", q.Name, n, reason)
			}
			lostRequests += n
		}
	}
	if lostRequests != s.SessionsLost {
		t.Fatalf("%d requests failed as session_lost, %d sessions lost", lostRequests, s.SessionsLost)
	}
	// The built-in target says why it dropped sessions: it evicted them.
	if sv := r.Server; sv == nil || sv.Evicted == 0 || sv.Expired != 0 || sv.Evicted < s.SessionsLost {
		t.Fatalf("server sessions %+v, %d lost: every loss is an eviction", sv, s.SessionsLost)
	}
	if !strings.Contains(out, "server sessions (built-in target):") || !strings.Contains(out, "Cookie header p50 43 B") {
		t.Fatalf("the summary lacks the server's sessions or the cookie sizes:\n%s", out)
	}
}

func TestWrongPasswordIsMeasuredNotFatal(t *testing.T) {
	csv := filepath.Join(t.TempDir(), "users.csv")
	os.WriteFile(csv, []byte("username,password\nuser1,wrong\nuser2,pass2\n"), 0o644)
	code, out, r := runSimulated(t, "spring-form", "--users", csv, "--vus", "2", "--duration", "1s")
	if code != exitOK {
		t.Fatalf("exit %d, want 0\n%s", code, out)
	}
	s := r.Sessions
	if s.Logins != 1 || s.LoginFailures == 0 {
		t.Fatalf("sessions %+v: want user2's one login and user1's failures", s)
	}
	if got := request(t, r, "login-submit").Reasons["expectation"]; got != s.LoginFailures {
		t.Fatalf("login-submit expectation failures %d, login failures %d", got, s.LoginFailures)
	}
	if !strings.Contains(out, "login-submit: ") {
		t.Fatalf("the summary does not list the login failures:\n%s", out)
	}
}

func TestIterationsAreExact(t *testing.T) {
	code, out, r := runCohort(t, "basic", "--vus", "5", "--iterations", "123")
	if code != exitOK || r.Totals.Iterations != 123 || r.Totals.Requests != 123 {
		t.Fatalf("exit %d, iterations %d, requests %d; want 123\n%s", code, r.Totals.Iterations, r.Totals.Requests, out)
	}
}

// TestQuickMode runs quick mode against a port nothing listens on: every
// request is a measured failure, and a run in which every request failed
// exits 1, saying why.
func TestQuickMode(t *testing.T) {
	code, out, r := runCohort(t, "--url", "http://127.0.0.1:1/", "--vus", "2", "--iterations", "4")
	if code != exitFailed || !strings.Contains(out, "cohort run: all 4 requests failed: connection_refused (4) to 127.0.0.1:1; is the target up?") {
		t.Fatalf("exit %d, want 1 and why\n%s", code, out)
	}
	if q := request(t, r, "get"); q.Count != 4 || q.Reasons["connection_refused"] != 4 {
		t.Fatalf("get: %+v", q)
	}
}

// TestRefusedTargetIsNotHammered: a VU whose request finds no server
// waits 100 ms, then 200, 400, ... before the next, instead of spinning
// (thousands of refused requests a second). In 1 s a VU tries at 0, 0.1,
// 0.3 and 0.7 s: at most 4 tries each, fewer on a slow machine (at
// least one).
func TestRefusedTargetIsNotHammered(t *testing.T) {
	code, out, r := runCohort(t, "--url", "http://127.0.0.1:1/", "--vus", "2", "--duration", "1s")
	if code != exitFailed {
		t.Fatalf("exit %d, want 1\n%s", code, out)
	}
	if q := request(t, r, "get"); q.Count < 1 || q.Count > 8 || q.Reasons["connection_refused"] != q.Count {
		t.Fatalf("%d requests in 1 s by 2 VUs (%v): want 1 to 8, backing off", q.Count, q.Reasons)
	}
}

// TestFindCapacity steps VUs up against a target that holds 5 sessions,
// on a fake clock: from 6 VUs on, the store evicts sessions that are
// still in use, and the search must stop there.
func TestFindCapacity(t *testing.T) {
	path := writeProfile(t, "spring-form", func(s string) string {
		s = strings.Replace(s, "demo_target: []", `demo_target: ["--max-sessions", "5", "--latency", "3ms"]`, 1)
		return s + "\ncapacity: {vary: vus, start: 2, step: 2, max: 10, step_duration: 1500ms, settle: 500ms}\n"
	})
	code, out, r := runSimulated(t, path, "--find-capacity", "--threshold", "sessions_lost: count<1")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, out)
	}
	c := r.Capacity
	if c.Vary != "vus" || c.LastPassing != 4 || c.FirstFailing != 6 || len(c.Steps) != 3 {
		t.Fatalf("capacity %+v\n%s", c, out)
	}
	for i, st := range c.Steps {
		if st.Level != float64(2*(i+1)) || st.Passed != (i < 2) || st.Requests == 0 || st.MeasuredS != 1 || st.StartS != 1.5*float64(i) {
			t.Errorf("step %d: %+v", i, st)
		}
	}
	if lost := c.Steps[2].LostSessions; lost == 0 || c.Steps[2].Thresholds[0].Value != float64(lost) {
		t.Errorf("the failing step lost %d sessions, its threshold read %v", lost, c.Steps[2].Thresholds[0].Value)
	}
	// The search stopped at the step that broke: 3 of its 5 steps, judged
	// at the first drain after 4.5 s (drains come every second), then the
	// VUs' last requests and logouts.
	if r.DurationS < 5 || r.DurationS > 5.1 || r.VUsMax != 6 {
		t.Errorf("the run lasted %v s with up to %d VUs: it should stop after the third step", r.DurationS, r.VUsMax)
	}
	if !strings.Contains(out, "capacity: last passing level 4, broke at 6") {
		t.Errorf("the summary does not give the verdict:\n%s", out)
	}
}

// TestOutputPaths checks k6's --out json=FILE habit, and that outputs
// written through a symbolic link keep the link.
func TestOutputPaths(t *testing.T) {
	dir := t.TempDir()
	res := filepath.Join(dir, "r.json")
	realHTML := filepath.Join(dir, "reports", "latest.html")
	os.Mkdir(filepath.Dir(realHTML), 0o755)
	link := filepath.Join(dir, "report.html")
	os.Symlink(realHTML, link)
	var out bytes.Buffer
	code := dispatch(context.Background(), &env{stdout: &out, stderr: &out},
		[]string{"run", "basic", "--vus", "1", "--iterations", "3", "--out", "json=" + res, "--html", link, "--quiet"})
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, out.String())
	}
	if r, err := results.ReadResult(res); err != nil || r.Totals.Iterations != 3 {
		t.Fatalf("--out json=FILE: %v", err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced: %v %v", fi.Mode(), err)
	}
	if data, err := os.ReadFile(realHTML); err != nil || !bytes.Contains(data, []byte("cohort report")) {
		t.Fatalf("the report was not written through the link: %v", err)
	}
}

// TestRunsWhereNobodyLogsIn: failed logins take no iteration, a VU of a
// run that only iterations bound gives up after 5 failed logins in a row,
// and a run in which no login succeeded, or in which most VUs never got a
// session, exits 1 saying why. On a fake clock, so the counts are exact.
func TestRunsWhereNobodyLogsIn(t *testing.T) {
	csv := func(lines ...string) string {
		p := filepath.Join(t.TempDir(), "users.csv")
		os.WriteFile(p, []byte("username,password\n"+strings.Join(lines, "\n")+"\n"), 0o644)
		return p
	}
	cases := []struct {
		name       string
		users      string
		args       []string
		code       int
		why        string
		iterations int64
		failures   int64 // failed logins; -1: some
		never      int64
	}{
		{"every password wrong", csv("user1,wrong", "user2,wrong"), []string{"--vus", "2", "--iterations", "3"}, exitFailed,
			"cohort run: no VU could log in: 10 logins failed (login-submit failed 10 times: status 302, expectation (10))", 0, 10, 2},
		// user2 does the 10 iterations while user1 keeps failing.
		{"one of two wrong", csv("user1,wrong", "user2,pass2"), []string{"--vus", "2", "--iterations", "10"}, exitOK,
			"", 10, -1, 1},
		{"three of four wrong", csv("user1,wrong", "user2,pass2", "user3,wrong", "user4,wrong"), []string{"--vus", "4", "--duration", "2s"}, exitFailed,
			"cohort run: 3 of 4 VUs never logged in:", -1, -1, 3},
	}
	t.Run("logged in, and every request of the mix failed", func(t *testing.T) {
		// A session the application loses at once (a sanitized recording
		// imported, say): the logins work, nothing after them does.
		path := writeProfile(t, "basic", func(s string) string {
			return strings.Replace(s, "session:\n  basic: true", "session:\n  basic: false\n  lost: {status: [401]}\nlogin:\n  - {name: hello, path: /login}", 1)
		})
		code, out, r := runSimulated(t, path, "--vus", "2", "--iterations", "6")
		want := "cohort run: all 6 requests of the mix failed: session_lost (5), status (1); the logins worked (7)"
		if code != exitFailed || !strings.Contains(out, want) || r.Sessions.Logins == 0 {
			t.Fatalf("exit %d, logins %d, want exit 1 and %q\n%s", code, r.Sessions.Logins, want, out)
		}
	})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, r := runSimulated(t, append([]string{"spring-form", "--users", c.users}, c.args...)...)
			if code != c.code || (c.why != "" && !strings.Contains(out, c.why)) {
				t.Fatalf("exit %d, want %d and %q\n%s", code, c.code, c.why, out)
			}
			s := r.Sessions
			if (c.iterations >= 0 && r.Totals.Iterations != c.iterations) || (c.failures >= 0 && s.LoginFailures != c.failures) ||
				s.NeverLoggedIn != c.never {
				t.Fatalf("%d iterations, %d failed logins, %d VUs never logged in; want %d, %d, %d",
					r.Totals.Iterations, s.LoginFailures, s.NeverLoggedIn, c.iterations, c.failures, c.never)
			}
		})
	}
}

// TestCapacityAgainstARefusingStore searches a store that refuses new
// sessions past its limit (a 500, as Tomcat's StandardManager answers past
// maxActiveSessions), on a fake clock. Every threshold passes at every
// level, since a refused login loses no session; the search must still
// stop where the level is not held, at the limit less what the rest of
// the run holds, and say why.
func TestCapacityAgainstARefusingStore(t *testing.T) {
	cases := []struct {
		name, capacity, sessions string
		vus                      string
		last, first              float64
		reason                   string
	}{
		{"warm sessions", "{vary: warm_sessions, start: 60, step: 60, max: 300, step_duration: 3s, settle: 1s}",
			"sessions: {warm: 60, touch_every: 1s}\n", "2",
			180, 240, "level not held: 198 of 240 warm sessions held, "}, // 200 less the 2 VUs' sessions
		{"VUs", "{vary: vus, start: 4, step: 4, max: 20, step_duration: 3s, settle: 1s}", "", "4",
			8, 12, "level not held: 10 of 12 VUs logged in, "},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			limit := map[string]string{"warm sessions": "200", "VUs": "10"}[c.name]
			path := writeProfile(t, "spring-form", func(s string) string {
				s = strings.Replace(s, "demo_target: []", `demo_target: ["--max-sessions", "`+limit+`", "--when-full", "refuse", "--latency", "3ms"]`, 1)
				return s + "\n" + c.sessions + "capacity: " + c.capacity + "\n"
			})
			code, out, r := runSimulated(t, path, "--vus", c.vus, "--find-capacity", "--threshold", "warm_sessions_lost: count<1",
				"--threshold", "sessions_lost: count<1")
			if code != exitOK {
				t.Fatalf("exit %d\n%s", code, out)
			}
			k := r.Capacity
			last := k.Steps[len(k.Steps)-1]
			if k.LastPassing != c.last || k.FirstFailing != c.first || last.Held || !strings.HasPrefix(last.Reason, c.reason) {
				t.Fatalf("last passing %v, first failing %v, the failed step: held %v, %q\nwant %v, %v, %q...\n%s",
					k.LastPassing, k.FirstFailing, last.Held, last.Reason, c.last, c.first, c.reason, out)
			}
			for _, th := range last.Thresholds {
				if !th.OK {
					t.Errorf("%s failed: the level alone should fail the step", th.Expr)
				}
			}
			// The VUs' refused logins are among the step's failed requests;
			// the warm population's are counted apart.
			if fails := last.LoginFailures + last.WarmLoginFailures; fails == 0 || (c.name == "VUs" && last.FailuresByStatus["500"] == 0) ||
				!strings.Contains(last.Reason, fmt.Sprintf("%d logins failed: 500", fails)) || r.Server.Rejected == 0 {
				t.Fatalf("the failed step: %d failed logins, failures by status %v, reason %q; %d refused by the target",
					fails, last.FailuresByStatus, last.Reason, r.Server.Rejected)
			}
			if !strings.Contains(out, "FAIL: "+c.reason) {
				t.Fatalf("the summary does not say why the step failed:\n%s", out)
			}
			// Each timeline point says what the warm population was asked
			// to hold then: the level of the step the point ends in.
			if c.sessions == "" {
				return
			}
			for _, pt := range r.Timeline.Points {
				step := min(int((pt.T-0.001)/3), len(k.Steps)-1)
				if want := int(k.Steps[step].Level); pt.WarmWanted != want {
					t.Errorf("point at %v s: warm_wanted %d, step %d wants %d", pt.T, pt.WarmWanted, step, want)
				}
			}
		})
	}
}

// TestRunWhoseLoginsAreAllCutShort: logins slower than the run and its
// graceful stop are cut short, none passes, and the run exits 1 saying so
// (it carried nothing out), on a fake clock.
func TestRunWhoseLoginsAreAllCutShort(t *testing.T) {
	path := writeProfile(t, "spring-form", func(s string) string {
		s = strings.Replace(s, "demo_target: []", `demo_target: ["--latency", "4s"]`, 1)
		return strings.Replace(s, "load: {executor: constant-vus, vus: 50, duration: 10s}", "load: {vus: 3, duration: 2s, graceful_stop: 1s}", 1)
	})
	code, out, r := runSimulated(t, path)
	want := "cohort run: no VU could log in: 3 cut short by the end of the run"
	if code != exitFailed || !strings.Contains(out, want) {
		t.Fatalf("exit %d, want 1 and %q\n%s", code, want, out)
	}
	if s := r.Sessions; s.LoginsInterrupted != 3 || s.Logins != 0 || s.LoginFailures != 0 || s.NeverLoggedIn != 3 {
		t.Fatalf("sessions %+v: want 3 logins cut short, none passed or failed, 3 VUs never logged in", s)
	}
	if !strings.Contains(out, "3 logins cut short by the end of the run") {
		t.Fatalf("the summary does not say the logins were cut short:\n%s", out)
	}
}

// TestHTTP2OnlyAgainstAnHTTP1Target: http.version 2 against a target that
// answers over HTTP/1.1 fails every request (malformed_response) rather
// than measure another protocol than asked, and the run exits 1.
func TestHTTP2OnlyAgainstAnHTTP1Target(t *testing.T) {
	path := writeProfile(t, "jwt", func(s string) string { return s + "\nhttp: {version: \"2\"}\n" })
	code, out, _ := runSimulated(t, path, "--vus", "1", "--iterations", "3")
	if code != exitFailed || !strings.Contains(out, "malformed_response") {
		t.Fatalf("exit %d, want 1 with every request malformed_response\n%s", code, out)
	}
}

// TestProfileWithoutUsers: a profile with neither users.csv nor
// users.generate has one anonymous user that every VU shares.
func TestProfileWithoutUsers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "anon.yaml")
	os.WriteFile(path, []byte("name: anon\ndemo_target: []\nmix:\n  - {name: a, path: /login}\n"), 0o644)
	code, out, r := runSimulated(t, path, "--vus", "3", "--iterations", "9")
	if code != exitOK || r.Totals.Iterations != 9 || r.VUsMax != 3 {
		t.Fatalf("exit %d\n%s", code, out)
	}
}

// journeyMix is a mix of one request and one journey over the built-in
// target's orders (docs/profiles.md has the same).
const journeyMix = `mix:
  - name: profile
    weight: 3
    path: /api/profile
  - name: order
    weight: 1
    steps:
      - name: place
        method: POST
        path: /api/orders
        headers: {X-CSRF-TOKEN: "{{vars.csrf}}"}
        json: {item: book, qty: 1}
        extract: [{name: order_id, json: id}]
        expect: {status: [201]}
        think: {type: constant, duration: 2s}
      - name: read
        path: /api/orders/{{vars.order_id}}
      - name: cancel
        method: DELETE
        path: /api/orders/{{vars.order_id}}
        headers: {X-CSRF-TOKEN: "{{vars.csrf}}"}
        expect: {status: [204]}
`

// TestJourneyThresholdsOnARun: a threshold names a journey, and judges
// its whole duration (its 2 s pause in it, to HDR's 3 digits), on a fake clock; a threshold
// naming a journey the mix does not have is refused before the run.
func TestJourneyThresholdsOnARun(t *testing.T) {
	path := writeProfile(t, "spring-form", func(s string) string {
		i, j := strings.Index(s, "mix:\n"), strings.Index(s, "\nthink:")+1
		return s[:i] + journeyMix + s[j:]
	})
	code, out, r := runSimulated(t, path, "--vus", "2", "--iterations", "40",
		"--threshold", "journey_duration{journey:order}: min>=1990", "--threshold", "journeys_failed: rate<0.01")
	if code != exitOK || len(r.Journeys) != 1 || r.Journeys[0].Count == 0 || r.Journeys[0].Failed != 0 {
		t.Fatalf("exit %d, journeys %+v\n%s", code, r.Journeys, out)
	}
	code, out, _ = runSimulated(t, path, "--iterations", "4", "--threshold", "journey_duration{journey:pay}: p(95)<1")
	if code != exitUsage || !strings.Contains(out, `no journey named "pay" (journeys: order)`) {
		t.Fatalf("exit %d, want 2 naming the journeys\n%s", code, out)
	}
}

// TestShortFlags: -u, -i, -d and -q are --vus, --iterations, --duration
// and --quiet, as k6 users type them.
func TestShortFlags(t *testing.T) {
	code, out, r := runSimulated(t, "spring-form", "-u", "3", "-i", "9", "-q")
	if code != exitOK || r.VUsMax != 3 || r.Totals.Iterations != 9 || strings.Contains(out, "cohort: spring-form") {
		t.Fatalf("-u 3 -i 9 -q: exit %d, %d VUs, %d iterations, output:\n%s", code, r.VUsMax, r.Totals.Iterations, out)
	}
	code, out, r = runSimulated(t, "spring-form", "-u", "2", "-d", "1500ms")
	if code != exitOK || r.VUsMax != 2 || r.DurationS < 1.5 || r.DurationS > 2 || !strings.Contains(out, "2 VUs for 1.5s") {
		t.Fatalf("-u 2 -d 1500ms: exit %d, %d VUs over %.2f s\n%s", code, r.VUsMax, r.DurationS, out)
	}
}

// TestOpenModelLastsItsDuration: an arrival-rate run lasts its duration,
// not until its last arrival, so its rps is the rate asked for.
func TestOpenModelLastsItsDuration(t *testing.T) {
	path := writeProfile(t, "basic", func(s string) string {
		s = strings.Replace(s, "think: {type: uniform, min: 10ms, max: 50ms}", "think: {type: none}", 1)
		return strings.Replace(s, "load: {executor: constant-vus, vus: 50, duration: 10s}",
			"load: {executor: constant-arrival-rate, rate: 10, duration: 2s, pre_allocated_vus: 2, max_vus: 4}", 1)
	})
	code, out, r := runSimulated(t, path)
	if code != exitOK || r.Totals.Iterations != 20 {
		t.Fatalf("exit %d, %d iterations; want 20\n%s", code, r.Totals.Iterations, out)
	}
	if r.DurationS < 2 || r.DurationS > 2.01 || r.Totals.RPS < 9.95 || r.Totals.RPS > 10 {
		t.Fatalf("%.3f s at %.2f rps: want the 2 s asked for, at 10 rps", r.DurationS, r.Totals.RPS)
	}
}

// TestDataOnTheWire: a run over real sockets reports the bytes its
// connections moved, in the result and the summary; a merge of segments
// adds them.
func TestDataOnTheWire(t *testing.T) {
	dir := t.TempDir()
	var parts []string
	var sent, received int64
	for _, seg := range []string{"1/2", "2/2"} {
		code, out, r := runCohort(t, "basic", "-u", "2", "-i", "6", "--segment", seg)
		if code != exitOK {
			t.Fatalf("segment %s: exit %d\n%s", seg, code, out)
		}
		c := r.Connections
		// Each request carries at least its request line and Basic
		// credentials, each answer its status line and headers.
		if c.BytesSent < 60*r.Totals.Requests || c.BytesReceived < 100*r.Totals.Requests || !strings.Contains(out, "\ndata: ") {
			t.Fatalf("%d requests: %d bytes sent, %d received\n%s", r.Totals.Requests, c.BytesSent, c.BytesReceived, out)
		}
		sent, received = sent+c.BytesSent, received+c.BytesReceived
		part := filepath.Join(dir, strings.Replace(seg, "/", "of", 1)+".json")
		if err := r.WriteFile(part); err != nil {
			t.Fatal(err)
		}
		parts = append(parts, part)
	}
	m := mergeResults(t, parts...)
	if m.Connections.BytesSent != sent || m.Connections.BytesReceived != received {
		t.Fatalf("merged: %d and %d bytes, want the segments' %d and %d", m.Connections.BytesSent, m.Connections.BytesReceived, sent, received)
	}
}

// mergeResults runs cohort merge on parts and reads the merged result.
func mergeResults(t *testing.T, parts ...string) *results.Result {
	t.Helper()
	merged := filepath.Join(t.TempDir(), "merged.json")
	var buf strings.Builder
	if code := dispatch(t.Context(), &env{stdout: &buf, stderr: &buf}, append(append([]string{"merge"}, parts...), "-o", merged)); code != exitOK {
		t.Fatalf("merge: exit %d\n%s", code, buf.String())
	}
	r, err := results.ReadResult(merged)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
