package tomcat

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cohort-dev/cohort/metrics/results"
)

// The package's Tomcat and cohort binary: started and built once, shared
// by every test and table row (Java's start is seconds).
var (
	shared *Server
	cohort string
)

func TestMain(m *testing.M) {
	if err := Installed(); err != nil {
		if os.Getenv("CI") == "true" {
			fmt.Fprintf(os.Stderr, "bench/tomcat: %v (CI: a missing component is a failure)\n", err)
			os.Exit(1)
		}
		fmt.Fprintf(os.Stderr, "bench/tomcat: skipped: %v (./scripts/test installs it)\n", err)
		os.Exit(0)
	}
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "cohort-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	cohort = filepath.Join(dir, "cohort")
	if out, err := exec.Command("go", "build", "-o", cohort, "github.com/cohort-dev/cohort/cmd/cohort").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building cohort: %v\n%s", err, out)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	shared, err = Start(ctx, Config{Users: 50})
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer shared.Close()
	return m.Run()
}

// runCohort runs the cohort binary and reads the result file it wrote.
func runCohort(t *testing.T, args ...string) (int, *results.Result, string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "result.json")
	cmd := exec.Command(cohort, append(append([]string{"run"}, args...), "--no-progress", "--out", "json="+out)...)
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	r, rerr := results.ReadResult(out)
	if rerr != nil {
		t.Fatalf("exit %d, no result: %v\n%s", code, rerr, output.String())
	}
	return code, r, output.String()
}

