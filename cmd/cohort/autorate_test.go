package main

import (
	"strings"
	"testing"
)

// TestLoginRateAuto logs 300 VUs in to a target that checks one
// password at a time (10 ms each: 100 logins/s at most), on a fake clock.
// Unbounded, the 300 queue at the login endpoint at once, and the last
// waits 3 s; with login_rate: auto, logins rise while they stay fast and
// back off when they slow down, so every VU logs in with the login's
// latency near what one login alone takes.
func TestLoginRateAuto(t *testing.T) {
	path := writeProfile(t, "spring-form", func(s string) string {
		s = strings.Replace(s, "demo_target: []", `demo_target: ["--login-latency", "10ms", "--login-workers", "1"]`, 1)
		return strings.Replace(s, "load: {executor: constant-vus, vus: 50, duration: 10s}", "load: {executor: per-vu-iterations, vus: 200, iterations: 1}", 1)
	})
	for _, c := range []struct {
		name string
		args []string
		// p99 bounds the logins' p99 (ms): over 1 s when they queue,
		// under 10 times a login alone (10 ms) when the rate is found.
		p99min, p99max float64
		auto           bool
	}{
		{"unbounded", nil, 1000, 3000, false},
		{"auto", []string{"--login-rate", "auto"}, 0, 100, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out, r := runSimulated(t, append([]string{path}, c.args...)...)
			s := r.Sessions
			if code != exitOK || s.Logins != 200 || s.LoginFailures != 0 || s.NeverLoggedIn != 0 {
				t.Fatalf("exit %d, %d logins (%d failed, %d VUs never in), want 200\n%s", code, s.Logins, s.LoginFailures, s.NeverLoggedIn, out)
			}
			if s.Login.P99 < c.p99min || s.Login.P99 > c.p99max || s.Login.P50 > 11 && c.auto {
				t.Fatalf("login p50 %.1f ms, p99 %.1f ms; want p99 in [%v, %v]\n%s", s.Login.P50, s.Login.P99, c.p99min, c.p99max, out)
			}
			if lr := s.LoginRate; (lr != nil) != c.auto || (c.auto && (lr.Cuts == 0 || lr.Peak < 80 || lr.Peak > 320)) {
				t.Fatalf("login rate %+v: want it found only with auto, cut at least once, its peak near the 100/s the target can check", lr)
			}
			t.Logf("login p50 %.1f ms, p99 %.1f ms, max %.1f ms; rate %+v; %v to log everyone in and out", s.Login.P50, s.Login.P99, s.Login.Max, s.LoginRate, r.DurationS)
			if c.auto && !strings.Contains(out, "login rate auto: reached") {
				t.Fatalf("the summary does not say what the rate did:\n%s", out)
			}
		})
	}
}
