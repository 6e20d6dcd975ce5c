package results

import (
	"github.com/cohort-dev/cohort/findings"
	"github.com/cohort-dev/cohort/metrics"

	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// AggregateOf rebuilds the aggregate a result was made from: its counts
// and its histograms. (Statuses lose their split by connection reuse.)
func AggregateOf(r *Result) (*metrics.Aggregate, []metrics.SeriesInfo, error) {
	a := metrics.NewAggregate(len(r.Requests))
	series := make([]metrics.SeriesInfo, len(r.Requests))
	for i, q := range r.Requests {
		series[i] = metrics.SeriesInfo{Name: q.Name, Method: q.Method, Group: q.Group, Scenario: q.Scenario}
		s := &a.Series[i]
		s.Count, s.Failures = q.Count, q.Failures
		s.Reused, s.New = q.ByConnection["reused"].Count, q.ByConnection["new"].Count
		for code, n := range q.Status {
			c, err := strconv.Atoi(code)
			if err != nil {
				return nil, nil, fmt.Errorf("requests %s: status %q is not a code", q.Name, code)
			}
			s.AddStatus(uint16(c), false, n)
		}
		for name, n := range q.Reasons {
			s.Reasons[metrics.ReasonByName(name)] += n
		}
		for code, n := range q.FailedStatus {
			c, err := strconv.Atoi(code)
			if err != nil {
				return nil, nil, fmt.Errorf("requests %s: failures_by_status %q is not a code", q.Name, code)
			}
			s.AddFailedStatus(uint16(c), n)
		}
		for h := range metrics.NumHists {
			hist, err := r.Histogram(series[i].Key() + "/" + metrics.Hist(h).String())
			if err != nil {
				return nil, nil, err
			}
			s.Hists[h] = hist
		}
	}
	for _, k := range []struct {
		key  string
		into **hdr.Histogram
	}{{"login", &a.Login}, {"first_request", &a.First}, {"scheduler_lag", &a.Lag},
		{"cookie_header_bytes", &a.CookieHeader}, {"session_cookie_bytes", &a.SessionCookie}} {
		h, err := r.Histogram(k.key)
		if err != nil {
			return nil, nil, err
		}
		if h != nil {
			if *k.into == nil {
				*k.into = metrics.NewHistogram()
			}
			(*k.into).Merge(h)
		}
	}
	s := r.Sessions
	a.Sessions = metrics.Sessions{Logins: s.Logins, LoginFailures: s.LoginFailures, Relogins: s.Relogins,
		SessionsLost: s.SessionsLost, Refreshes: s.Refreshes, RefreshFails: s.RefreshFails,
		Rotations: s.IDRotations, Issued: s.Issued, Logouts: s.Logouts, LogoutFailures: s.LogoutFailures,
		Moved: s.Moved, MovedLost: s.LostAfterMove, Discarded: s.Discarded, LoginsInterrupted: s.LoginsInterrupted}
	for name, n := range s.CookiesDropped {
		d, ok := metrics.CookieDropByName(name)
		if !ok {
			return nil, nil, fmt.Errorf("sessions.cookies_dropped: unknown reason %q", name)
		}
		a.Sessions.CookiesDropped[d] = n
	}
	a.Iterations, a.Dropped, a.Interrupted = r.Totals.Iterations, r.Totals.Dropped, r.Totals.Interrupted
	a.Opened = r.Connections.Opened
	a.BytesSent, a.BytesReceived = r.Connections.BytesSent, r.Connections.BytesReceived
	a.HTTP1, a.HTTP2 = r.Connections.Protocols[ProtoHTTP1], r.Connections.Protocols[ProtoHTTP2]
	for _, c := range r.Checks {
		a.Checks = append(a.Checks, metrics.CheckAgg{Pass: c.Passes, Fail: c.Fails})
	}
	return a, series, nil
}

// MergeError is a refusal to merge: the parts are not segments of one run.
type MergeError struct{ Msg string }

// Error says why the parts cannot be merged.
func (e *MergeError) Error() string { return e.Msg }

// Merge combines the results of the segments of one run into one result,
// exactly: counts add up, percentiles come from the merged histograms,
// timelines merge interval by interval. It refuses parts of different
// profiles, or whose segments overlap or leave a gap, unless force is set.
func Merge(names []string, parts []*Result, force bool) (*Result, error) {
	if len(parts) == 0 {
		return nil, errors.New("nothing to merge")
	}
	segs, err := checkParts(names, parts, force)
	if err != nil {
		return nil, err
	}
	var series []metrics.SeriesInfo
	index := map[string]int{}
	var checks, instances, journeys []string
	total := metrics.NewAggregate(0)
	meta := Meta{Profile: parts[0].Profile, StartedAt: parts[0].StartedAt, Tags: parts[0].Tags}
	var thresholds []string
	for _, p := range parts {
		a, ser, err := AggregateOf(p)
		if err != nil {
			return nil, err
		}
		for i, info := range ser {
			key := info.Key()
			j, ok := index[key]
			if !ok {
				j = len(series)
				index[key] = j
				series = append(series, info)
				total.Series = append(total.Series, metrics.SeriesAgg{})
			}
			total.Series[j].Merge(&a.Series[i])
		}
		mergeChecks(total, &checks, p, a)
		if err := mergeInstances(total, &instances, p); err != nil {
			return nil, err
		}
		if err := mergeJourneys(total, &journeys, p); err != nil {
			return nil, err
		}
		a.Series, a.Checks, a.Journeys = nil, nil, nil
		total.Merge(a)
		meta.Duration = max(meta.Duration, time.Duration(p.DurationS*float64(time.Second)))
		if p.StartedAt.Before(meta.StartedAt) {
			meta.StartedAt = p.StartedAt
		}
		meta.VUsMax += p.VUsMax
		meta.NeverLoggedIn += int(p.Sessions.NeverLoggedIn)
		if lr := p.Sessions.LoginRate; lr != nil {
			if meta.LoginRate == nil {
				meta.LoginRate = &AutoLoginRate{}
			}
			meta.LoginRate.Final += lr.Final
			meta.LoginRate.Peak += lr.Peak
			meta.LoginRate.Cuts += lr.Cuts
		}
		meta.Interrupted = meta.Interrupted || p.Interrupted
		for _, t := range p.Thresholds {
			if !slices.Contains(thresholds, t.Expr) {
				thresholds = append(thresholds, t.Expr)
			}
		}
	}
	meta.Instances = instances
	meta.Checks, meta.CheckScenarios = unqualify(checks)
	meta.Journeys, meta.JourneyScenarios = unqualify(journeys)
	meta.Segment = segmentLabel(segs)
	r := NewResult(meta, series, total)
	r.MergedSegments = segs
	var found [][]findings.Finding
	for _, p := range parts {
		found = append(found, p.SessionFindings)
	}
	r.SessionFindings = findings.Merge(found...)
	if len(r.SessionFindings) == 0 {
		r.SessionFindings = nil
	}
	scenarios, err := r.mergeScenarios(parts, series, total)
	if err != nil {
		return nil, err
	}
	if err := r.mergeWarm(parts); err != nil {
		return nil, err
	}
	warm, err := r.warmAggregate()
	if err != nil {
		return nil, err
	}
	for _, expr := range thresholds {
		t, err := ParseThreshold(expr)
		if err != nil {
			continue
		}
		r.Thresholds = append(r.Thresholds, t.Judge(metrics.Snapshot{Total: total, WarmTotal: warm, Elapsed: meta.Duration, Scenarios: scenarios,
			Legend: &metrics.Legend{Series: series, Checks: meta.Checks, Journeys: meta.Journeys}}))
	}
	if tl, err := mergeTimelines(parts); err != nil {
		return nil, err
	} else if tl != nil {
		r.Timeline = tl
	}
	return r, nil
}

// unqualify splits the merge's keys (SCENARIO NUL NAME) into names and
// their scenarios (nil when none has one).
func unqualify(keys []string) (names, scenarios []string) {
	any := false
	for _, k := range keys {
		scn, name, _ := strings.Cut(k, "\x00")
		names, scenarios = append(names, name), append(scenarios, scn)
		any = any || scn != ""
	}
	if !any {
		scenarios = nil
	}
	return names, scenarios
}

func mergeChecks(total *metrics.Aggregate, names *[]string, p *Result, a *metrics.Aggregate) {
	for i, c := range p.Checks {
		key := c.Scenario + "\x00" + c.Name
		j := slices.Index(*names, key)
		if j < 0 {
			j = len(*names)
			*names = append(*names, key)
			total.Checks = append(total.Checks, metrics.CheckAgg{})
		}
		total.Checks[j].Pass += a.Checks[i].Pass
		total.Checks[j].Fail += a.Checks[i].Fail
	}
}

// mergeJourneys adds a part's journeys into total, matched by name.
func mergeJourneys(total *metrics.Aggregate, names *[]string, p *Result) error {
	for _, jr := range p.Journeys {
		key := jr.Scenario + "\x00" + jr.Name
		j := slices.Index(*names, key)
		if j < 0 {
			j = len(*names)
			*names = append(*names, key)
		}
		h, err := p.Histogram("journey:" + qualified(jr.Scenario, jr.Name))
		if err != nil {
			return err
		}
		ja := metrics.JourneyAgg{Count: jr.Count, Failed: jr.Failed, Latency: h}
		for name, n := range jr.Reasons {
			ja.Reasons[metrics.ReasonByName(name)] += n
		}
		total.Journey(j).Merge(&ja)
	}
	return nil
}

// checkParts returns the segments the parts hold, sorted, after checking
// they belong to one run.
// mergeInstances adds a part's per-instance figures into total, matching
// instances by name (each part numbered them in the order it met them).
func mergeInstances(total *metrics.Aggregate, names *[]string, p *Result) error {
	for _, in := range p.Instances {
		j := slices.Index(*names, in.Name)
		if j < 0 {
			j = len(*names)
			*names = append(*names, in.Name)
		}
		h, err := p.Histogram("instance:" + in.Name)
		if err != nil {
			return err
		}
		total.Instance(uint8(j + 1)).Merge(&metrics.InstanceAgg{Count: in.Requests, Failures: in.Failures, Latency: h})
	}
	return nil
}

func checkParts(names []string, parts []*Result, force bool) ([]string, error) {
	type seg struct{ i, n int }
	var all []seg
	owner := map[seg]string{}
	for k, p := range parts {
		if p.Profile != parts[0].Profile && !force {
			return nil, &MergeError{fmt.Sprintf("%s: profile %q, but %s has %q: not the same run (--force merges anyway)", names[k], p.Profile, names[0], parts[0].Profile)}
		}
		list := p.MergedSegments
		if len(list) == 0 {
			list = []string{p.Segment}
		}
		for _, s := range list {
			a, b, _ := strings.Cut(s, "/")
			i, err1 := strconv.Atoi(a)
			n, err2 := strconv.Atoi(b)
			if err1 != nil || err2 != nil || i < 1 || i > n {
				return nil, &MergeError{fmt.Sprintf("%s: field segment: %q is not i/n", names[k], s)}
			}
			sg := seg{i, n}
			if other, dup := owner[sg]; dup && !force {
				return nil, &MergeError{fmt.Sprintf("%s and %s both hold segment %s", other, names[k], s)}
			}
			owner[sg] = names[k]
			all = append(all, sg)
		}
	}
	slices.SortFunc(all, func(x, y seg) int { return x.i - y.i })
	n := all[0].n
	var missing []string
	for i := 1; i <= n; i++ {
		if _, ok := owner[seg{i, n}]; !ok {
			missing = append(missing, fmt.Sprintf("%d/%d", i, n))
		}
	}
	for _, s := range all {
		if s.n != n && !force {
			return nil, &MergeError{fmt.Sprintf("segments of %d and %d parts cannot be one run", n, s.n)}
		}
	}
	if len(missing) > 0 && !force {
		return nil, &MergeError{fmt.Sprintf("segments %s are missing (--force merges what there is)", strings.Join(missing, ", "))}
	}
	out := make([]string, len(all))
	for i, s := range all {
		out[i] = fmt.Sprintf("%d/%d", s.i, s.n)
	}
	return out, nil
}

func segmentLabel(segs []string) string {
	if len(segs) > 0 {
		if _, n, _ := strings.Cut(segs[0], "/"); n == strconv.Itoa(len(segs)) {
			return "1/1" // every segment: the whole run
		}
	}
	return strings.Join(segs, ",")
}

// mergeTimelines adds the parts' timelines point by point. Parts started
// together (--start-at) have their intervals aligned.
func mergeTimelines(parts []*Result) (*Timeline, error) {
	var out *Timeline
	for _, p := range parts {
		if p.Timeline == nil {
			continue
		}
		if out == nil {
			out = &Timeline{IntervalS: p.Timeline.IntervalS}
		}
		for i, pt := range p.Timeline.Points {
			if i == len(out.Points) {
				out.Points = append(out.Points, Point{T: pt.T, ByName: map[string]PointSeries{}})
			}
			if err := out.Points[i].add(pt); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

func (p *Point) add(o Point) error {
	p.T = max(p.T, o.T)
	p.VUs += o.VUs
	p.LoggedIn += o.LoggedIn
	p.Requests += o.Requests
	p.Failures += o.Failures
	p.Iterations += o.Iterations
	p.Dropped += o.Dropped
	p.Logins += o.Logins
	p.SessionLost += o.SessionLost
	p.Relogins += o.Relogins
	// Each segment holds its own share of the warm population, as of the
	// VUs' sessions: held sessions add up like LoggedIn.
	p.WarmHeld += o.WarmHeld
	p.WarmWanted += o.WarmWanted
	p.WarmLost += o.WarmLost
	p.WarmRelogins += o.WarmRelogins
	p.CookieMax = max(p.CookieMax, o.CookieMax)
	var err error
	for _, f := range []struct {
		dst *string
		src string
	}{
		{&p.Latency, o.Latency}, {&p.Reused, o.Reused}, {&p.New, o.New}, {&p.Login, o.Login},
	} {
		if *f.dst, err = mergeEncoded(*f.dst, f.src); err != nil {
			return err
		}
	}
	for k, s := range o.ByName {
		cur := p.ByName[k]
		cur.Requests += s.Requests
		cur.Failures += s.Failures
		if cur.Latency, err = mergeEncoded(cur.Latency, s.Latency); err != nil {
			return err
		}
		p.ByName[k] = cur
	}
	return nil
}

func mergeEncoded(a, b string) (string, error) {
	if b == "" {
		return a, nil
	}
	if a == "" {
		return b, nil
	}
	ha, err := DecodeHist(a)
	if err != nil {
		return "", err
	}
	hb, err := DecodeHist(b)
	if err != nil {
		return "", err
	}
	ha.Merge(hb)
	return encodeHist(ha), nil
}
