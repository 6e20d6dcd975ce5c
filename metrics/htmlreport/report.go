// Package htmlreport writes a run's result as one self-contained HTML
// file: tables and charts (SVG drawn with gonum/plot, inline), no network
// needed to view it. It reads only the result document, so a report can
// be made long after the run.
package htmlreport

import (
	"cmp"
	"fmt"
	"html/template"
	"io"
	"maps"
	"slices"
	"strings"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"gonum.org/v1/plot/plotter"

	"github.com/cohort-dev/cohort/metrics"
	"github.com/cohort-dev/cohort/metrics/results"
)

// Chart is one figure of the report.
type Chart struct {
	ID, Title, Caption string
	SVG                template.HTML
}

type page struct {
	R      *results.Result
	Charts []Chart
	Timing []timingRow
}

type timingRow struct {
	Name  string
	Cells []string
}

func timing(r *results.Result) []timingRow {
	pair := func(l results.Latency) string {
		if l.Count == 0 {
			return "–"
		}
		return ms(l.P50) + " / " + ms(l.P95)
	}
	var rows []timingRow
	for _, q := range r.Requests {
		if q.Count == 0 {
			continue
		}
		row := timingRow{Name: q.Name}
		if q.Scenario != "" {
			row.Name = q.Scenario + ": " + q.Name
		}
		for _, ph := range []string{"blocked", "connect", "tls", "sending", "ttfb", "receiving"} {
			row.Cells = append(row.Cells, pair(q.Phases[ph]))
		}
		row.Cells = append(row.Cells, pair(q.ByConnection["new"].Latency), pair(q.ByConnection["reused"].Latency))
		rows = append(rows, row)
	}
	return rows
}

// Write writes the report of r.
func Write(w io.Writer, r *results.Result) error {
	charts, err := Charts(r)
	if err != nil {
		return err
	}
	return tmpl.Execute(w, page{R: r, Charts: charts, Timing: timing(r)})
}

// Charts draws every chart the result has data for.
func Charts(r *results.Result) ([]Chart, error) {
	var out []Chart
	add := func(id, title, caption, xl, yl string, lines []line, logX bool) error {
		svg, err := chart(title, xl, yl, lines, logX)
		if err != nil {
			return fmt.Errorf("chart %s: %v", id, err)
		}
		if svg != "" {
			out = append(out, Chart{ID: id, Title: title, Caption: caption, SVG: template.HTML(svg)})
		}
		return nil
	}
	tl := r.Timeline
	if tl != nil && len(tl.Points) > 0 {
		over, byName, err := latencyOverTime(tl)
		if err != nil {
			return nil, err
		}
		steps := []func() error{
			func() error {
				return add("latency-over-time", "Latency over time, all requests", "p50, p95 and p99 of each interval, from when each request was due to the end of its body.", "seconds", "ms", over, false)
			},
			func() error {
				return add("latency-by-name", "p95 latency over time by request", "", "seconds", "ms", byName, false)
			},
			func() error {
				return add("throughput", "Throughput", "Requests and failures per second.", "seconds", "per second", throughput(tl), false)
			},
			func() error {
				return add("vus", "Virtual users and logged-in sessions", "", "seconds", "count", population(tl), false)
			},
		}
		for _, f := range steps {
			if err := f(); err != nil {
				return nil, err
			}
		}
	}
	if c := &r.Capacity; len(c.Steps) > 0 {
		lat, tput := capacityLines(c)
		caption := fmt.Sprintf("Each step of the capacity search, judged after its settling time. Last passing level %g", c.LastPassing)
		if c.FirstFailing > 0 {
			caption += fmt.Sprintf("; broke at %g", c.FirstFailing)
		}
		caption += fmt.Sprintf("; knee at %g.", c.Knee)
		if err := add("capacity-latency", "Latency against load ("+c.Vary+")", caption, c.Vary, "ms", lat, false); err != nil {
			return nil, err
		}
		if err := add("capacity-throughput", "Throughput against load ("+c.Vary+")", "Requests per second each step achieved.", c.Vary, "per second", tput, false); err != nil {
			return nil, err
		}
	}
	dists, err := distributions(r)
	if err != nil {
		return nil, err
	}
	if err := add("distribution", "Latency by percentile", "The percentile distribution of each request's latency, as HdrHistogram's plotter draws it: the x axis stretches the tail.", "percentile", "ms", dists, true); err != nil {
		return nil, err
	}
	conn, err := connectionLines(r)
	if err != nil {
		return nil, err
	}
	if err := add("connections", "Reused against new connections", "Latency by percentile of requests on kept-alive connections and on new ones (connect and TLS included).", "percentile", "ms", conn, true); err != nil {
		return nil, err
	}
	login, err := loginLines(r)
	if err != nil {
		return nil, err
	}
	if err := add("login", "Login and first request", "The whole login flow, and the time from a login's start to its first authenticated response.", "percentile", "ms", login, true); err != nil {
		return nil, err
	}
	return out, nil
}

