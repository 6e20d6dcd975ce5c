package target

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestStallWait(t *testing.T) {
	const every, dur = 10 * time.Second, 2 * time.Second
	cases := []struct {
		elapsed, want time.Duration
	}{
		{0, 2 * time.Second},                              // a window opens at start
		{1500 * time.Millisecond, 500 * time.Millisecond}, // inside the first window
		{2 * time.Second, 0},                              // the window has just closed
		{9 * time.Second, 0},                              // between windows
		{10 * time.Second, 2 * time.Second},               // the second window
		{31 * time.Second, 1 * time.Second},               // the fourth
		{-time.Second, 0},                                 // clock moved back: no stall
	}
	for _, c := range cases {
		if got := stallWait(c.elapsed, every, dur); got != c.want {
			t.Errorf("stallWait(%v) = %v, want %v", c.elapsed, got, c.want)
		}
	}
}

func TestStallDelaysEveryRequestInTheWindow(t *testing.T) {
	tt := startTarget(t, Config{StallEvery: time.Minute, StallFor: 5 * time.Second})
	b := newBrowser(t, tt.url)
	tt.clock.advance(61 * time.Second) // one second into the second window
	b.get("/login", htmlAccept)
	b.get("/login", htmlAccept)
	tt.clock.advance(10 * time.Second) // out of it
	b.get("/login", htmlAccept)
	if got := fmt.Sprint(tt.clock.slept()); got != "[4s 4s]" {
		t.Fatalf("stalls %s, want [4s 4s]", got)
	}
}

func TestLatencyAndJitter(t *testing.T) {
	tt := startTarget(t, Config{Latency: 10 * time.Millisecond, Jitter: 4 * time.Millisecond})
	draws := []float64{0, 0.5, 0.999}
	tt.cfg.random = func() float64 { v := draws[0]; draws = draws[1:]; return v }
	b := newBrowser(t, tt.url)
	for range 3 {
		b.get("/login", htmlAccept)
	}
	want := []time.Duration{10 * time.Millisecond, 12 * time.Millisecond, 13996 * time.Microsecond}
	if got := tt.clock.slept(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("delays %v, want %v", got, want)
	}
}

func TestErrorRate(t *testing.T) {
	tt := startTarget(t, Config{ErrorRate: 0.25})
	draws := []float64{0.1, 0.3, 0.249, 0.25, 0.9}
	tt.cfg.random = func() float64 { v := draws[0]; draws = draws[1:]; return v }
	b := newBrowser(t, tt.url)
	var got []int
	for range 5 {
		got = append(got, b.get("/login", htmlAccept).status)
	}
	if fmt.Sprint(got) != "[500 200 500 200 200]" {
		t.Fatalf("statuses %v, want [500 200 500 200 200]", got)
	}
	if st := tt.Stats(); st.Requests != 5 || st.Created != 1 {
		t.Fatalf("stats %+v: want 5 requests, 1 session (a 500 reaches no handler)", st)
	}
}

func TestResetRate(t *testing.T) {
	tt := startTarget(t, Config{ResetRate: 1})
	resp, err := http.Get(tt.url + "/login")
	if err == nil {
		resp.Body.Close()
		t.Fatalf("got status %d, want the connection reset without a response", resp.StatusCode)
	}
	// The stats endpoint is never faulted, so a load tester can read it.
	resp, err = http.Get(tt.url + "/-/stats")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"requests":1`) {
		t.Fatalf("stats %s, want 1 request counted", body)
	}
}

func TestStartTLS(t *testing.T) {
	for _, c := range []struct {
		http2 bool
		proto string // what a client offering h2 gets
	}{{false, "HTTP/1.1"}, {true, "HTTP/2.0"}} {
		t.Run(c.proto, func(t *testing.T) { startTLS(t, c.http2, c.proto) })
	}
}

func startTLS(t *testing.T, http2 bool, proto string) {
	tg, err := New(Config{TLS: true, HTTP2: http2, Instance: "node-7"})
	if err != nil {
		t.Fatal(err)
	}
	base, err := tg.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tg.Close(context.Background()) })
	if !strings.HasPrefix(base, "https://127.0.0.1:") {
		t.Fatalf("URL %q", base)
	}
	block, _ := pem.Decode(tg.CertificatePEM())
	sum := sha256.Sum256(block.Bytes)
	if fp := tg.Fingerprint(); !strings.HasPrefix(fp, fmt.Sprintf("%02X:%02X:", sum[0], sum[1])) || len(fp) != 95 {
		t.Fatalf("fingerprint %q does not match the certificate", fp)
	}
	if _, err := http.Get(base + "/login"); err == nil {
		t.Fatal("an unverified client trusted the self-signed certificate")
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(tg.CertificatePEM())
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get(base + "/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Proto != proto || resp.Header.Get("X-Instance") != "node-7" {
		t.Fatalf("proto %s (want %s), X-Instance %q", resp.Proto, proto, resp.Header.Get("X-Instance"))
	}
	for _, line := range resp.Header.Values("Set-Cookie") {
		if !strings.Contains(line, "; Secure") {
			t.Fatalf("cookie over TLS without Secure: %s", line)
		}
	}
}

func TestCloseStopsServing(t *testing.T) {
	tg, _ := New(Config{})
	base, err := tg.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := tg.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(base + "/login"); err == nil {
		t.Fatal("still serving after Close")
	}
}
