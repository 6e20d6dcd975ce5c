package engine

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"time"
)

// TransportConfig tunes the connection pool shared by a run's VUs.
type TransportConfig struct {
	// VUs is the most VUs that run at once: the idle pool keeps a
	// connection for each, so no VU waits on another's connection.
	VUs int
	// Insecure skips TLS verification.
	Insecure bool
	// CAFile adds the certificates of a PEM file to the trusted roots.
	CAFile string
	// Proxy is a proxy URL; empty means the environment's (HTTP_PROXY...).
	Proxy string
	// KeepAlive false opens a new connection for every request.
	KeepAlive bool
}

// NewTransport returns the tuned transport of a run.
func NewTransport(c TransportConfig) (*http.Transport, error) {
	proxy := http.ProxyFromEnvironment
	if c.Proxy != "" {
		u, err := url.Parse(c.Proxy)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("--proxy: %q is not a proxy URL", c.Proxy)
		}
		proxy = http.ProxyURL(u)
	}
	tlsConf := &tls.Config{InsecureSkipVerify: c.Insecure, ClientSessionCache: tls.NewLRUClientSessionCache(max(c.VUs, 64))}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("--ca: %v", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--ca: %s holds no PEM certificate", c.CAFile)
		}
		tlsConf.RootCAs = pool
	}
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                 proxy,
		DialContext:           dialer.DialContext,
		TLSClientConfig:       tlsConf,
		TLSHandshakeTimeout:   10 * time.Second,
		MaxIdleConns:          0, // no global cap: the per-host cap below rules
		MaxIdleConnsPerHost:   max(c.VUs, 2),
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
		DisableKeepAlives:     !c.KeepAlive,
		ForceAttemptHTTP2:     true,
	}, nil
}
