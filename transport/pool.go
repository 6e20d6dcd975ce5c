// Package transport carries a run's requests: the connection modes
// (shared, per-user, per-request), the tuned pool of net/http transports,
// each per-user VU's own direct HTTP/1.1 connection, TLS and the HTTP
// versions offered. It knows nothing of load shapes: the engine, the warm
// population and cohort check take their VUs' transports from a Pool.
package transport

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// LeanVUs is the VU count from which per-user connections over plain TCP
// borrow their buffers for each exchange instead of keeping their own: a
// VU waiting for its answer then holds none (6 KiB of heap per active VU
// instead of 16, bench/RESULTS.md), for one more system call a request
// (a peek at the socket before the read), which costs a fifth of the
// requests per second of a few VUs that a fast server keeps busy.
const LeanVUs = 1000

// Connection modes (--conn).
const (
	// Shared is one tuned pool for all VUs: a connection any VU left
	// idle serves the next VU's request.
	Shared = "shared"
	// PerUser gives each VU a pool of its own, as separate browsers
	// have: its own connections (and TLS sessions), reused across its
	// requests.
	PerUser = "per-user"
	// PerRequest turns keep-alive off: every request opens a new TCP
	// connection and, over TLS, makes a new handshake.
	PerRequest = "per-request"
)

// Config tunes the connections of a run.
type Config struct {
	// Mode is Shared (default), PerUser or PerRequest.
	Mode string
	// VUs is the most VUs that run at once: the shared pool keeps an idle
	// connection for each, so no VU waits on another's connection.
	VUs int
	// Insecure skips TLS verification.
	Insecure bool
	// CAFile adds the certificates of a PEM file to the trusted roots;
	// CAPEM adds certificates given in memory (the demo target's).
	CAFile string
	CAPEM  []byte
	// Proxy is a proxy URL; empty means the environment's (HTTP_PROXY...).
	Proxy string
	// NoTLSResumption turns off TLS session resumption, so every new
	// connection pays for a full handshake.
	NoTLSResumption bool
	// Version is the HTTP version offered, the same in every mode:
	// VersionAuto (default: HTTP/2 where a TLS server offers it in ALPN,
	// else HTTP/1.1, as browsers do), Version11, or Version2 (HTTP/2 only;
	// h2c with prior knowledge over plain HTTP).
	Version string
	// Network, if set, carries the requests instead of TCP: the tests give
	// a simulated network (package simnet) on a fake clock.
	Network Network
}

// HTTP versions (Config.Version, the profile's http.version).
const (
	VersionAuto = "auto"
	Version11   = "1.1"
	Version2    = "2"
)

// protocols is what a transport offers for version.
func protocols(version string) (*http.Protocols, error) {
	p := new(http.Protocols)
	switch version {
	case "", VersionAuto:
		p.SetHTTP1(true)
		p.SetHTTP2(true)
	case Version11:
		p.SetHTTP1(true)
	case Version2:
		p.SetHTTP2(true)
		p.SetUnencryptedHTTP2(true)
	default:
		return nil, fmt.Errorf("http.version: want auto, 1.1 or 2, got %q", version)
	}
	return p, nil
}

// Network makes transports over something other than TCP. keepAlive is
// false in per-request mode; idle is how many connections a transport
// keeps alive; opened is told of every connection it opens.
type Network interface {
	Transport(keepAlive bool, idle int, opened func()) http.RoundTripper
}

// Pool hands out the transports of a run and counts the connections they
// open.
type Pool struct {
	mode   string
	base   *http.Transport
	net    Network
	shared http.RoundTripper // what every VU gets outside per-user mode
	opened atomic.Int64
	// sent and received count the bytes of every connection dialed.
	sent, received atomic.Int64
	direct         bool // per-user VUs own a direct HTTP/1.1 connection
	// lean: direct connections borrow their buffers for each exchange
	// (runs of LeanVUs VUs or more).
	lean    bool
	version string
	dialer  *net.Dialer

	mu    sync.Mutex
	all   []*http.Transport
	conns map[*directConn]bool
}

// NewPool builds the transport of a run; errors are the user's (a bad
// proxy URL, an unreadable CA file).
func NewPool(c Config) (*Pool, error) {
	switch c.Mode {
	case "":
		c.Mode = Shared
	case Shared, PerUser, PerRequest:
	default:
		return nil, fmt.Errorf("--conn: want %s, %s or %s, got %q", Shared, PerUser, PerRequest, c.Mode)
	}
	proxy := http.ProxyFromEnvironment
	if c.Proxy != "" {
		u, err := url.Parse(c.Proxy)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("--proxy: %q is not a proxy URL", c.Proxy)
		}
		proxy = http.ProxyURL(u)
	}
	tlsConf, err := tlsConfig(c)
	if err != nil {
		return nil, err
	}
	protos, err := protocols(c.Version)
	if err != nil {
		return nil, err
	}
	if c.Version == "" {
		c.Version = VersionAuto
	}
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	// Per-user VUs talk HTTP/1.1 on their own connection, unless a proxy
	// is in the way (the Transport knows proxies) or only HTTP/2 will do;
	// under auto, a VU's https requests go through a transport of its own,
	// which offers HTTP/2 (directConn.h2).
	p := &Pool{mode: c.Mode, dialer: dialer, conns: map[*directConn]bool{}, version: c.Version,
		direct: c.Mode == PerUser && c.Proxy == "" && !proxyInEnvironment() && c.Version != Version2,
		lean:   c.VUs >= LeanVUs}
	p.base = &http.Transport{
		Proxy: proxy,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := dialer.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			p.opened.Add(1)
			return p.count(conn), nil
		},
		TLSClientConfig:        tlsConf,
		TLSHandshakeTimeout:    10 * time.Second,
		MaxIdleConns:           0, // no global cap: the per-host cap rules
		MaxIdleConnsPerHost:    max(c.VUs, 2),
		IdleConnTimeout:        90 * time.Second,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: maxResponseHeader,
		DisableKeepAlives:      c.Mode == PerRequest,
		Protocols:              protos,
		// The VU asks for compression itself and inflates the answer, the
		// same in every connection mode (the direct connection has no
		// transparent gzip): the transport must not add its own.
		DisableCompression: true,
	}
	p.all = []*http.Transport{p.base}
	p.shared = p.base
	if c.Network != nil {
		p.net, p.direct = c.Network, false
		p.shared = c.Network.Transport(c.Mode != PerRequest, max(c.VUs, 2), func() { p.opened.Add(1) })
	}
	return p, nil
}

