package main

import (
	"strings"
	"testing"
)

func TestThresholdsDecideTheExitCode(t *testing.T) {
	cases := []struct {
		name  string
		flags []string
		code  int
		ok    []bool
	}{
		{"all pass", []string{"--threshold", "http_req_failed: rate<0.01", "--threshold", "http_req_duration{name:profile}: p(95)<5000"}, exitOK, []bool{true, true}},
		{"one fails", []string{"--threshold", "http_req_failed: rate<0.01", "--threshold", "http_reqs: count>1000000"}, exitThreshold, []bool{true, false}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, r := runCohort(t, append([]string{"basic", "--vus", "2", "--iterations", "40"}, c.flags...)...)
			if code != c.code {
				t.Fatalf("exit %d, want %d\n%s", code, c.code, out)
			}
			if len(r.Thresholds) != len(c.ok) {
				t.Fatalf("thresholds %+v", r.Thresholds)
			}
			for i, ok := range c.ok {
				if r.Thresholds[i].OK != ok {
					t.Fatalf("threshold %d %+v, want ok=%v", i, r.Thresholds[i], ok)
				}
			}
			if !strings.Contains(out, "thresholds:") {
				t.Fatalf("the summary does not show the thresholds:\n%s", out)
			}
		})
	}
}

func TestAbortOnFailStopsTheRun(t *testing.T) {
	path := writeProfile(t, "basic", func(s string) string {
		return s + "thresholds:\n  - {threshold: \"http_reqs: count<30\", abort_on_fail: true, delay: 1s}\n"
	})
	// On a fake clock: the threshold is judged from its delay on, at the
	// first drain (drains come every second), and the run ends then.
	code, out, r := runSimulated(t, path, "--vus", "2", "--duration", "1h")
	if code != exitThreshold || r.Aborted == "" || r.DurationS < 1 || r.DurationS > 1.1 {
		t.Fatalf("exit %d, aborted %q after %.1fs\n%s", code, r.Aborted, r.DurationS, out)
	}
	if r.Interrupted {
		t.Fatal("a threshold abort is not an interruption")
	}
}

func TestChecksCountWithoutFailing(t *testing.T) {
	path := writeProfile(t, "basic", func(s string) string {
		return strings.Replace(s, "    expect: {status: [200], body_contains: '\"username\":\"{{user.username}}\"'}",
			`    expect: {status: [200], body_contains: '"username":"{{user.username}}"'}
    checks:
      - {name: profile is JSON, header: {name: Content-Type, matches: json}}
      - {name: names the user, json: {path: username, equals: "{{user.username}}"}}
      - {name: teapot, status: 418}`, 1)
	})
	code, out, r := runCohort(t, path, "--vus", "2", "--iterations", "60", "--threshold", "checks{name:names the user}: rate==1")
	if code != exitOK || r.Totals.Failures != 0 {
		t.Fatalf("exit %d failures %d\n%s", code, r.Totals.Failures, out)
	}
	profiles := request(t, r, "profile").Count
	want := map[string][2]int64{"profile is JSON": {profiles, 0}, "names the user": {profiles, 0}, "teapot": {0, profiles}}
	for _, c := range r.Checks {
		if w := want[c.Name]; c.Passes != w[0] || c.Fails != w[1] {
			t.Fatalf("check %q: %d passed %d failed, want %v", c.Name, c.Passes, c.Fails, w)
		}
	}
	if len(r.Checks) != 3 || !strings.Contains(out, "FAIL teapot") {
		t.Fatalf("checks %+v\n%s", r.Checks, out)
	}
}

func TestBadThresholdsExit2(t *testing.T) {
	path := writeProfile(t, "basic", func(s string) string {
		return s + "thresholds:\n  - \"http_req_duration: p(99)<fast\"\n"
	})
	code, out, _ := runCohort(t, path)
	if code != exitUsage || !strings.Contains(out, "thresholds[0]") || !strings.Contains(out, "basic.yaml:") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	code, out, _ = runCohort(t, "basic", "--threshold", "latency: p(99)<1")
	if code != exitUsage || !strings.Contains(out, `--threshold: "latency: p(99)<1": unknown metric`) {
		t.Fatalf("exit %d\n%s", code, out)
	}
}
