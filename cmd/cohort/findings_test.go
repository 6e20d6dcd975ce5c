package main

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/cohort-dev/cohort/findings"
)

// TestSessionFindings runs a profile against the built-in target with and
// without each weakness flag: the weakness is found with the flag and not
// without it, and its evidence holds no value.
func TestSessionFindings(t *testing.T) {
	cases := []struct {
		name, profile, target string
		present, absent       []findings.Kind
	}{
		{"sound target", "spring-form", `[]`,
			[]findings.Kind{findings.NoRotationInfo, findings.SessionIDsInfo, findings.CookieOverHTTP, findings.CookieNoSameSite},
			[]findings.Kind{findings.CookieNoHTTPOnly, findings.NoRotation, findings.WeakIDs, findings.DuplicateIDs}},
		{"insecure cookie", "spring-form", `["--cookie-insecure"]`,
			[]findings.Kind{findings.CookieNoHTTPOnly, findings.CookieNoSameSite}, nil},
		{"no rotation", "spring-form", `["--no-rotate"]`,
			[]findings.Kind{findings.NoRotation}, []findings.Kind{findings.NoRotationInfo}},
		{"short ids", "spring-form", `["--short-ids"]`,
			[]findings.Kind{findings.WeakIDs}, []findings.Kind{findings.SessionIDsInfo}},
		{"short-lived tokens", "jwt", `["--token-ttl", "5s"]`,
			[]findings.Kind{findings.TokenLifetimeInfo}, []findings.Kind{findings.TokenLongLived, findings.TokenWeakKey}},
		{"long-lived tokens, weak key", "jwt", `["--token-ttl", "48h", "--token-key", "secret"]`,
			[]findings.Kind{findings.TokenLongLived, findings.TokenWeakKey}, []findings.Kind{findings.TokenLifetimeInfo}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			profile := writeProfile(t, c.profile, func(s string) string {
				return regexp.MustCompile(`(?m)^demo_target: .*$`).ReplaceAllString(s, "demo_target: "+c.target)
			})
			code, out, r := runSimulated(t, profile, "--vus", "3", "--duration", "2s")
			if code != exitOK {
				t.Fatalf("exit %d\n%s", code, out)
			}
			var got []findings.Kind
			for _, f := range r.SessionFindings {
				got = append(got, f.Kind)
				if f.Count == 0 || f.Evidence == "" {
					t.Errorf("%+v: no count or evidence", f)
				}
			}
			for _, k := range c.present {
				if !slices.Contains(got, k) {
					t.Errorf("%s not found; found %v", k, got)
				}
			}
			for _, k := range c.absent {
				if slices.Contains(got, k) {
					t.Errorf("%s found, and the target has no such weakness; found %v", k, got)
				}
			}
			if weak := findings.Worst(r.SessionFindings); weak > 0 && !strings.Contains(out, "session findings (docs/findings.md):") {
				t.Errorf("%d weaknesses and no findings block in the summary:\n%s", weak, out)
			}
			// No value: no session id (16 or 4 random bytes in hex) and no
			// token (three base64url parts) in the evidence.
			for _, f := range r.SessionFindings {
				if regexp.MustCompile(`[0-9A-F]{8}|eyJ[\w-]+\.`).MatchString(f.Evidence) {
					t.Errorf("%s: evidence %q holds a value", f.Kind, f.Evidence)
				}
			}
		})
	}
}

// TestFindingsOff: --findings=false looks for none.
func TestFindingsOff(t *testing.T) {
	code, out, r := runSimulated(t, "spring-form", "--vus", "2", "--duration", "1s", "--findings=false")
	if code != exitOK || len(r.SessionFindings) != 0 || strings.Contains(out, "session findings") {
		t.Fatalf("exit %d, findings %+v\n%s", code, r.SessionFindings, out)
	}
}

// TestCheckProbes: cohort check's two probes, both ways. The logout probe
// sends a mix request with the cookies held before the logout; the CSRF
// probe (--probe-csrf) sends the first unsafe request without its token.
func TestCheckProbes(t *testing.T) {
	cases := []struct {
		name, target string
		want, not    []string
	}{
		{"sound", `[]`,
			[]string{"answered as a lost session: the logout ended it", "refused with 403: CSRF protection is enforced",
				"info   session_ended_by_logout", "info   csrf_enforced"},
			[]string{"session_alive_after_logout", "csrf_not_enforced"}},
		{"weak", `["--no-invalidate", "--no-csrf"]`,
			[]string{"answered as logged in: the logout did not end the session on the server", "the server took an unsafe request without its CSRF token",
				"high   session_alive_after_logout", "high   csrf_not_enforced"},
			[]string{"session_ended_by_logout", "csrf_enforced"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			profile := writeProfile(t, "spring-form", func(s string) string {
				return strings.Replace(s, "demo_target: []", "demo_target: "+c.target, 1)
			})
			code, out := runCheckCmd(t, profile, "--probe-csrf")
			if code != exitOK {
				t.Fatalf("exit %d: the probes are not steps, and fail none\n%s", code, out)
			}
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("no %q in\n%s", w, out)
				}
			}
			for _, w := range c.not {
				if strings.Contains(out, w) {
					t.Errorf("%q in\n%s", w, out)
				}
			}
			if secretShapes.MatchString(out) {
				t.Errorf("a secret is printed: %q", secretShapes.FindString(out))
			}
		})
	}
	if code, out, _ := runCohort(t, "spring-form", "--probe-csrf"); code != exitUsage || !strings.Contains(out, "only cohort check sends the CSRF probe") {
		t.Fatalf("run --probe-csrf: exit %d\n%s", code, out)
	}
}
