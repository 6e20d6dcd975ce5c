// Package tomcat runs a real Apache Tomcat 10 (Debian's tomcat10 package)
// on loopback with cohort's servlet test application (the webapp folder
// beside this file: JSPs compiled by Tomcat's Jasper at run time), for the
// real-server tests and the bench harness. Each Server has a private
// CATALINA_BASE, its own users in a MemoryRealm, an access log naming the
// user of every request, and the session manager a test asks for.
package tomcat

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Home is where Debian's tomcat10 package puts Tomcat (CATALINA_HOME).
const Home = "/usr/share/tomcat10"

// ContextPath is where the test application is deployed.
const ContextPath = "/app"

// Installed says why Tomcat cannot run here, or nil when it can.
func Installed() error {
	for _, f := range []string{"bin/catalina.sh", "lib/catalina.jar", "etc/web.xml"} {
		if _, err := os.Stat(filepath.Join(Home, f)); err != nil {
			return fmt.Errorf("Tomcat 10 is not installed (Debian package tomcat10): %v", err)
		}
	}
	if _, err := exec.LookPath("java"); err != nil {
		return errors.New("no java on PATH (Debian package default-jre-headless)")
	}
	return nil
}

// Config describes one Tomcat.
type Config struct {
	// Users is how many users the realm has: user1/pass1 ... userN/passN,
	// each with the role user.
	Users int
	// Manager is the <Manager> element of the application's context;
	// empty: a StandardManager that keeps nothing across a restart.
	Manager string
	// JVMRoute is the engine's jvmRoute: session ids end in ".ROUTE".
	JVMRoute string
	// Cluster is a <Cluster> element for the engine (session replication).
	Cluster string
	// BackgroundDelay is how often, in seconds, the engine's background
	// work runs (session expiry, a PersistentManager's swaps); 0: Tomcat's
	// 10.
	BackgroundDelay int
	// Libs are jars put in the base's lib folder (a JDBC driver).
	Libs []string
	// Port is the HTTP port on 127.0.0.1; 0 takes a free one.
	Port int
	// Base is the CATALINA_BASE to use (kept across restarts); empty: a
	// new temporary folder.
	Base string
	// Log, if set, receives Tomcat's console output.
	Log io.Writer
}

// Server is a running Tomcat.
type Server struct {
	cfg  Config
	base string
	// URL is the application's root: http://127.0.0.1:PORT/app.
	URL string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	err    error // how the process ended
	tail   *tailBuffer
}

// Start writes the configuration and starts Tomcat, returning once it
// says it has started (its "Server startup in" line) and the application
// answers. ctx bounds the wait.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if err := Installed(); err != nil {
		return nil, err
	}
	if cfg.Users == 0 {
		cfg.Users = 10
	}
	base := cfg.Base
	if base == "" {
		var err error
		if base, err = os.MkdirTemp("", "cohort-tomcat-"); err != nil {
			return nil, err
		}
	}
	if cfg.Port == 0 {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		cfg.Port = port
	}
	s := &Server{cfg: cfg, base: base, URL: fmt.Sprintf("http://127.0.0.1:%d%s", cfg.Port, ContextPath)}
	if err := s.writeBase(); err != nil {
		return nil, err
	}
	return s, s.start(ctx)
}

// Base is the server's CATALINA_BASE.
func (s *Server) Base() string { return s.base }

// Port is the server's HTTP port.
func (s *Server) Port() int { return s.cfg.Port }

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// webapp is the test application's folder, beside this file.
func webapp() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("cannot find the webapp folder")
	}
	dir := filepath.Join(filepath.Dir(file), "webapp")
	if _, err := os.Stat(filepath.Join(dir, "WEB-INF", "web.xml")); err != nil {
		return "", err
	}
	return dir, nil
}

func (s *Server) writeBase() error {
	app, err := webapp()
	if err != nil {
		return err
	}
	for _, d := range []string{"conf", "logs", "work", "temp", "webapps", "lib"} {
		if err := os.MkdirAll(filepath.Join(s.base, d), 0o755); err != nil {
			return err
		}
	}
	web, err := os.ReadFile(filepath.Join(Home, "etc", "web.xml")) // the default and JSP servlets
	if err != nil {
		return err
	}
	files := map[string]string{
		"conf/web.xml":          string(web),
		"conf/server.xml":       s.serverXML(app),
		"conf/tomcat-users.xml": users(s.cfg.Users),
		// The DeltaManager's FINE lines are the events WaitReplicating waits for.
		"conf/logging.properties": "handlers = java.util.logging.ConsoleHandler\n" +
			".level = INFO\njava.util.logging.ConsoleHandler.level = FINE\n" +
			"org.apache.catalina.ha.session.DeltaManager.level = FINE\n" +
			"java.util.logging.ConsoleHandler.formatter = org.apache.juli.OneLineFormatter\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(s.base, name), []byte(content), 0o644); err != nil {
			return err
		}
	}
	for _, jar := range s.cfg.Libs {
		link := filepath.Join(s.base, "lib", filepath.Base(jar))
		if _, err := os.Lstat(link); err == nil {
			continue // a restart on the same base
		}
		if err := os.Symlink(jar, link); err != nil {
			return err
		}
	}
	return nil
}