// capacityLines are the percentiles and the throughput of each step of a
// capacity search, by load level.
func capacityLines(c *results.Capacity) (lat, tput []line) {
	p50, p95, p99, rps := make(plotter.XYs, 0, len(c.Steps)), make(plotter.XYs, 0, len(c.Steps)),
		make(plotter.XYs, 0, len(c.Steps)), make(plotter.XYs, 0, len(c.Steps))
	for _, st := range c.Steps {
		p50 = append(p50, plotter.XY{X: st.Level, Y: st.Latency.P50})
		p95 = append(p95, plotter.XY{X: st.Level, Y: st.Latency.P95})
		p99 = append(p99, plotter.XY{X: st.Level, Y: st.Latency.P99})
		rps = append(rps, plotter.XY{X: st.Level, Y: st.RPS})
	}
	return []line{{"p50", p50, true}, {"p95", p95, true}, {"p99", p99, true}}, []line{{"requests/s", rps, true}}
}

func quantiles(h *hdr.Histogram, qs ...float64) []float64 {
	out := make([]float64, len(qs))
	for i, q := range qs {
		out[i] = float64(metrics.Percentile(h, q)) / 1000
	}
	return out
}

func latencyOverTime(tl *results.Timeline) ([]line, []line, error) {
	p50, p95, p99 := line{name: "p50"}, line{name: "p95"}, line{name: "p99"}
	names := map[string]*line{}
	var order []string
	for _, pt := range tl.Points {
		h, err := results.DecodeHist(pt.Latency)
		if err != nil {
			return nil, nil, fmt.Errorf("timeline at %gs: %v", pt.T, err)
		}
		if h != nil {
			q := quantiles(h, 50, 95, 99)
			p50.xys = append(p50.xys, plotter.XY{X: pt.T, Y: q[0]})
			p95.xys = append(p95.xys, plotter.XY{X: pt.T, Y: q[1]})
			p99.xys = append(p99.xys, plotter.XY{X: pt.T, Y: q[2]})
		}
		for key, s := range pt.ByName {
			h, err := results.DecodeHist(s.Latency)
			if err != nil || h == nil {
				continue
			}
			l := names[key]
			if l == nil {
				l = &line{name: key}
				names[key] = l
				order = append(order, key)
			}
			l.xys = append(l.xys, plotter.XY{X: pt.T, Y: float64(metrics.Percentile(h, 95)) / 1000})
		}
	}
	slices.Sort(order)
	var byName []line
	for _, k := range order {
		byName = append(byName, *names[k])
	}
	return []line{p50, p95, p99}, byName, nil
}

func throughput(tl *results.Timeline) []line {
	reqs, fails := line{name: "requests/s"}, line{name: "failures/s"}
	prev := 0.0
	for _, pt := range tl.Points {
		dt := pt.T - prev
		prev = pt.T
		if dt <= 0 {
			continue
		}
		reqs.xys = append(reqs.xys, plotter.XY{X: pt.T, Y: float64(pt.Requests) / dt})
		fails.xys = append(fails.xys, plotter.XY{X: pt.T, Y: float64(pt.Failures) / dt})
	}
	return []line{reqs, fails}
}

func population(tl *results.Timeline) []line {
	vus, in := line{name: "VUs"}, line{name: "logged-in sessions"}
	for _, pt := range tl.Points {
		vus.xys = append(vus.xys, plotter.XY{X: pt.T, Y: float64(pt.VUs)})
		in.xys = append(in.xys, plotter.XY{X: pt.T, Y: float64(pt.LoggedIn)})
	}
	return []line{vus, in}
}

func distributions(r *results.Result) ([]line, error) {
	all, err := r.Histogram("all")
	if err != nil {
		return nil, err
	}
	lines := []line{{name: "all requests", xys: distribution(all)}}
	for _, q := range r.Requests {
		if q.Group != "mix" || q.Count == 0 {
			continue
		}
		h, err := r.Histogram(metrics.SeriesKey(q.Scenario, q.Group, q.Name) + "/latency")
		if err != nil {
			return nil, err
		}
		name := q.Name
		if q.Scenario != "" {
			name = q.Scenario + ": " + name
		}
		lines = append(lines, line{name: name, xys: distribution(h)})
	}
	return lines, nil
}

func connectionLines(r *results.Result) ([]line, error) {
	var lines []line
	for _, kind := range []string{"reused", "new"} {
		h, err := r.MergedHistogram(kind)
		if err != nil {
			return nil, err
		}
		lines = append(lines, line{name: kind + " connection", xys: distribution(h)})
	}
	return lines, nil
}

func loginLines(r *results.Result) ([]line, error) {
	var lines []line
	for _, k := range []struct{ key, name string }{{"login", "login flow"}, {"first_request", "login to first response"}} {
		h, err := r.Histogram(k.key)
		if err != nil {
			return nil, err
		}
		lines = append(lines, line{name: k.name, xys: distribution(h)})
	}
	return lines, nil
}

func ms(v float64) string {
	if v == 0 {
		return "–"
	}
	return results.FormatMS(v)
}

var tmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"ms":     ms,
	"bytes":  results.FormatBytes,
	"share":  results.FormatShare,
	"pct":    func(v float64) string { return fmt.Sprintf("%.2f%%", 100*v) },
	"counts": counts,
	"wanted": func(n, want int) string {
		if want == 0 {
			return "–"
		}
		return fmt.Sprintf("%d/%d", n, want)
	},
}).Parse(reportHTML))

// counts shows a map of counts, largest first: "status 500: 60".
func counts(m map[string]int64) string {
	keys := slices.SortedFunc(maps.Keys(m), func(a, b string) int { return cmp.Or(cmp.Compare(m[b], m[a]), cmp.Compare(a, b)) })
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s: %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}
