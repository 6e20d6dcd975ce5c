package results

import (
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cohort-dev/cohort/findings"
)

// WriteSummary writes the end-of-run summary for a terminal.
func WriteSummary(w io.Writer, r *Result) error {
	var b strings.Builder
	fmt.Fprintf(&b, "\ncohort: %s, %.1fs, up to %d VUs", r.Profile, r.DurationS, r.VUsMax)
	if r.Segment != "" && r.Segment != "1/1" {
		fmt.Fprintf(&b, ", segment %s", r.Segment)
	}
	if r.Interrupted {
		b.WriteString(" (interrupted)")
	}
	b.WriteString("\n\n")
	tw := tabwriter.NewWriter(&b, 2, 8, 2, ' ', tabwriter.AlignRight)
	// avg and min beside the percentiles, and failures as a share, as
	// k6 and Locust users read a run.
	fmt.Fprintln(tw, "request\tgroup\tcount\tfailed\tfailed %\trps\tavg ms\tmin ms\tp50 ms\tp90 ms\tp95 ms\tp99 ms\tmax ms\t")
	row := func(name, group string, count, failed int64, rps float64, l Latency) {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%.1f\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", name, group, count, failed, FormatShare(failed, count),
			rps, ms(l.Mean), ms(l.Min), ms(l.P50), ms(l.P90), ms(l.P95), ms(l.P99), ms(l.Max))
	}
	for _, q := range r.Requests {
		if q.Count > 0 {
			row(qualified(q.Scenario, q.Name), q.Group, q.Count, q.Failures, q.RPS, q.Latency)
		}
	}
	row("all", "", r.Totals.Requests, r.Totals.Failures, r.Totals.RPS, r.Latency)
	tw.Flush()
	if len(r.Scenarios) > 0 {
		writeScenarios(&b, r.Scenarios)
	}
	writePhases(&b, r)
	writeFailures(&b, r)
	if s := r.Sessions; s.Logins+s.LoginFailures+s.LoginsInterrupted+s.Issued+s.Refreshes > 0 || s.CookieHeader != nil || len(s.CookiesDropped) > 0 {
		writeSessions(&b, s)
	}
	if sv := r.Server; sv != nil {
		fmt.Fprintf(&b, "server sessions (built-in target): %d live, %d created, %d expired, %d evicted, %d invalidated",
			sv.Live, sv.Created, sv.Expired, sv.Evicted, sv.Invalidated)
		if sv.Rejected > 0 {
			fmt.Fprintf(&b, ", %d refused (the store was full)", sv.Rejected)
		}
		b.WriteString("\n")
	}
	if w := r.Warm; w != nil {
		writeWarm(&b, w)
	}
	if len(r.Instances) > 0 {
		writeInstances(&b, r)
	}
	if len(r.Journeys) > 0 {
		writeJourneys(&b, r.Journeys)
	}
	fmt.Fprintf(&b, "connections: %d opened; %d requests on new connections, %d on reused ones",
		r.Connections.Opened, r.Connections.NewRequests, r.Connections.ReusedRequests)
	writeProtocols(&b, r.Connections.Protocols)
	if c := r.Connections; c.BytesSent+c.BytesReceived > 0 {
		fmt.Fprintf(&b, "data: %s sent (%s/s), %s received (%s/s), on the wire\n", FormatBytes(c.BytesSent), FormatBytes(perSecond(c.BytesSent, r.DurationS)),
			FormatBytes(c.BytesReceived), FormatBytes(perSecond(c.BytesReceived, r.DurationS)))
	}
	fmt.Fprintf(&b, "iterations: %d", r.Totals.Iterations)
	if r.Totals.Interrupted > 0 {
		fmt.Fprintf(&b, " (%d interrupted)", r.Totals.Interrupted)
	}
	if r.Totals.Dropped > 0 {
		fmt.Fprintf(&b, ", %d dropped (no VU or idle session free when due)", r.Totals.Dropped)
	}
	b.WriteString("\n")
	writeChecks(&b, r)
	writeThresholds(&b, r)
	if len(r.Capacity.Steps) > 0 {
		writeCapacity(&b, &r.Capacity)
	}
	writeFindings(&b, r.SessionFindings)
	if lag := r.SchedulerLag; lag.P99 > LagWarning {
		fmt.Fprintf(&b, "scheduler lag: p99 %s ms, max %s ms: the load generator started iterations late; "+
			"latencies are still measured from when each was due\n", ms(lag.P99), ms(lag.Max))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeSessions(b *strings.Builder, s SessionResult) {
	defer writeCookieSizes(b, s)
	fmt.Fprintf(b, "\nsessions: %d logins (%d failed), login p50 %s ms p95 %s ms p99 %s ms; first request p50 %s ms p95 %s ms\n",
		s.Logins, s.LoginFailures, ms(s.Login.P50), ms(s.Login.P95), ms(s.Login.P99), ms(s.FirstRequest.P50), ms(s.FirstRequest.P95))
	fmt.Fprintf(b, "          %d lost, %d re-logins, %d id rotations, %d ids issued, %d token refreshes (%d failed), %d logouts (%d failed)\n",
		s.SessionsLost, s.Relogins, s.IDRotations, s.Issued, s.Refreshes, s.RefreshFails, s.Logouts, s.LogoutFailures)
	if s.Discarded > 0 {
		fmt.Fprintf(b, "          %d sessions thrown away before a login started afresh (a retry, or a re-login)\n", s.Discarded)
	}
	if s.LoginsInterrupted > 0 {
		fmt.Fprintf(b, "          %d logins cut short by the end of the run (neither passed nor failed)\n", s.LoginsInterrupted)
	}
	if s.NeverLoggedIn > 0 {
		fmt.Fprintf(b, "          %d VUs never logged in: every login they tried failed or was cut short\n", s.NeverLoggedIn)
	}
	if lr := s.LoginRate; lr != nil {
		fmt.Fprintf(b, "          login rate auto: reached %.4g/s, halved %d times, %.4g/s at the end\n", lr.Peak, lr.Cuts, lr.Final)
	}
}

// writeProtocols ends the connections line with the protocols that
// answered, and their shares.
func writeProtocols(b *strings.Builder, p map[string]int64) {
	var total int64
	for _, n := range p {
		total += n
	}
	for i, name := range []string{ProtoHTTP1, ProtoHTTP2} {
		if n := p[name]; n > 0 {
			sep := ", "
			if i == 0 || p[ProtoHTTP1] == 0 {
				sep = "; answered over "
			}
			fmt.Fprintf(b, "%s%s %.0f%%", sep, name, 100*float64(n)/float64(total))
		}
	}
	b.WriteString("\n")
}

// writeCookieSizes says how big the sessions' cookies were.
func writeCookieSizes(b *strings.Builder, s SessionResult) {
	c := s.CookieHeader
	if c == nil {
		return
	}
	fmt.Fprintf(b, "          Cookie header p50 %d B, p95 %d B, max %d B", c.P50, c.P95, c.Max)
	if sc := s.SessionCookie; sc != nil {
		fmt.Fprintf(b, "; session cookie p50 %d B, max %d B", sc.P50, sc.Max)
	}
	b.WriteString("\n")
	if len(s.CookiesDropped) == 0 {
		return
	}
	var total int64
	reasons := make([]string, 0, len(s.CookiesDropped))
	for name, n := range s.CookiesDropped {
		total += n
		reasons = append(reasons, fmt.Sprintf("%s %d", name, n))
	}
	sort.Strings(reasons)
	fmt.Fprintf(b, "          %d cookies dropped as a browser would (%s)\n", total, strings.Join(reasons, ", "))
}

// writeScenarios gives each scenario's load and its population's figures
// (its requests are the rows named SCENARIO:NAME above).
func writeScenarios(b *strings.Builder, ss []ScenarioResult) {
	b.WriteString("\nscenarios\n")
	tw := tabwriter.NewWriter(b, 2, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\texecutor\tstart\tVUs\trequests\tfailed\trps\tp50 ms\tp95 ms\tp99 ms\tlogins\tlost\titerations\t")
	for _, s := range ss {
		start := fmt.Sprintf("%gs", s.StartAfterS)
		if !s.Started {
			start += " (not reached)"
		}
		l := s.Latency
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%.1f\t%s\t%s\t%s\t%d\t%d\t%d\t\n", s.Name, s.Executor, start, s.VUsMax,
			s.Totals.Requests, s.Totals.Failures, s.Totals.RPS, ms(l.P50), ms(l.P95), ms(l.P99), s.Logins, s.SessionsLost, s.Totals.Iterations)
	}
	tw.Flush()
}

// writeJourneys gives each journey's count, failures and whole duration.
func writeJourneys(b *strings.Builder, js []JourneyResult) {
	b.WriteString("\njourneys (whole, pauses between steps included)\n")
	tw := tabwriter.NewWriter(b, 2, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "journey\tcount\tfailed\tp50 ms\tp95 ms\tp99 ms\tfailed by reason\t")
	for _, j := range js {
		var why []string
		for reason, n := range j.Reasons {
			why = append(why, fmt.Sprintf("%s %d", reason, n))
		}
		sort.Strings(why)
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t%s\t\n", qualified(j.Scenario, j.Name), j.Count, j.Failed, ms(j.Duration.P50), ms(j.Duration.P95), ms(j.Duration.P99), strings.Join(why, ", "))
	}
	tw.Flush()
}

// writeInstances splits the requests by the backend instance that
// answered, and says how often sessions moved between instances.
func writeInstances(b *strings.Builder, r *Result) {
	b.WriteString("\nby backend instance\n")
	tw := tabwriter.NewWriter(b, 2, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "instance\trequests\tfailed\trps\tp50 ms\tp95 ms\tp99 ms\t")
	for _, in := range r.Instances {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f\t%s\t%s\t%s\t\n", in.Name, in.Requests, in.Failures, in.RPS,
			ms(in.Latency.P50), ms(in.Latency.P95), ms(in.Latency.P99))
	}
	tw.Flush()
	s := r.Sessions
	fmt.Fprintf(b, "sessions moved between instances: %d requests answered by another instance than the session's last", s.Moved)
	if s.Moved > 0 {
		fmt.Fprintf(b, "; %d of them found the session gone", s.LostAfterMove)
		if s.LostAfterMove == 0 {
			b.WriteString(" (the instances share the session store)")
		}
	}
	b.WriteString("\n")
}

