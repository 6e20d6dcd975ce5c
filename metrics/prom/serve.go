package prom

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/client_golang/prometheus/push"
)

// ListenAddr completes a --prometheus-listen value: a bare port, or an
// address without a host, binds the loopback interface only; to listen
// elsewhere, name the host.
func ListenAddr(s string) (string, error) {
	if s == "" {
		return "", errors.New("empty address")
	}
	if _, err := strconv.Atoi(s); err == nil {
		return net.JoinHostPort("127.0.0.1", s), nil
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return "", fmt.Errorf("%q: want PORT or HOST:PORT", s)
	}
	if _, err := strconv.Atoi(port); err != nil {
		return "", fmt.Errorf("%q: bad port %q", s, port)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}

// Server serves an exporter on /metrics.
type Server struct {
	srv  *http.Server
	done chan error
	// URL is the address of the metrics page.
	URL string
}

// Listen starts serving e on addr (see ListenAddr).
func Listen(addr string, e *Exporter) (*Server, error) {
	addr, err := ListenAddr(addr)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(e.reg, promhttp.HandlerOpts{Registry: e.reg}))
	if e.Profiling {
		// For cohort's own performance work: the Go profiles of the load
		// generator, next to its metrics.
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	}
	s := &Server{
		srv:  &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second},
		done: make(chan error, 1),
		URL:  "http://" + ln.Addr().String() + "/metrics",
	}
	go func() { s.done <- s.srv.Serve(ln) }()
	return s, nil
}

// Close stops serving.
func (s *Server) Close(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	if serr := <-s.done; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}

// Pusher pushes an exporter's series to a Pushgateway under job "cohort",
// grouped by a cohort_run label named after the run's testid and segment,
// so that the segments of one run do not overwrite each other. (The series
// carry testid and segment themselves, so those cannot be grouping
// labels; nor can instance, which cohort_instance_requests_total carries:
// the Pushgateway refuses a push whose series hold a grouping label.)
type Pusher struct {
	p *push.Pusher
}

// CheckGateway reports whether gateway can be a Pushgateway URL.
func CheckGateway(gateway string) error {
	u, err := url.Parse(gateway)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		// Not repeated: it may hold a password.
		return errors.New("want the Pushgateway's http:// or https:// URL, such as http://127.0.0.1:9091")
	}
	return nil
}

// NewPusher checks the Pushgateway URL and prepares pushes of e.
func NewPusher(gateway string, e *Exporter, testid, segment string) (*Pusher, error) {
	if err := CheckGateway(gateway); err != nil {
		return nil, err
	}
	p := push.New(strings.TrimSuffix(gateway, "/"), "cohort").Gatherer(e.reg).Grouping("cohort_run", runName(testid, segment))
	return &Pusher{p: p}, nil
}

// Push replaces the run's group on the Pushgateway with the current values.
func (p *Pusher) Push(ctx context.Context) error { return p.p.PushContext(ctx) }
