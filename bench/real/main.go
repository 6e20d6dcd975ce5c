// Command real runs cohort against real servers on loopback and prints
// what it measured: scripts/bench real [tomcat|limit|jdbc]. Each setup
// starts its servers (a Tomcat 10 from Debian's tomcat10 with the
// project's webapp, a private PostgreSQL), runs the cohort binary given by
// -cohort with bench/tomcat/profiles/form.yaml, and prints requests/s,
// latency, logins/s, the sessions the server held and, for a capacity
// search, the level found.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/cohort-dev/cohort/bench/tomcat"
	"github.com/cohort-dev/cohort/metrics/results"
)

func main() {
	cohort := flag.String("cohort", "cohort", "the cohort binary")
	profiles := flag.String("profiles", "bench/tomcat/profiles", "the folder of form.yaml")
	flag.Parse()
	setups := flag.Args()
	if len(setups) == 0 {
		setups = []string{"tomcat", "limit", "jdbc", "cluster"}
	}
	h := &harness{cohort: *cohort, form: filepath.Join(*profiles, "form.yaml")}
	for _, s := range setups {
		var err error
		switch s {
		case "tomcat":
			err = h.tomcat()
		case "limit":
			err = h.limit()
		case "jdbc":
			err = h.jdbc()
		case "cluster":
			err = h.cluster()
		default:
			err = fmt.Errorf("unknown setup %q (want tomcat, limit, jdbc or cluster)", s)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "real %s: %v\n", s, err)
			os.Exit(1)
		}
	}
}

type harness struct {
	cohort, form string
}

// profile is form.yaml with extra YAML after it, in a temporary file.
func (h *harness) profile(dir, extra string, logout bool) (string, error) {
	b, err := os.ReadFile(h.form)
	if err != nil {
		return "", err
	}
	src := string(b)
	if !logout {
		src = src[:strings.Index(src, "logout:\n")]
	}
	p := filepath.Join(dir, "profile.yaml")
	return p, os.WriteFile(p, []byte(src+extra), 0o644)
}

// run runs cohort against srv and reads its result.
func (h *harness) run(dir string, srv *tomcat.Server, args ...string) (*results.Result, string, error) {
	out := filepath.Join(dir, "result.json")
	args = append([]string{"run"}, append(args, "--base-url", fmt.Sprintf("http://127.0.0.1:%d", srv.Port()),
		"--no-progress", "--out", "json="+out)...)
	b, err := exec.Command(h.cohort, args...).CombinedOutput()
	if _, exit := err.(*exec.ExitError); err != nil && !exit {
		return nil, "", err
	}
	r, rerr := results.ReadResult(out)
	if rerr != nil {
		return nil, string(b), fmt.Errorf("%v\n%s", rerr, b)
	}
	return r, string(b), nil
}

func start(cfg tomcat.Config) (*tomcat.Server, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	return tomcat.Start(ctx, cfg)
}

// line prints a run's figures; made is how many sessions the manager
// made during it.
func line(name string, r *results.Result, made int64, st tomcat.Status) {
	fmt.Printf("   %-30s %7.0f req/s  p50 %5.2f ms  p99 %6.2f ms  %d logins (p95 %.1f ms)  %d failed  manager: %d made, %d at most\n",
		name, r.Totals.RPS, r.Latency.P50, r.Latency.P99, r.Sessions.Logins, r.Sessions.Login.P95, r.Totals.Failures, made, st.MaxActive)
}

// tomcat: 50 VUs log in with FORM authentication and browse for 10 s, in
// each connection mode.
func (h *harness) tomcat() error {
	fmt.Println("== Tomcat 10, FORM login (j_security_check), StandardManager, 50 VUs for 10 s")
	srv, err := start(tomcat.Config{Users: 50})
	if err != nil {
		return err
	}
	defer srv.Close()
	dir, _ := os.MkdirTemp("", "cohort-real-")
	defer os.RemoveAll(dir)
	p, err := h.profile(dir, "", true)
	if err != nil {
		return err
	}
	for _, mode := range []string{"shared", "per-user", "per-request"} {
		before, _ := srv.Status(context.Background())
		r, _, err := h.run(dir, srv, p, "--vus", "50", "--duration", "10s", "--conn", mode)
		if err != nil {
			return err
		}
		st, _ := srv.Status(context.Background())
		line("--conn "+mode, r, st.Created-before.Created, st)
	}
	return nil
}