func writeWarm(b *strings.Builder, w *WarmResult) {
	fmt.Fprintf(b, "warm sessions: %d held of %d; %d logins (%d failed), login p95 %s ms; %d touches (%d failed), touch p50 %s ms p95 %s ms p99 %s ms; %d lost, %d re-logins\n",
		w.Held, w.Wanted, w.Logins, w.LoginFailures, ms(w.Login.P95), w.Touches, w.TouchFailures,
		ms(w.Touch.P50), ms(w.Touch.P95), ms(w.Touch.P99), w.Lost, w.Relogins)
}

// writeCapacity shows each step of a capacity search and its verdict.
func writeCapacity(b *strings.Builder, c *Capacity) {
	fmt.Fprintf(b, "\ncapacity search (%s; each step judged alone, after its settling time; the thresholds above cover the whole run)\n", c.Vary)
	tw := tabwriter.NewWriter(b, 2, 8, 2, ' ', tabwriter.AlignRight)
	// The verdict is the last cell, not a column: left as written, not
	// padded to the longest reason.
	fmt.Fprintln(tw, "level\trps\tp50 ms\tp95 ms\tp99 ms\tfailed\tlost\tlogins (failed)\tlogged in\twarm held\t  verdict")
	for _, st := range c.Steps {
		verdict := "pass"
		if !st.Passed {
			verdict = "FAIL: " + st.Reason
		}
		fmt.Fprintf(tw, "%g\t%.1f\t%s\t%s\t%s\t%.2f%%\t%d\t%d (%d)\t%s\t%s\t  %s\n", st.Level, st.RPS, ms(st.Latency.P50),
			ms(st.Latency.P95), ms(st.Latency.P99), 100*st.FailureRatio, st.LostSessions+st.WarmLost,
			st.Logins+st.WarmLogins, st.LoginFailures+st.WarmLoginFailures,
			ofWanted(st.LeastLoggedIn, st.VUsWanted), ofWanted(st.LeastWarm, st.WarmWanted), verdict)
	}
	tw.Flush()
	fmt.Fprintln(b, "  (logged in and warm held: the fewest at any judged interval, of what the level asks for)")
	switch {
	case c.LastPassing == 0:
		fmt.Fprintf(b, "capacity: no level passed (the first, %g, failed)\n", c.Steps[0].Level)
	case c.FirstFailing == 0:
		fmt.Fprintf(b, "capacity: every level passed, up to %g; the search's max was not enough to break it; knee at %g\n", c.LastPassing, c.Knee)
	default:
		fmt.Fprintf(b, "capacity: last passing level %g, broke at %g (%s); knee (p95 within %dx of the lightest steps') at %g\n",
			c.LastPassing, c.FirstFailing, c.Steps[len(c.Steps)-1].Reason, KneeFactor, c.Knee)
	}
}