// profileFile writes a profile for the shared Tomcat.
func profileFile(t *testing.T, yaml string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "profile.yaml")
	if err := os.WriteFile(p, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// formLogin is profiles/form.yaml: the built-in servlet-form profile's
// flow, met here by Tomcat itself, with checks that the pages name the
// VU's own user.
var formLogin = mustRead("profiles/form.yaml")

func mustRead(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// formLoginNoLogout is formLogin without its logout: the sessions stay.
var formLoginNoLogout = formLogin[:strings.Index(formLogin, "logout:\n")]

// TestFormLoginOnTomcat runs cohort against Tomcat's own FORM
// authentication in every connection mode: every VU logs in once, as its
// own user, for the whole run; the counts cohort gives are Tomcat's.
func TestFormLoginOnTomcat(t *testing.T) {
	const vus, iterations = 20, 200
	profile := profileFile(t, formLogin)
	for _, mode := range []string{"shared", "per-user", "per-request"} {
		t.Run(mode, func(t *testing.T) {
			ctx := context.Background()
			before, err := shared.Status(ctx)
			if err != nil {
				t.Fatal(err)
			}
			logBefore, err := shared.AccessLog()
			if err != nil {
				t.Fatal(err)
			}
			code, r, out := runCohort(t, profile, "--base-url", fmt.Sprintf("http://127.0.0.1:%d", shared.Port()),
				"--vus", fmt.Sprint(vus), "--iterations", fmt.Sprint(iterations), "--conn", mode)
			if code != 0 || r.Totals.Failures != 0 {
				t.Fatalf("exit %d, %d failures\n%s", code, r.Totals.Failures, out)
			}
			s := r.Sessions
			if s.Logins != vus || s.LoginFailures != 0 || s.IDRotations != vus || s.Logouts != vus || r.Totals.Iterations != iterations {
				t.Fatalf("logins %d (failed %d), rotations %d, logouts %d, iterations %d; want %d, 0, %d, %d, %d",
					s.Logins, s.LoginFailures, s.IDRotations, s.Logouts, r.Totals.Iterations, vus, vus, vus, iterations)
			}
			for _, c := range r.Checks {
				if c.Fails != 0 || c.Passes == 0 {
					t.Errorf("check %q: %d passed, %d failed", c.Name, c.Passes, c.Fails)
				}
			}
			after, err := shared.Status(ctx)
			if err != nil {
				t.Fatal(err)
			}
			// Each login made one session (Tomcat changes its id at
			// authentication, it does not make another); each logout ended it
			// (Tomcat counts an invalidated session as expired).
			if created := after.Created - before.Created; created != vus || after.Active != before.Active {
				t.Errorf("Tomcat made %d sessions and holds %d more; want %d made, none left", created, after.Active-before.Active, vus)
			}
			if expired := after.Expired - before.Expired; expired != s.Logouts {
				t.Errorf("Tomcat ended %d sessions, cohort logged out %d", expired, s.Logouts)
			}
			checkAccessLog(t, waitForLog(t, len(logBefore), r.Totals.Requests), vus, r.Totals.Requests)
		})
	}
}

// TestBuiltinProfileOnTomcat: the built-in servlet-form profile, written
// against the built-in target's imitation of a servlet container, passes
// cohort check as it is against the real one.
func TestBuiltinProfileOnTomcat(t *testing.T) {
	out, err := exec.Command(cohort, "check", "servlet-form", "--base-url", fmt.Sprintf("http://127.0.0.1:%d", shared.Port())).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "steps passed") {
		t.Fatalf("%v\n%s", err, out)
	}
}

// waitForLog returns the access log's lines after the first skip, once it
// holds want of cohort's requests (Tomcat writes a line after the answer
// has gone, so the last may come after cohort has ended), or what it
// holds after 30 s.
func waitForLog(t *testing.T, skip int, want int64) []AccessLine {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var lines []AccessLine
	// A timeout is not an error here: checkAccessLog then says how many
	// lines came.
	WaitForFile(ctx, shared.AccessLogFile(), func() (bool, error) {
		all, err := shared.AccessLog()
		if err != nil {
			t.Fatal(err)
		}
		lines = slices.DeleteFunc(all[skip:], func(l AccessLine) bool { return l.Path == ContextPath+"/status" }) // the test's own
		return int64(len(lines)) >= want, nil
	})
	return lines
}

// checkAccessLog reads Tomcat's access log of one run back: as many
// requests as cohort counted, each authenticated session used by one user
// only, and every VU's user among them.
func checkAccessLog(t *testing.T, lines []AccessLine, vus int, requests int64) {
	t.Helper()
	if int64(len(lines)) != requests {
		t.Errorf("Tomcat logged %d requests, cohort counted %d", len(lines), requests)
	}
	userOf := map[string]string{} // session id → user
	users := map[string]bool{}
	logins, rotated := 0, 0
	for _, l := range lines {
		if l.Method == "POST" && strings.HasSuffix(l.Path, "/j_security_check") && l.Status == 303 {
			logins++
			if l.Cookie != "-" && l.Session != l.Cookie { // came with one id, left with another
				rotated++
			}
		}
		if l.User == "-" || l.Session == "-" { // no user yet; a logout's session is gone when it is logged
			continue
		}
		id := strings.SplitN(l.Session, ".", 2)[0]
		if u, seen := userOf[id]; seen && u != l.User {
			t.Fatalf("session %s… served both %s and %s", id[:6], u, l.User)
		}
		userOf[id] = l.User
		users[l.User] = true
	}
	if len(users) != vus || len(userOf) != vus {
		t.Errorf("%d users over %d authenticated sessions in Tomcat's log; want %d and %d", len(users), len(userOf), vus, vus)
	}
	if logins != vus || rotated != vus {
		t.Errorf("Tomcat's log shows %d logins and %d ids changed at login; cohort counted %d of each", logins, rotated, vus)
	}
}

// TestManagerAtItsLimit runs capacity searches against a StandardManager
// with maxActiveSessions, while another client holds some of its
// sessions: varying VUs, and separately varying warm sessions beside 5
// VUs. The last level that held is the limit less what else holds
// sessions, and the step that failed says why (Tomcat answers 500 to a
// request that needs a new session past the limit).
func TestManagerAtItsLimit(t *testing.T) {
	const limit, heldElsewhere = 30, 5
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	s, err := Start(ctx, Config{Users: 60, Manager: fmt.Sprintf(
		`<Manager className="org.apache.catalina.session.StandardManager" pathname="" maxActiveSessions="%d"/>`, limit)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cases := []struct {
		vary, extra string
		vus         int
		want        int // the last level that holds
		reason      string
	}{
		{"vus", `thresholds: ["login_failed: rate<0.01"]`, 1, limit - heldElsewhere, "25 of 30 VUs logged in"},
		{"warm_sessions", "sessions: {warm: 5, touch_every: 2s, touch: account}\nthresholds: [\"warm_sessions_lost: count<1\"]", 5, limit - heldElsewhere - 5, "20 of 25 warm sessions held"},
	}
	for i, c := range cases {
		t.Run(c.vary, func(t *testing.T) {
			if i > 0 { // a clean manager: this one keeps nothing across a restart
				if err := s.Restart(ctx, true); err != nil {
					t.Fatal(err)
				}
			}
			holdSessions(t, s, heldElsewhere)
			profile := profileFile(t, formLoginNoLogout+fmt.Sprintf(`
load: {vus: %d, duration: 1m}
capacity: {vary: %s, start: 5, step: 5, max: 40, step_duration: 3s, settle: 1s}
%s
`, c.vus, c.vary, c.extra))
			code, r, out := runCohort(t, profile, "--base-url", fmt.Sprintf("http://127.0.0.1:%d", s.Port()), "--find-capacity")
			capa := r.Capacity
			if code != 0 || len(capa.Steps) == 0 {
				t.Fatalf("exit %d, capacity %+v\n%s", code, capa, out)
			}
			if capa.LastPassing != float64(c.want) || capa.FirstFailing != float64(c.want+5) {
				t.Fatalf("last passing %v, first failing %v; want %d and %d\n%s", capa.LastPassing, capa.FirstFailing, c.want, c.want+5, out)
			}
			failed := capa.Steps[len(capa.Steps)-1]
			if failed.Passed || !strings.Contains(failed.Reason, c.reason) || !strings.Contains(failed.Reason, "logins failed: 500") {
				t.Fatalf("failed step %+v: want its reason to say %q and that logins failed with 500", failed, c.reason)
			}
			st, err := s.Status(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if st.Rejected == 0 || st.MaxActive != limit {
				t.Fatalf("Tomcat rejected %d sessions, held at most %d; want some rejected, %d at most", st.Rejected, st.MaxActive, limit)
			}
			t.Logf("limit %d, %d held elsewhere: last passing %v, broke at %v (%s)", limit, heldElsewhere, capa.LastPassing, capa.FirstFailing, failed.Reason)
		})
	}
}

// holdSessions makes n sessions on s, as other users would: each request
// without a cookie makes one.
func holdSessions(t *testing.T, s *Server, n int) {
	t.Helper()
	for range n {
		resp, err := http.Get(s.URL + "/account")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("holding a session: %s", resp.Status)
		}
	}
}

// startCohort starts the cohort binary; stop interrupts it (as Ctrl-C
// does: a graceful stop, outputs written) and reads its result.
func startCohort(t *testing.T, args ...string) (stop func() (int, *results.Result, string)) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "result.json")
	cmd := exec.Command(cohort, append(append([]string{"run"}, args...), "--no-progress", "--out", "json="+out)...)
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill() })
	return func() (int, *results.Result, string) {
		cmd.Process.Signal(os.Interrupt)
		err := <-exited
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		r, rerr := results.ReadResult(out)
		if rerr != nil {
			t.Fatalf("exit %d, no result: %v\n%s", code, rerr, output.String())
		}
		return code, r, output.String()
	}
}