// limit: capacity searches against a StandardManager with
// maxActiveSessions 200, varying VUs, then warm sessions beside 10 VUs.
func (h *harness) limit() error {
	const max = 200
	fmt.Printf("== Tomcat 10, StandardManager maxActiveSessions=%d: capacity searches\n", max)
	for _, c := range []struct{ vary, extra string }{
		{"vus", `load: {vus: 1, duration: 10m}
capacity: {vary: vus, start: 40, step: 40, max: 400, step_duration: 5s, settle: 2s}
thresholds: ["login_failed: rate<0.01"]
`},
		{"warm_sessions", `load: {vus: 10, duration: 10m}
sessions: {warm: 40, touch_every: 3s, touch: account, workers: 8}
capacity: {vary: warm_sessions, start: 40, step: 40, max: 400, step_duration: 5s, settle: 2s}
thresholds: ["warm_sessions_lost: count<1"]
`},
	} {
		srv, err := start(tomcat.Config{Users: 500, Manager: fmt.Sprintf(
			`<Manager className="org.apache.catalina.session.StandardManager" pathname="" maxActiveSessions="%d"/>`, max)})
		if err != nil {
			return err
		}
		dir, _ := os.MkdirTemp("", "cohort-real-")
		p, err := h.profile(dir, c.extra, false)
		if err == nil {
			var r *results.Result
			var out string
			r, out, err = h.run(dir, srv, p, "--find-capacity")
			if err == nil {
				fmt.Printf("   vary %s:\n", c.vary)
				for _, l := range strings.Split(out, "\n") {
					if strings.HasPrefix(l, "capacity") || strings.HasPrefix(strings.TrimSpace(l), "level") ||
						len(l) > 4 && l[0] == ' ' && strings.Contains(l, "pass") || strings.Contains(l, "FAIL") {
						fmt.Println("     " + l)
					}
				}
				st, _ := srv.Status(context.Background())
				fmt.Printf("     Tomcat: %d sessions at most, %d rejected; cohort: last passing %v\n", st.MaxActive, st.Rejected, r.Capacity.LastPassing)
			}
		}
		srv.Close()
		os.RemoveAll(dir)
		if err != nil {
			return err
		}
	}
	return nil
}

// jdbc: the same run against a StandardManager and a PersistentManager
// swapping sessions idle for 1 s out to PostgreSQL: the store's round
// trips show in the latency of the requests that read a session back.
func (h *harness) jdbc() error {
	fmt.Println("== Tomcat 10, 20 VUs thinking 1.5-2.5 s and 200 warm sessions touched every 3 s, for 20 s")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	pg, err := tomcat.StartPostgres(ctx)
	if err != nil {
		return err
	}
	defer pg.Stop()
	extra := "think: {type: uniform, min: 1500ms, max: 2500ms}\nsessions: {warm: 200, touch_every: 3s, touch: account}\n"
	for _, c := range []struct {
		name string
		cfg  tomcat.Config
	}{
		{"StandardManager (memory)", tomcat.Config{Users: 300}},
		{"PersistentManager, PostgreSQL", tomcat.Config{Users: 300, Manager: pg.JDBCManager(1), BackgroundDelay: 1, Libs: []string{tomcat.JDBCDriver}}},
	} {
		srv, err := start(c.cfg)
		if err != nil {
			return err
		}
		dir, _ := os.MkdirTemp("", "cohort-real-")
		p, err := h.profile(dir, extra, true)
		if err == nil {
			var r *results.Result
			stop := sampleMemory(srv)
			r, _, err = h.run(dir, srv, p, "--vus", "20", "--duration", "20s")
			inMemory := stop()
			if err == nil {
				st, _ := srv.Status(ctx)
				line(c.name, r, st.Created, st)
				fmt.Printf("   %-30s sessions in memory through the run: median %d, max %d (of %d held)\n", "", inMemory[len(inMemory)/2], inMemory[len(inMemory)-1], r.Warm.Held+20)
				stored, _ := pg.StoredSessions(ctx)
				w := r.Warm
				fmt.Printf("   %-34s warm: %d held (%d logins failed), touch p50 %.2f ms p99 %.2f ms, %d lost; VU sessions lost %d; rows in PostgreSQL now %d\n",
					"", w.Held, w.LoginFailures, w.Touch.P50, w.Touch.P99, w.Lost, r.Sessions.SessionsLost, stored)
			}
		}
		srv.Close()
		os.RemoveAll(dir)
		if err != nil {
			return err
		}
	}
	return nil
}