// ofWanted shows n against what was wanted: "180/240", or "-" when
// nothing was.
func ofWanted(n, wanted int) string {
	if wanted == 0 {
		return "-"
	}
	return fmt.Sprintf("%d/%d", n, wanted)
}

// writePhases shows where the time of each request went: the phases of
// its exchanges, new against reused connections, and the first request
// after a login against the steady state.
func writePhases(b *strings.Builder, r *Result) {
	b.WriteString("\ntiming (ms, p50/p95)\n")
	tw := tabwriter.NewWriter(b, 2, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "request\tblocked\tconnect\ttls\tsending\tttfb\treceiving\tnew conn\treused conn\tfirst after login\tsteady\t")
	pair := func(l Latency) string {
		if l.Count == 0 {
			return "-"
		}
		return ms(l.P50) + "/" + ms(l.P95)
	}
	counted := func(c ConnBlock) string {
		if c.Count == 0 {
			return "-"
		}
		return fmt.Sprintf("%s (%d)", pair(c.Latency), c.Count)
	}
	for _, q := range r.Requests {
		if q.Count == 0 {
			continue
		}
		ph := q.Phases
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", qualified(q.Scenario, q.Name),
			pair(ph["blocked"]), pair(ph["connect"]), pair(ph["tls"]), pair(ph["sending"]), pair(ph["ttfb"]), pair(ph["receiving"]),
			counted(q.ByConnection["new"]), counted(q.ByConnection["reused"]),
			pair(q.BySession["first"]), pair(q.BySession["steady"]))
	}
	tw.Flush()
}