func tlsConfig(c Config) (*tls.Config, error) {
	conf := &tls.Config{InsecureSkipVerify: c.Insecure}
	if !c.NoTLSResumption {
		conf.ClientSessionCache = tls.NewLRUClientSessionCache(max(c.VUs, 64))
	}
	if c.CAFile == "" && c.CAPEM == nil {
		return conf, nil
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if c.CAPEM != nil {
		pool.AppendCertsFromPEM(c.CAPEM)
	}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("--ca: %v", err)
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--ca: %s holds no PEM certificate", c.CAFile)
		}
	}
	conf.RootCAs = pool
	return conf, nil
}

// ForVU returns the transport a new VU uses: the shared one, or in
// per-user mode one of its own (with its own TLS session cache).
func (p *Pool) ForVU() http.RoundTripper {
	if p.mode == PerRequest && p.net == nil && p.version != Version11 {
		// Over HTTP/2 a shared transport hands a request a connection
		// another request dialed: per-request VUs get their own, so that
		// every request opens its own connection.
		t := p.vuTransport()
		p.mu.Lock()
		p.all = append(p.all, t)
		p.mu.Unlock()
		return t
	}
	if p.mode != PerUser {
		return p.shared
	}
	if p.net != nil {
		return p.net.Transport(true, 1, func() { p.opened.Add(1) })
	}
	if p.direct {
		d := &directConn{dialer: p.dialer, tlsConf: p.vuTLS, opened: func() { p.opened.Add(1) }, count: p.count, lean: p.lean}
		if p.version == VersionAuto {
			d.h2 = p.vuTransport
		}
		p.mu.Lock()
		p.conns[d] = true
		p.mu.Unlock()
		return d
	}
	t := p.vuTransport()
	p.mu.Lock()
	p.all = append(p.all, t)
	p.mu.Unlock()
	return t
}

// vuTransport is a transport of one VU's own, as a browser has: at most
// two idle connections (one, multiplexed, over HTTP/2) and its own TLS
// session cache.
func (p *Pool) vuTransport() *http.Transport {
	t := p.base.Clone()
	t.MaxIdleConnsPerHost = 2
	// A clone's tls.Config shares the ALPN list's array with the base's,
	// and net/http appends to it when it first sets HTTP/2 up: each VU
	// needs its own.
	t.TLSClientConfig.NextProtos = slices.Clone(t.TLSClientConfig.NextProtos)
	if p.base.TLSClientConfig.ClientSessionCache != nil {
		t.TLSClientConfig.ClientSessionCache = tls.NewLRUClientSessionCache(4)
	}
	return t
}

// Release is called when a VU ends, with what ForVU gave it: a per-user
// transport closes its connections, as a closed browser would.
func (p *Pool) Release(rt http.RoundTripper) {
	if p.net != nil {
		if own, ok := rt.(interface{ ReleaseIdle() }); ok && rt != p.shared {
			own.ReleaseIdle() // a closed browser's connection
		}
		return
	}
	if d, ok := rt.(*directConn); ok {
		d.closeConn()
		p.mu.Lock()
		delete(p.conns, d)
		p.mu.Unlock()
		return
	}
	if t, ok := rt.(*http.Transport); ok && t != p.base {
		t.CloseIdleConnections()
		p.mu.Lock()
		for i, x := range p.all {
			if x == t {
				p.all = append(p.all[:i], p.all[i+1:]...)
				break
			}
		}
		p.mu.Unlock()
	}
}

// Opened returns how many TCP connections the run has opened.
func (p *Pool) Opened() int64 { return p.opened.Load() }

// Mode returns the connection mode.
func (p *Pool) Mode() string { return p.mode }

// Close closes every idle connection.
func (p *Pool) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, t := range p.all {
		t.CloseIdleConnections()
	}
	for d := range p.conns {
		d.closeConn()
	}
}

// vuTLS is the TLS configuration of one VU's direct connection: the
// pool's, with a session cache of its own (a browser's).
func (p *Pool) vuTLS() *tls.Config {
	c := p.base.TLSClientConfig.Clone()
	if c.ClientSessionCache != nil {
		c.ClientSessionCache = tls.NewLRUClientSessionCache(4)
	}
	return c
}

func proxyInEnvironment() bool {
	for _, v := range []string{"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"} {
		if os.Getenv(v) != "" {
			return true
		}
	}
	return false
}
