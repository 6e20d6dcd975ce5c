package main

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/cohort-dev/cohort/metrics/results"
)

// notCarriedOut says why a run measured nothing a verdict can rest on, or
// "": every request failed (the target is not there, or refuses
// everything), every request of the mix failed after logins that worked,
// no login succeeded, or most VUs never got a session. Such
// a run exits 1 whatever its thresholds say: a CI gate must not read
// "all thresholds passed" off a run that never reached the application.
func notCarriedOut(r *results.Result, host string, hasLogin bool) string {
	s := r.Sessions
	if n := r.Totals.Requests; n > 0 && r.Totals.Failures == n {
		switch {
		case unreachable(r.Requests):
			return fmt.Sprintf("all %d requests failed: %s to %s; is the target up?", n, topReasons(r.Requests, ""), host)
		case hasLogin && s.Logins == 0 && s.LoginFailures > 0:
			// Answered, but refused: where the login broke says more
			// than "all failed" (at the identity provider, say).
			return fmt.Sprintf("all %d requests failed; no VU could log in: %s", n, whyNoLogin(r))
		}
		return fmt.Sprintf("all %d requests failed: %s", n, topReasons(r.Requests, ""))
	}
	if n, failed := mixCounts(r.Requests); n > 0 && failed == n {
		// The logins worked, and nothing after them did: a session lost
		// at once, a mix the application does not serve.
		return fmt.Sprintf("all %d requests of the mix failed: %s; the logins worked (%d): `cohort check` explains each step", n, topReasons(r.Requests, "mix"), s.Logins)
	}
	if !hasLogin || s.LoginFailures+s.LoginsInterrupted == 0 {
		return ""
	}
	if s.Logins == 0 {
		return "no VU could log in: " + whyNoLogin(r)
	}
	if vus := int64(r.VUsMax); s.NeverLoggedIn*2 > vus {
		return fmt.Sprintf("%d of %d VUs never logged in: %s", s.NeverLoggedIn, vus, whyNoLogin(r))
	}
	return ""
}

// mixCounts adds up the requests of the mix and their failures.
func mixCounts(reqs []results.RequestResult) (n, failed int64) {
	for _, q := range reqs {
		if q.Group == "mix" {
			n += q.Count
			failed += q.Failures
		}
	}
	return n, failed
}

// unreachable says whether the commonest failure of the requests is one
// of reaching the target at all: nothing listening, no name, no answer.
func unreachable(reqs []results.RequestResult) bool {
	top, _, _ := strings.Cut(topReasons(reqs, ""), " ")
	switch top {
	case "connection_refused", "connection_reset", "dns", "timeout", "eof", "tls":
		return true
	}
	return false
}

// whyNoLogin says what became of the logins: failed (where, and why), or
// cut short by the end of the run.
func whyNoLogin(r *results.Result) string {
	s := r.Sessions
	var parts []string
	if s.LoginFailures > 0 {
		parts = append(parts, fmt.Sprintf("%d logins failed (%s)", s.LoginFailures, loginFailures(r)))
	}
	if s.LoginsInterrupted > 0 {
		parts = append(parts, fmt.Sprintf("%d cut short by the end of the run (logins slower than the run and its graceful stop)", s.LoginsInterrupted))
	}
	return strings.Join(parts, "; ")
}

// topReasons lists the failure reasons of the requests of group ("": all),
// most frequent first: "connection_refused (150)".
func topReasons(reqs []results.RequestResult, group string) string {
	counts := map[string]int64{}
	for _, q := range reqs {
		if group != "" && q.Group != group {
			continue
		}
		for reason, n := range q.Reasons {
			counts[reason] += n
		}
	}
	reasons := slices.SortedFunc(maps.Keys(counts), func(a, b string) int {
		return cmp.Or(cmp.Compare(counts[b], counts[a]), cmp.Compare(a, b))
	})
	var parts []string
	for _, reason := range reasons[:min(len(reasons), 3)] {
		parts = append(parts, fmt.Sprintf("%s (%d)", reason, counts[reason]))
	}
	return strings.Join(parts, ", ")
}

// loginFailures says where logins failed: the login step that failed most,
// its commonest answer and why: "login-submit failed 50 times: status
// 302, expectation (50)".
func loginFailures(r *results.Result) string {
	var worst *results.RequestResult
	for i := range r.Requests {
		q := &r.Requests[i]
		if q.Group == "login" && q.Failures > 0 && (worst == nil || q.Failures > worst.Failures) {
			worst = q
		}
	}
	if worst == nil {
		return "no login request failed: see the summary"
	}
	status := ""
	if codes := slices.SortedFunc(maps.Keys(worst.Status), func(a, b string) int {
		return cmp.Or(cmp.Compare(worst.Status[b], worst.Status[a]), cmp.Compare(a, b))
	}); len(codes) > 0 {
		status = "status " + codes[0] + ", "
	}
	return fmt.Sprintf("%s failed %d times: %s%s", worst.Name, worst.Failures, status, topReasons([]results.RequestResult{*worst}, ""))
}