// waitFor waits until cond holds, asking it each time a file in file's
// folder is written, for at most a minute: for events only a server's
// files show (a line in an access log, a statement in PostgreSQL's log).
func waitFor(t *testing.T, what, file string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := WaitForFile(ctx, file, func() (bool, error) { return cond(), nil }); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

// usersSince counts the distinct users Tomcat served after the first skip
// lines of its access log.
func usersSince(t *testing.T, s *Server, skip int) int {
	t.Helper()
	lines, err := s.AccessLog()
	if err != nil {
		t.Fatal(err)
	}
	users := map[string]bool{}
	for _, l := range lines[min(skip, len(lines)):] {
		if l.User != "-" && l.Status == 200 {
			users[l.User] = true
		}
	}
	return len(users)
}

// TestJDBCStoreOnPostgres: Tomcat's PersistentManager on a JDBCStore in a
// real PostgreSQL swaps idle sessions out to the database and back in
// while cohort's VUs and warm sessions use them, losing none; and the
// sessions survive a Tomcat restart in the middle of a run, where a
// StandardManager's are all lost.
func TestJDBCStoreOnPostgres(t *testing.T) {
	if err := PostgresInstalled(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	pg, err := StartPostgres(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Stop()
	s, err := Start(ctx, Config{Users: 60, Manager: pg.JDBCManager(1), BackgroundDelay: 1, Libs: []string{JDBCDriver}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	base := fmt.Sprintf("http://127.0.0.1:%d", s.Port())

	t.Run("swapped out and back in", func(t *testing.T) {
		profile := profileFile(t, formLogin+`
think: {type: uniform, min: 1500ms, max: 2500ms}
sessions: {warm: 30, touch_every: 3s, touch: account}
`)
		code, r, out := runCohort(t, profile, "--base-url", base, "--vus", "5", "--iterations", "25")
		if code != 0 || r.Totals.Failures != 0 || r.Sessions.SessionsLost != 0 || r.Warm == nil || r.Warm.Lost != 0 {
			t.Fatalf("exit %d, %d failures, %d lost\n%s", code, r.Totals.Failures, r.Sessions.SessionsLost, out)
		}
		// The warm sessions, untouched now, are swapped out within seconds.
		waitFor(t, "idle sessions in PostgreSQL", pg.LogFile(), func() bool {
			n, err := pg.StoredSessions(ctx)
			return err == nil && n >= 30
		})
	})
	for _, c := range []struct {
		name    string
		manager string
		lost    int
	}{
		{"restart with the JDBC store", "", 0},
		{"restart with a StandardManager", `<Manager className="org.apache.catalina.session.StandardManager" pathname=""/>`, 10},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := s
			if c.manager != "" {
				other, err := Start(ctx, Config{Users: 60, Manager: c.manager})
				if err != nil {
					t.Fatal(err)
				}
				defer other.Close()
				srv = other
			}
			before, _ := srv.AccessLog()
			profile := profileFile(t, formLoginNoLogout+"think: {type: constant, duration: 200ms}\n")
			stop := startCohort(t, profile, "--base-url", fmt.Sprintf("http://127.0.0.1:%d", srv.Port()), "--vus", "10", "--duration", "3m")
			waitFor(t, "10 users logged in", srv.AccessLogFile(), func() bool { return usersSince(t, srv, len(before)) == 10 })
			if err := srv.Restart(ctx, false); err != nil {
				stop()
				t.Fatal(err)
			}
			restarted, _ := srv.AccessLog()
			waitFor(t, "10 users served after the restart", srv.AccessLogFile(), func() bool { return usersSince(t, srv, len(restarted)) == 10 })
			_, r, out := stop()
			if s := r.Sessions; s.SessionsLost != int64(c.lost) || s.Relogins != int64(c.lost) || s.Logins != 10+int64(c.lost) {
				t.Fatalf("%d sessions lost, %d re-logins, %d logins; want %d, %d, %d\n%s", s.SessionsLost, s.Relogins, s.Logins, c.lost, c.lost, 10+c.lost, out)
			}
			t.Logf("%s: %d sessions lost of 10; %d requests failed during the restart (%v)", c.name, r.Sessions.SessionsLost, r.Totals.Failures, r.Requests[0].Reasons)
		})
	}
}

// clusterProfile logs in on node1 itself, then asks for the account page
// through the balancer, with the instance from HAProxy's X-Instance header
// (or, with route, from the session id's jvmRoute suffix). The login goes
// to one node because Tomcat's FORM login keeps its state (the saved
// request, the session id it expects) in session notes, which a
// DeltaManager does not replicate: a login whose POST reaches another node
// than its form fails, whatever the manager.
func clusterProfile(route bool, node1 string) string {
	instance := "instance_header: X-Instance"
	if route {
		instance = "instance_route: true"
	}
	return `
name: tomcat-cluster
` + instance + `
users: {generate: {username: "user{{n}}", password: "pass{{n}}", start: 1}}
session:
  cookie: JSESSIONID
  lost: {body_contains: "j_security_check"}
login:
  - name: protected-page
    path: ` + node1 + `/account
    expect: {status: [200], body_contains: "j_security_check"}
  - name: j_security_check
    method: POST
    path: ` + node1 + `/j_security_check
    form: {j_username: "{{user.username}}", j_password: "{{user.password}}"}
    redirects: 1
    expect: {status: [200], body_contains: "Logged in as {{user.username}}"}
mix:
  - name: account
    path: /app/account
    expect: {status: [200], text_contains: "Logged in as {{user.username}}"}
`
}

// TestTwoNodesBehindHAProxy: two Tomcats behind HAProxy's round robin.
// One VU's requests alternate between the nodes, so cohort's per-instance
// figures must tell the setups apart: a StandardManager on each node loses
// the session at every move; DeltaManager replication keeps it through
// every move; stickiness by jvmRoute never moves it.
func TestTwoNodesBehindHAProxy(t *testing.T) {
	if _, err := os.Stat(HAProxyBin); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	standard := `<Manager className="org.apache.catalina.session.StandardManager" pathname=""/>`
	cases := []struct {
		name             string
		manager          string
		cluster, sticky  bool
		route            bool
		moves, loseAtAll bool
	}{
		{name: "a store per node", manager: standard, moves: true, loseAtAll: true},
		{name: "a store per node, instance from the route", manager: standard, route: true, moves: true, loseAtAll: true},
		{name: "DeltaManager replication", manager: "", cluster: true, moves: true},
		{name: "sticky by jvmRoute", manager: standard, sticky: true},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// One pair of nodes per configuration, shared by the rows that use it.
	pairs := map[bool][]*Server{}
	defer func() {
		for _, nodes := range pairs {
			for _, n := range nodes {
				n.Close()
			}
		}
	}()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			nodes := pairs[c.cluster]
			if nodes == nil {
				var err error
				nodes, err = startPair(ctx, c.manager, c.cluster)
				pairs[c.cluster] = nodes // closed at the end, whatever came of the start
				if err != nil {
					t.Fatal(err)
				}
			}
			lb, err := StartHAProxy(nodes, c.sticky)
			if err != nil {
				t.Fatal(err)
			}
			defer lb.Stop()
			code, r, out := runCohort(t, profileFile(t, clusterProfile(c.route, nodes[0].URL)), "--base-url", fmt.Sprintf("http://127.0.0.1:%d", lb.Port),
				"--vus", "1", "--iterations", "20", "--http-debug")
			if os.Getenv("DEBUG_CLUSTER") != "" {
				t.Log(out)
			}
			s := r.Sessions
			t.Logf("exit %d: %d logins, %d requests moved, %d sessions lost (%d right after a move), instances %d", code, s.Logins, s.Moved, s.SessionsLost, s.LostAfterMove, len(r.Instances))
			switch {
			case s.Logins == 0:
				t.Fatalf("no login\n%s", out)
			case c.moves != (s.Moved > 0):
				t.Fatalf("%d requests moved between nodes; want moves: %v\n%s", s.Moved, c.moves, out)
			case c.loseAtAll && (s.SessionsLost == 0 || s.LostAfterMove != s.SessionsLost):
				t.Fatalf("%d sessions lost, %d right after a move; want every session lost at a move\n%s", s.SessionsLost, s.LostAfterMove, out)
			case !c.loseAtAll && (s.SessionsLost != 0 || r.Totals.Failures != 0 || code != 0):
				t.Fatalf("exit %d, %d sessions lost, %d failures; want none\n%s", code, s.SessionsLost, r.Totals.Failures, out)
			case !c.route && len(r.Instances) != map[bool]int{true: 1, false: 2}[c.sticky]:
				t.Fatalf("%d instances answered; want %d", len(r.Instances), map[bool]int{true: 1, false: 2}[c.sticky])
			}
		})
	}
}

// startPair starts two nodes, node1 and node2: with the given manager, or
// replicating with a DeltaManager once each has met the other.
func startPair(ctx context.Context, manager string, cluster bool) ([]*Server, error) {
	var clusters []string
	if cluster {
		p1, _ := freePort()
		p2, _ := freePort()
		clusters = DeltaCluster([]int{p1, p2})
	}
	var nodes []*Server
	for i := range 2 {
		cfg := Config{Users: 10, Manager: manager, JVMRoute: fmt.Sprintf("node%d", i+1)}
		if cluster {
			cfg.Manager, cfg.Cluster = "", clusters[i]
		}
		s, err := Start(ctx, cfg)
		if err != nil {
			for _, n := range nodes {
				n.Close()
			}
			return nil, err
		}
		nodes = append(nodes, s)
	}
	if cluster {
		for _, n := range nodes {
			if err := n.WaitForLog(ctx, "Replication member added"); err != nil {
				return nodes, err
			}
		}
		return nodes, WaitReplicating(ctx, nodes)
	}
	return nodes, nil
}

// TestTomcatBehavesAsTheProfileExpects checks, with a plain HTTP client,
// the servlet container behaviour the FORM-login profile (and the built-in
// target's imitation of it) is written for: the login form served in
// place of the page, its action rewritten with ;jsessionid=, JSESSIONID
// with Path=/app, a new session id at authentication, and a 303 to the
// page first asked for.
func TestTomcatBehavesAsTheProfileExpects(t *testing.T) {
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(shared.URL + "/account")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	first := sessionCookie(resp)
	switch {
	case resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "j_security_check"):
		t.Fatalf("the protected page answered %d without the login form:\n%s", resp.StatusCode, body)
	case first == nil || first.Path != ContextPath:
		t.Fatalf("session cookie %v, want JSESSIONID with Path=%s", first, ContextPath)
	case !strings.Contains(string(body), "j_security_check;jsessionid="+first.Value):
		t.Fatalf("the form's action is not rewritten with the session id:\n%s", body)
	}
	req, _ := http.NewRequest(http.MethodPost, shared.URL+"/j_security_check", strings.NewReader("j_username=user1&j_password=pass1"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(first)
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	second := sessionCookie(resp)
	switch {
	case resp.StatusCode != http.StatusSeeOther || !strings.HasSuffix(resp.Header.Get("Location"), ContextPath+"/account"):
		t.Fatalf("the login answered %d, Location %q; want 303 to the page first asked for", resp.StatusCode, resp.Header.Get("Location"))
	case second == nil || second.Value == first.Value:
		t.Fatalf("the session id did not change at authentication (%v after %v)", second, first)
	}
}