// serverXML is a server with its shutdown port off, one HTTP connector on
// loopback, the realm, an access log of "user method URI status session cookie"
// per request (with the session id the request came with), and the
// application at ContextPath.
func (s *Server) serverXML(app string) string {
	route := ""
	if s.cfg.JVMRoute != "" {
		route = fmt.Sprintf(` jvmRoute="%s"`, s.cfg.JVMRoute)
	}
	if s.cfg.BackgroundDelay > 0 {
		route += fmt.Sprintf(` backgroundProcessorDelay="%d"`, s.cfg.BackgroundDelay)
	}
	manager := s.cfg.Manager
	if manager == "" && s.cfg.Cluster == "" { // a cluster brings its own manager
		manager = `<Manager className="org.apache.catalina.session.StandardManager" pathname=""/>`
	}
	return fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<Server port="-1" shutdown="SHUTDOWN">
  <Service name="Catalina">
    <Connector address="127.0.0.1" port="%d" protocol="HTTP/1.1" connectionTimeout="20000" maxThreads="64"/>
    <Engine name="Catalina" defaultHost="localhost"%s>
      %s
      <Realm className="org.apache.catalina.realm.MemoryRealm" pathname="conf/tomcat-users.xml"/>
      <Host name="localhost" appBase="webapps" unpackWARs="false" autoDeploy="false" deployOnStartup="false">
        <Valve className="org.apache.catalina.valves.AccessLogValve" directory="logs" prefix="access" suffix=".log"
               rotatable="false" buffered="false" pattern="%%u %%m %%U %%s %%S %%{JSESSIONID}c"/>
        <Context path="%s" docBase="%s" reloadable="false">
          %s
        </Context>
      </Host>
    </Engine>
  </Service>
</Server>
`, s.cfg.Port, route, s.cfg.Cluster, ContextPath, app, manager)
}

// users is a MemoryRealm's file with user1/pass1 ... userN/passN.
func users(n int) string {
	var b strings.Builder
	b.WriteString("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<tomcat-users>\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "  <user username=\"user%d\" password=\"pass%d\" roles=\"user\"/>\n", i, i)
	}
	b.WriteString("</tomcat-users>\n")
	return b.String()
}

// start runs catalina.sh run and waits for Tomcat to have started.
func (s *Server) start(ctx context.Context) error {
	cmd := exec.Command(filepath.Join(Home, "bin", "catalina.sh"), "run")
	cmd.Env = append(os.Environ(), "CATALINA_HOME="+Home, "CATALINA_BASE="+s.base,
		"CATALINA_TMPDIR="+filepath.Join(s.base, "temp"),
		// A small heap and a quick start: this is a test server on a busy machine.
		"JAVA_OPTS=-Xms64m -Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.security.egd=file:/dev/./urandom")
	// Its own process group (Kill ends catalina.sh and the JVM together),
	// and killed with the test process even if that one panics or is
	// killed: a test run leaves no Tomcat behind.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return err
	}
	started := make(chan struct{})
	s.mu.Lock()
	s.cmd, s.exited, s.tail = cmd, make(chan struct{}), &tailBuffer{}
	s.mu.Unlock()
	go s.watch(out, started)
	go func(exited chan struct{}) {
		err := cmd.Wait()
		s.mu.Lock()
		s.err = err
		s.mu.Unlock()
		close(exited)
	}(s.exited)
	select {
	case <-started:
	case <-s.exited:
		return fmt.Errorf("tomcat exited before it started: %v\n%s", s.err, s.tail.String())
	case <-ctx.Done():
		s.Kill()
		return fmt.Errorf("tomcat did not start: %v\n%s", ctx.Err(), s.tail.String())
	}
	// The first request compiles the login page: make it before a run
	// measures anything.
	return s.warm(ctx)
}

// watch copies Tomcat's output to the log and the tail, and closes
// started at its "Server startup in" line.
func (s *Server) watch(out io.Reader, started chan struct{}) {
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	once := false
	for sc.Scan() {
		line := sc.Text()
		s.tail.add(line)
		if s.cfg.Log != nil {
			fmt.Fprintln(s.cfg.Log, line)
		}
		if !once && strings.Contains(line, "Server startup in") {
			once = true
			close(started)
		}
	}
}

// warm asks for two pages that make no session, so that Tomcat and
// Jasper are ready before a run measures anything.
func (s *Server) warm(ctx context.Context) error {
	for _, p := range []string{"/status", "/login-error.jsp"} {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+p, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return fmt.Errorf("tomcat started but %s did not answer: %v\n%s", p, err, s.tail.String())
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("tomcat started but %s answered %d\n%s", p, resp.StatusCode, s.tail.String())
		}
	}
	return nil
}

// Stop shuts Tomcat down as a service stop does (SIGTERM: its shutdown
// hook stops the contexts, and a manager that persists sessions writes
// them), and waits for it to end.
func (s *Server) Stop() error {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.mu.Unlock()
	if cmd == nil {
		return nil
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(2 * time.Minute):
		s.Kill()
		return errors.New("tomcat did not stop within 2 minutes of SIGTERM")
	}
	return nil
}

// Kill ends Tomcat at once, as a crash would: nothing is written.
func (s *Server) Kill() {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	<-exited
}

// Restart stops Tomcat (kill: as a crash; else a clean stop) and starts it
// again on the same base and port.
func (s *Server) Restart(ctx context.Context, kill bool) error {
	if kill {
		s.Kill()
	} else if err := s.Stop(); err != nil {
		return err
	}
	return s.start(ctx)
}

// Status is the session manager's own counts, as the application's status
// page reads them from Tomcat's Manager.
type Status struct {
	Manager   string `json:"manager"`
	Active    int    `json:"active"`
	Created   int64  `json:"created"`
	Expired   int64  `json:"expired"`
	Rejected  int64  `json:"rejected"`
	MaxActive int    `json:"max_active"`
}

// Status asks the application for its manager's counts.
func (s *Server) Status(ctx context.Context) (Status, error) {
	var st Status
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/status", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return st, fmt.Errorf("status page: %s", resp.Status)
	}
	return st, json.NewDecoder(resp.Body).Decode(&st)
}

// AccessLine is one line of the access log: the user Tomcat had
// authenticated ("-": none), the session after the request and the one
// its cookie named ("-": none).
type AccessLine struct {
	User, Method, Path, Session, Cookie string
	Status                              int
}

// AccessLog reads the access log: one line a request, with the user
// Tomcat had authenticated for it ("-" for none).
func (s *Server) AccessLog() ([]AccessLine, error) {
	b, err := os.ReadFile(s.AccessLogFile())
	if err != nil {
		return nil, err
	}
	var out []AccessLine
	lines := strings.Split(string(b), "\n")
	for _, line := range lines[:len(lines)-1] { // the last is a line still being written, or none
		var l AccessLine
		if _, err := fmt.Sscanf(line, "%s %s %s %d %s %s", &l.User, &l.Method, &l.Path, &l.Status, &l.Session, &l.Cookie); err != nil {
			return nil, fmt.Errorf("access log line %q: %v", line, err)
		}
		out = append(out, l)
	}
	return out, nil
}

// AccessLogFile is the access log's path, for WaitForFile.
func (s *Server) AccessLogFile() string { return filepath.Join(s.base, "logs", "access.log") }

// Close stops Tomcat and removes a temporary base.
func (s *Server) Close() error {
	err := s.Stop()
	if s.cfg.Base == "" {
		os.RemoveAll(s.base)
	}
	return err
}

// tailBuffer keeps Tomcat's output since it last started (its last
// maxLines lines), for waiters and messages, and tells waiters of every
// new line.
type tailBuffer struct {
	mu      sync.Mutex
	lines   []string
	dropped int           // lines let go from the front
	changed chan struct{} // closed and replaced at every line
}

// maxLines bounds the output kept: a DeltaManager at FINE prints a line a
// replicated request.
const maxLines = 200_000

func (t *tailBuffer) add(line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.lines) == maxLines {
		t.lines = append(t.lines[:0], t.lines[maxLines/2:]...)
		t.dropped += maxLines / 2
	}
	t.lines = append(t.lines, line)
	if t.changed != nil {
		close(t.changed)
		t.changed = nil
	}
}

// WaitForLog waits until Tomcat has printed a line holding substr since it
// last started (a cluster's "Replication member added", say).
func (s *Server) WaitForLog(ctx context.Context, substr string) error {
	s.mu.Lock()
	t := s.tail
	s.mu.Unlock()
	next := 0 // the number of the first line not yet read
	for {
		t.mu.Lock()
		for _, l := range t.lines[max(next-t.dropped, 0):] {
			if strings.Contains(l, substr) {
				t.mu.Unlock()
				return nil
			}
		}
		next = t.dropped + len(t.lines)
		if t.changed == nil {
			t.changed = make(chan struct{})
		}
		ch := t.changed
		t.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("tomcat never printed %q: %v\n%s", substr, ctx.Err(), t.String())
		}
	}
}

// String is the last lines of the output, for a message.
func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Join(t.lines[max(len(t.lines)-40, 0):], "\n")
}