func writeChecks(b *strings.Builder, r *Result) {
	if len(r.Checks) == 0 {
		return
	}
	b.WriteString("\nchecks:\n")
	for _, c := range r.Checks {
		if c.Passes+c.Fails == 0 {
			fmt.Fprintf(b, "  --   %s: never evaluated (its step was not sent, or never answered)\n", qualified(c.Scenario, c.Name))
			continue
		}
		mark := "ok  "
		if c.Fails > 0 {
			mark = "FAIL"
		}
		fmt.Fprintf(b, "  %s %s: %d passed, %d failed (%.2f%%)\n", mark, qualified(c.Scenario, c.Name), c.Passes, c.Fails, 100*c.Rate)
	}
}

func writeThresholds(b *strings.Builder, r *Result) {
	if len(r.Thresholds) == 0 {
		return
	}
	b.WriteString("\nthresholds:\n")
	for _, t := range r.Thresholds {
		switch {
		case t.NotJudged != "":
			fmt.Fprintf(b, "  FAIL %s (not judged: %s)\n", t.Expr, t.NotJudged)
		case t.OK:
			fmt.Fprintf(b, "  ok   %s (value %g)\n", t.Expr, t.Value)
		default:
			fmt.Fprintf(b, "  FAIL %s (value %g)\n", t.Expr, t.Value)
		}
	}
	if r.Aborted != "" {
		fmt.Fprintf(b, "  the run was stopped early: %s\n", r.Aborted)
	}
}

