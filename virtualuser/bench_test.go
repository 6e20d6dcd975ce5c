package virtualuser

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/cohort-dev/cohort/metrics"
	"github.com/cohort-dev/cohort/profiles"
)

// cannedBody is a response body that can be read again.
type cannedBody struct{ bytes.Reader }

func (*cannedBody) Close() error { return nil }

// cannedTransport answers every request in-process with the same response,
// reused, so that a benchmark counts the VU's own work and allocations, not
// a server's or a socket's.
type cannedTransport struct {
	resp *http.Response
	body *cannedBody
	data []byte
}

func newCannedTransport(status int, header http.Header, body string) *cannedTransport {
	c := &cannedTransport{data: []byte(body), body: &cannedBody{}}
	c.resp = &http.Response{StatusCode: status, Header: header, Body: c.body, ContentLength: int64(len(body))}
	return c
}

func (c *cannedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	c.body.Reset(c.data)
	c.resp.Request = req
	return c.resp, nil
}

// RoundTripTimeout makes the VU take the per-user path (no timer or
// context per request), as over its own connection.
func (c *cannedTransport) RoundTripTimeout(req *http.Request, _ time.Duration) (*http.Response, error) {
	return c.RoundTrip(req)
}

// BenchmarkIterate is the request loop of a logged-in VU: pick a mix
// request, send it with its headers and session cookie, read and judge the
// answer, record it. The transport answers in-process, so allocations are
// the VU's own.
func BenchmarkIterate(b *testing.B) {
	src, _ := profiles.BuiltinSource("spring-form")
	p, err := profiles.Parse("spring-form.yaml", src)
	if err != nil {
		b.Fatal(err)
	}
	p.BaseURL = "http://127.0.0.1:8080"
	p.Mix = p.Mix[:1] // GET /api/profile, expecting the user's name in the body
	plan, err := Compile(p, Options{UserAgent: "cohort/bench", Columns: []string{"username", "password"}})
	if err != nil {
		b.Fatal(err)
	}
	rt := newCannedTransport(200, http.Header{"Content-Type": {"application/json"}},
		`{"username":"user1","roles":["USER"],"sessionCreated":"2026-11-26T12:00:00Z"}`)
	col := metrics.NewCollector(plan.Series, 1)
	sess := NewSession(plan, &User{Values: []string{"user1", "pass1"}}, nil)
	base, _ := url.Parse(p.BaseURL + "/")
	sess.Jar.SetCookies(base, []*http.Cookie{{Name: "JSESSIONID", Value: "0F1E2D3C4B5A69788796A5B4C3D2E1F0", Path: "/"}})
	sess.hasCookies, sess.LoggedIn = true, true
	v := NewVU(1, plan, rt, sess, col.NewRecorder(), &Hooks{})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		v.Iterate(ctx, time.Time{})
	}
	a := metrics.NewAggregate(len(plan.Series))
	v.Close()
	col.Drain(a)
	if reqs, fails := a.Requests(); reqs == 0 || fails != 0 {
		b.Fatalf("%d requests, %d failed", reqs, fails)
	}
}