// cluster: two Tomcats behind HAProxy's round robin, 20 VUs for 10 s, each
// logged in on node1 and then browsing through the balancer: a
// StandardManager per node, DeltaManager replication, and sticky by
// jvmRoute.
func (h *harness) cluster() error {
	fmt.Println("== two Tomcats behind HAProxy (round robin), 20 VUs for 10 s, logged in on node1, then through the balancer")
	standard := `<Manager className="org.apache.catalina.session.StandardManager" pathname=""/>`
	for _, c := range []struct {
		name            string
		cluster, sticky bool
	}{{"a StandardManager per node", false, false}, {"DeltaManager replication", true, false}, {"sticky by jvmRoute", false, true}} {
		if err := h.clusterRun(c.name, standard, c.cluster, c.sticky); err != nil {
			return err
		}
	}
	return nil
}

func (h *harness) clusterRun(name, standard string, cluster, sticky bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var clusters []string
	if cluster {
		clusters = tomcat.DeltaCluster([]int{freePort(), freePort()})
	}
	var nodes []*tomcat.Server
	defer func() {
		for _, n := range nodes {
			n.Close()
		}
	}()
	for i := range 2 {
		cfg := tomcat.Config{Users: 50, JVMRoute: fmt.Sprintf("node%d", i+1), Manager: standard}
		if cluster {
			cfg.Manager, cfg.Cluster = "", clusters[i]
		}
		n, err := tomcat.Start(ctx, cfg)
		if err != nil {
			return err
		}
		nodes = append(nodes, n)
	}
	if cluster {
		for _, n := range nodes {
			if err := n.WaitForLog(ctx, "Replication member added"); err != nil {
				return err
			}
		}
		if err := tomcat.WaitReplicating(ctx, nodes); err != nil {
			return err
		}
	}
	lb, err := tomcat.StartHAProxy(nodes, sticky)
	if err != nil {
		return err
	}
	defer lb.Stop()
	dir, _ := os.MkdirTemp("", "cohort-real-")
	defer os.RemoveAll(dir)
	b, err := os.ReadFile(h.form)
	if err != nil {
		return err
	}
	// The login on node1 itself (a FORM login's state is not replicated),
	// the rest through the balancer; the instance from HAProxy's header.
	src := strings.NewReplacer("path: /app/account\n    expect: {status: [200], body_contains: \"j_security_check\"}",
		"path: "+nodes[0].URL+"/account\n    expect: {status: [200], body_contains: \"j_security_check\"}",
		"path: /app/j_security_check", "path: "+nodes[0].URL+"/j_security_check").Replace(string(b))
	src = strings.Replace(src, "session:\n", "instance_header: X-Instance\nsession:\n", 1)
	p := filepath.Join(dir, "profile.yaml")
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		return err
	}
	out := filepath.Join(dir, "result.json")
	exec.Command(h.cohort, "run", p, "--base-url", fmt.Sprintf("http://127.0.0.1:%d", lb.Port), "--vus", "20", "--duration", "10s",
		"--no-progress", "--out", "json="+out).Run()
	r, err := results.ReadResult(out)
	if err != nil {
		return err
	}
	s := r.Sessions
	fmt.Printf("   %-28s %6.0f req/s  p50 %5.2f ms  p99 %6.2f ms  %d logins  %d requests moved  %d sessions lost (%d right after a move)  %d failed\n",
		name, r.Totals.RPS, r.Latency.P50, r.Latency.P99, s.Logins, s.Moved, s.SessionsLost, s.LostAfterMove, r.Totals.Failures)
	return nil
}

// sampleMemory reads the manager's in-memory session count every 250 ms
// until stop, which returns the counts sorted.
func sampleMemory(srv *tomcat.Server) (stop func() []int) {
	done := make(chan struct{})
	got := make(chan []int)
	go func() {
		var counts []int
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				slices.Sort(counts)
				if len(counts) == 0 {
					counts = []int{0}
				}
				got <- counts
				return
			case <-tick.C:
				if st, err := srv.Status(context.Background()); err == nil {
					counts = append(counts, st.Active)
				}
			}
		}
	}()
	return func() []int {
		close(done)
		return <-got
	}
}

func freePort() int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