func writeFailures(b *strings.Builder, r *Result) {
	var lines []string
	for _, q := range r.Requests {
		for reason, n := range q.Reasons {
			lines = append(lines, fmt.Sprintf("  %s: %d %s", qualified(q.Scenario, q.Name), n, reason))
		}
	}
	if len(lines) == 0 {
		return
	}
	slices.Sort(lines)
	b.WriteString("\nfailures by reason:\n" + strings.Join(lines, "\n") + "\n")
}

// FormatBytes writes a byte count as k6 does: 512 B, 12 kB, 3.4 MB (powers
// of 1000).
func FormatBytes(n int64) string {
	v := float64(n)
	for _, unit := range []string{"B", "kB", "MB", "GB"} {
		if v < 999.5 || unit == "GB" {
			if unit == "B" {
				return strconv.FormatInt(int64(v), 10) + " B"
			}
			return strconv.FormatFloat(v, 'f', 1, 64) + " " + unit
		}
		v /= 1000
	}
	return ""
}

func perSecond(n int64, secs float64) int64 {
	if secs <= 0 {
		return 0
	}
	return int64(float64(n) / secs)
}

// FormatShare writes k of n as a percentage for the summaries: "0%", "0.25%",
// "100%"; a share that is not 0 never reads as 0.
func FormatShare(k, n int64) string {
	if n == 0 || k == 0 {
		return "0%"
	}
	p := 100 * float64(k) / float64(n)
	switch {
	case p < 0.01:
		return "<0.01%"
	case p >= 99.995 && k < n:
		return ">99.99%"
	}
	return strconv.FormatFloat(math.Round(p*100)/100, 'f', -1, 64) + "%"
}

func ms(v float64) string {
	if v == 0 {
		return "-"
	}
	return FormatMS(v)
}

// FormatMS writes milliseconds with three significant figures or so:
// 0.42, 12.5, 480.
func FormatMS(v float64) string {
	switch {
	case v < 10:
		return fmt.Sprintf("%.2f", v)
	case v < 100:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.0f", v)
}

// LagWarning is the scheduler lag p99 (ms) above which the summary
// reports it.
const LagWarning = 1.0

// Progress is the live state of a run, for the progress line.
type Progress struct {
	Elapsed, Total     time.Duration
	VUs, LoggedIn      int
	Requests, Failures int64
	RPS                float64
	P95                time.Duration
}

// ProgressLine formats p on one line.
func ProgressLine(p Progress) string {
	total := "?"
	if p.Total > 0 {
		total = p.Total.Round(time.Second).String()
	}
	return fmt.Sprintf("%s/%s  vus %d  logged-in %d  reqs %d  rps %.0f  failed %d  p95 %s ms",
		p.Elapsed.Round(time.Second), total, p.VUs, p.LoggedIn, p.Requests, p.RPS, p.Failures,
		ms(float64(p.P95)/float64(time.Millisecond)))
}

// writeFindings is the short findings block: the weaknesses with their
// evidence, and what was checked and found sound in one line.
func writeFindings(b *strings.Builder, fs []findings.Finding) {
	if len(fs) == 0 {
		return
	}
	var sound []string
	weak := 0
	for _, f := range fs {
		if f.Severity == findings.Info {
			sound = append(sound, string(f.Kind))
			continue
		}
		if weak == 0 {
			b.WriteString("session findings (docs/findings.md):\n")
		}
		weak++
		fmt.Fprintf(b, "  %-6s %s: %s", f.Severity, f.Kind, f.Evidence)
		if f.Request != "" {
			fmt.Fprintf(b, " (first at %s)", f.Request)
		}
		b.WriteString("\n")
	}
	if weak == 0 {
		b.WriteString("session findings: none (docs/findings.md)\n")
	}
	if len(sound) > 0 {
		fmt.Fprintf(b, "  sound: %s\n", strings.Join(sound, ", "))
	}
}
