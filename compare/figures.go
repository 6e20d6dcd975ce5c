package compare

import (
	"fmt"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/cohort-dev/cohort/metrics"
	"github.com/cohort-dev/cohort/metrics/results"
)

// figure is one thing compared: how to read it off a whole run, and off
// one interval of a run's timeline (nil: the timeline does not hold it).
type figure struct {
	request, metric string
	whole           func(*results.Result) (float64, bool)
	interval        func(*point) (float64, bool)
	// count says how many values a run's figure holds (latencies); nil
	// when it is not a count of values.
	count func(*results.Result) int64
}

var quantiles = []float64{50, 95, 99}

// figuresOf lists the figures of runs a and b: the run's, then each
// request's that either side has, in the order they first appear, then
// each journey's.
func figuresOf(a, b []*results.Result) []figure {
	fs := runFigures()
	seen := map[string]bool{}
	for _, r := range append(append([]*results.Result{}, a...), b...) {
		for _, q := range r.Requests {
			key := metrics.SeriesKey(q.Scenario, q.Group, q.Name)
			if !seen[key] {
				seen[key] = true
				fs = append(fs, requestFigures(q.Scenario, q.Group, q.Name)...)
			}
		}
	}
	for _, r := range append(append([]*results.Result{}, a...), b...) {
		for _, j := range r.Journeys {
			if key := "journey " + j.Name; !seen[key] {
				seen[key] = true
				fs = append(fs, journeyFigures(j.Name)...)
			}
		}
	}
	return fs
}

// journeyFigures are a journey's rate, failed share and whole duration.
// The timeline does not split journeys, so with one run a side they are
// shown, not judged; with replicates they are judged across the runs.
func journeyFigures(name string) []figure {
	key := "journey " + name
	find := func(r *results.Result) (results.JourneyResult, bool) {
		for _, j := range r.Journeys {
			if j.Name == name {
				return j, true
			}
		}
		return results.JourneyResult{}, false
	}
	fs := []figure{
		{key, "per s", func(r *results.Result) (float64, bool) {
			j, ok := find(r)
			return perSecond(j.Count, r.DurationS), ok
		}, nil, nil},
		{key, "failed %", func(r *results.Result) (float64, bool) {
			j, ok := find(r)
			return percent(j.Failed, j.Count), ok && j.Count > 0
		}, nil, nil},
	}
	return append(fs, latencyFigures(key, "duration", func(r *results.Result) (results.Latency, bool) {
		j, ok := find(r)
		return j.Duration, ok && j.Duration.Count > 0
	}, nil)...)
}

func runFigures() []figure {
	fs := latencyFigures("", "all", func(r *results.Result) (results.Latency, bool) { return r.Latency, r.Latency.Count > 0 },
		func(p *point) *hdr.Histogram { return p.latency })
	fs = append(fs,
		figure{"", "rps", func(r *results.Result) (float64, bool) { return r.Totals.RPS, true },
			func(p *point) (float64, bool) { return float64(p.p.Requests) / p.secs, true }, nil},
		figure{"", "failure %", func(r *results.Result) (float64, bool) {
			return percent(r.Totals.Failures, r.Totals.Requests), r.Totals.Requests > 0
		}, func(p *point) (float64, bool) { return percent(p.p.Failures, p.p.Requests), p.p.Requests > 0 }, nil},
		figure{"", "connections opened", func(r *results.Result) (float64, bool) { return float64(r.Connections.Opened), true }, nil, nil},
		figure{"", "logins/s", func(r *results.Result) (float64, bool) {
			return perSecond(r.Sessions.Logins, r.DurationS), r.Sessions.Logins+r.Sessions.LoginFailures > 0
		}, func(p *point) (float64, bool) { return float64(p.p.Logins) / p.secs, true }, nil},
	)
	fs = append(fs, latencyFigures("", "login", func(r *results.Result) (results.Latency, bool) {
		return r.Sessions.Login, r.Sessions.Login.Count > 0
	}, func(p *point) *hdr.Histogram { return p.login })...)
	return fs
}

func requestFigures(scenario, group, name string) []figure {
	key := metrics.SeriesKey(scenario, group, name)
	find := func(r *results.Result) (results.RequestResult, bool) {
		for _, q := range r.Requests {
			if q.Scenario == scenario && q.Group == group && q.Name == name {
				return q, true
			}
		}
		return results.RequestResult{}, false
	}
	fs := []figure{
		{key, "rps", func(r *results.Result) (float64, bool) {
			q, ok := find(r)
			return q.RPS, ok
		}, func(p *point) (float64, bool) {
			return float64(p.p.ByName[key].Requests) / p.secs, true // an interval without the request had none
		}, nil},
		{key, "failure %", func(r *results.Result) (float64, bool) {
			q, ok := find(r)
			return percent(q.Failures, q.Count), ok && q.Count > 0
		}, func(p *point) (float64, bool) {
			ps, ok := p.p.ByName[key]
			return percent(ps.Failures, ps.Requests), ok && ps.Requests > 0
		}, nil},
	}
	fs = append(fs, latencyFigures(key, "latency", func(r *results.Result) (results.Latency, bool) {
		q, ok := find(r)
		return q.Latency, ok && q.Latency.Count > 0
	}, func(p *point) *hdr.Histogram { return p.requests[key] })...)
	for _, phase := range []string{"blocked", "connect", "tls", "sending", "ttfb", "receiving"} {
		fs = append(fs, latencyFigures(key, phase, func(r *results.Result) (results.Latency, bool) {
			q, ok := find(r)
			l := q.Phases[phase]
			return l, ok && l.Count > 0
		}, nil)...)
	}
	for _, conn := range []string{"new", "reused"} {
		fs = append(fs, latencyFigures(key, conn, func(r *results.Result) (results.Latency, bool) {
			q, ok := find(r)
			l := q.ByConnection[conn].Latency
			return l, ok && l.Count > 0
		}, nil)...)
	}
	return fs
}

// latencyFigures are the p50, p95 and p99 of a latency, in ms, read off a
// whole run's latency block and, if hist is set, off an interval's
// histogram.
func latencyFigures(req, label string, block func(*results.Result) (results.Latency, bool), hist func(*point) *hdr.Histogram) []figure {
	var fs []figure
	for _, q := range quantiles {
		f := figure{request: req, metric: fmt.Sprintf("%s p%g ms", label, q),
			whole: func(r *results.Result) (float64, bool) {
				l, ok := block(r)
				return pick(l, q), ok
			},
			count: func(r *results.Result) int64 {
				l, _ := block(r)
				return l.Count
			}}
		if hist != nil {
			f.interval = func(p *point) (float64, bool) {
				h := hist(p)
				if h == nil || h.TotalCount() == 0 {
					return 0, false
				}
				return float64(metrics.Percentile(h, q)) / 1000, true
			}
		}
		fs = append(fs, f)
	}
	return fs
}

func pick(l results.Latency, q float64) float64 {
	switch q {
	case 50:
		return l.P50
	case 95:
		return l.P95
	}
	return l.P99
}

func percent(k, n int64) float64 {
	if n == 0 {
		return 0
	}
	return 100 * float64(k) / float64(n)
}

func perSecond(n int64, secs float64) float64 {
	if secs <= 0 {
		return 0
	}
	return float64(n) / secs
}
