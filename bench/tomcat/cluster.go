package tomcat

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

// DeltaCluster is the <Cluster> elements of n Tomcats replicating every
// session to each other with a DeltaManager (catalina-ha), over Tribes on
// loopback with static membership (no multicast): node i (from 0) listens
// for replication on ports[i]. Replication is synchronous (channel send
// options 6: the request's changes are acknowledged before it ends).
func DeltaCluster(ports []int) []string {
	var members strings.Builder
	for i, p := range ports {
		fmt.Fprintf(&members, `
            <Member className="org.apache.catalina.tribes.membership.StaticMember" host="127.0.0.1" port="%d"
                    uniqueId="{0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,%d}"/>`, p, i+1)
	}
	out := make([]string, len(ports))
	for i, p := range ports {
		out[i] = fmt.Sprintf(`<Cluster className="org.apache.catalina.ha.tcp.SimpleTcpCluster" channelSendOptions="6">
        <Manager className="org.apache.catalina.ha.session.DeltaManager" expireSessionsOnShutdown="false" notifyListenersOnReplication="true"/>
        <Channel className="org.apache.catalina.tribes.group.GroupChannel">
          <Membership className="org.apache.catalina.tribes.membership.StaticMembershipService">%s
          </Membership>
          <Receiver className="org.apache.catalina.tribes.transport.nio.NioReceiver" address="127.0.0.1" port="%d" autoBind="0" maxThreads="6"/>
          <Sender className="org.apache.catalina.tribes.transport.ReplicationTransmitter">
            <Transport className="org.apache.catalina.tribes.transport.nio.PooledParallelSender"/>
          </Sender>
          <Interceptor className="org.apache.catalina.tribes.group.interceptors.TcpPingInterceptor" staticOnly="true"/>
          <Interceptor className="org.apache.catalina.tribes.group.interceptors.TcpFailureDetector"/>
        </Channel>
        <Valve className="org.apache.catalina.ha.tcp.ReplicationValve" filter=""/>
        <ClusterListener className="org.apache.catalina.ha.session.ClusterSessionListener"/>
      </Cluster>`, members.String(), p)
	}
	return out
}

// WaitReplicating waits until a session made on each node is seen on
// every other: the first replication each way sets up Tribes' connections,
// and sessions made before that are not replicated in time. The event is
// the receiving DeltaManager's FINE line for that session; the probe then
// reads the value back there, once.
func WaitReplicating(ctx context.Context, nodes []*Server) error {
	for i, from := range nodes {
		value := fmt.Sprintf("from-node-%d", i)
		cookie, _, err := probe(ctx, from.URL+"/probe.jsp?set="+value, nil)
		if err != nil {
			return err
		}
		for j, to := range nodes {
			if j == i {
				continue
			}
			if err := to.WaitForLog(ctx, "received session delta message for session ["+cookie.Value); err != nil {
				return fmt.Errorf("node %d never heard of node %d's session: %v", j+1, i+1, err)
			}
			if _, got, err := probe(ctx, to.URL+"/probe.jsp", cookie); err != nil || got != value {
				return fmt.Errorf("node %d answers %q for node %d's session (%v)", j+1, got, i+1, err)
			}
		}
	}
	return nil
}

// probe asks probe.jsp with the session cookie c (nil: none) and returns
// the session cookie it set, if any, and what it answered.
func probe(ctx context.Context, url string, c *http.Cookie) (*http.Cookie, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, "", err
	}
	if c != nil {
		req.AddCookie(c)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, "", err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if set := sessionCookie(resp); set != nil {
		c = set
	}
	if c == nil {
		return nil, "", errors.New("the probe made no session")
	}
	return c, strings.TrimSpace(string(b)), err
}

// sessionCookie is the JSESSIONID cookie resp sets, or nil.
func sessionCookie(resp *http.Response) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == "JSESSIONID" {
			return c
		}
	}
	return nil
}

// HAProxy is Debian's haproxy in front of Tomcats on loopback: round robin
// by request, naming the server that answered in X-Instance.
type HAProxy struct {
	cmd  *exec.Cmd
	dir  string
	Port int
}

// HAProxyBin is where Debian's haproxy package puts it.
const HAProxyBin = "/usr/sbin/haproxy"

// StartHAProxy balances over the servers by request, without stickiness,
// or with sticky: each session to the node its id's jvmRoute suffix names
// (".node1"), as mod_jk does; the route names are the servers' jvmRoutes.
func StartHAProxy(servers []*Server, sticky bool) (*HAProxy, error) {
	if _, err := os.Stat(HAProxyBin); err != nil {
		return nil, fmt.Errorf("HAProxy is not installed (Debian package haproxy): %v", err)
	}
	// The listening socket is made here and handed over (bind fd@3): it
	// takes connections from the moment StartHAProxy returns, with no
	// port to poll until HAProxy is up, and no free port lost to a race.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	defer ln.Close() // HAProxy holds its own copy
	sock, err := ln.(*net.TCPListener).File()
	if err != nil {
		return nil, err
	}
	defer sock.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	dir, err := os.MkdirTemp("", "cohort-haproxy-")
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	fmt.Fprintf(&b, `global
    maxconn 2000
defaults
    mode http
    timeout connect 5s
    timeout client 60s
    timeout server 60s
frontend web
    bind fd@3
    default_backend tomcats
backend tomcats
    balance roundrobin
    http-response set-header X-Instance %%[srv_name]
`)
	for _, s := range servers {
		if sticky {
			fmt.Fprintf(&b, "    use-server %s if { req.cook(JSESSIONID),word(2,.) -m str %s }\n", s.cfg.JVMRoute, s.cfg.JVMRoute)
		}
	}
	for i, s := range servers {
		name := s.cfg.JVMRoute
		if name == "" {
			name = fmt.Sprintf("node%d", i+1)
		}
		fmt.Fprintf(&b, "    server %s 127.0.0.1:%d\n", name, s.Port())
	}
	cfg := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(cfg, []byte(b.String()), 0o644); err != nil {
		return nil, err
	}
	check := exec.Command(HAProxyBin, "-c", "-f", cfg)
	check.ExtraFiles = []*os.File{sock}
	if out, err := check.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("haproxy -c: %v\n%s", err, out)
	}
	h := &HAProxy{dir: dir, Port: port}
	h.cmd = exec.Command(HAProxyBin, "-db", "-f", cfg)
	h.cmd.ExtraFiles = []*os.File{sock}
	h.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // never outlives the test
	if err := h.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return h, nil
}

// Stop ends HAProxy.
func (h *HAProxy) Stop() {
	h.cmd.Process.Signal(syscall.SIGTERM)
	h.cmd.Wait()
	os.RemoveAll(h.dir)
}
