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
	"math"
	"slices"
	"strings"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"gonum.org/v1/plot/plotter"

	"github.com/cohort-dev/cohort/metrics"
	"github.com/cohort-dev/cohort/metrics/results"
)

// Chart is one figure of the report: its SVG and, beside it, the legend
// of its series (in the page, not on the chart, so that it never covers
// data and long request names wrap).
type Chart struct {
	ID, Title, Caption string
	SVG                template.HTML
	Legend             []legendEntry
}

type page struct {
	R      *results.Result
	Charts []Chart
	Timing []timingRow
	// Failed is the capacity step that ended the search, if one did.
	Failed *results.CapacityStep
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
	pg := page{R: r, Charts: charts, Timing: timing(r)}
	for i := range r.Capacity.Steps {
		if st := &r.Capacity.Steps[i]; !st.Passed {
			pg.Failed = st
		}
	}
	return tmpl.Execute(w, pg)
}

// chartOf is one chart to draw: its place in the page and its spec.
type chartOf struct {
	id, caption string
	spec
}

// Charts draws every chart the result has data for.
func Charts(r *results.Result) ([]Chart, error) {
	var todo []chartOf
	if tl := r.Timeline; tl != nil && len(tl.Points) > 0 {
		more, err := timeCharts(r, tl)
		if err != nil {
			return nil, err
		}
		todo = append(todo, more...)
	}
	if c := &r.Capacity; len(c.Steps) > 0 {
		todo = append(todo, capacityCharts(c)...)
	}
	dists, err := distributions(r)
	if err != nil {
		return nil, err
	}
	conn, err := connectionLines(r)
	if err != nil {
		return nil, err
	}
	login, err := loginLines(r)
	if err != nil {
		return nil, err
	}
	pct := func(id, title, caption string, lines []line) chartOf {
		return chartOf{id, caption, spec{title: title, xLabel: "percentile", yLabel: "ms", x: xPercentile, latency: true, lines: lines}}
	}
	todo = append(todo,
		pct("distribution", "Latency by percentile", "The percentile distribution of each request's latency, as HdrHistogram's plotter draws it: the percentile axis is log-scaled (1/(1-p)), so each further nine (90%, 99%, 99.9%) takes as much room as the one before and the tail is not flattened.", dists),
		pct("connections", "Reused against new connections", "Latency by percentile of requests on kept-alive connections and on new ones (connect and TLS included).", conn),
		pct("login", "Login and first request", "The whole login flow, the time from a login's start to its first authenticated response, and the warm population's logins.", login))
	var out []Chart
	for _, c := range todo {
		svg, legend, err := chart(c.spec)
		if err != nil {
			return nil, fmt.Errorf("chart %s: %v", c.id, err)
		}
		if svg != "" {
			out = append(out, Chart{ID: c.id, Title: c.title, Caption: c.caption, SVG: template.HTML(svg), Legend: legend})
		}
	}
	return out, nil
}

// timeCharts are the charts over the run's time, each with the starts of
// the capacity steps and of the scenarios marked.
func timeCharts(r *results.Result, tl *results.Timeline) ([]chartOf, error) {
	over, byName, err := latencyOverTime(tl)
	if err != nil {
		return nil, err
	}
	marks, note := timeMarks(r)
	at := func(id, title, caption, yLabel string, latency, counts bool, lines []line) chartOf {
		return chartOf{id, caption + note, spec{title: title, xLabel: "seconds", yLabel: yLabel, x: xTime,
			latency: latency, counts: counts, lines: lines, marks: marks}}
	}
	out := []chartOf{
		at("latency-over-time", "Latency over time, all requests", "p50, p95 and p99 of each interval, from when each request was due to the end of its body.", "ms", true, false, over),
		at("latency-by-name", "p95 latency over time by request", "The p95 of each request name in each interval.", "ms", true, false, byName),
		at("throughput", "Throughput", "Requests and failures per second.", "per second", false, false, throughput(tl)),
		at("vus", "Virtual users and logged-in sessions", "The VUs running and, of them, those logged in, at the end of each interval.", "count", false, true, population(tl)),
	}
	if r.Warm != nil {
		out = append(out, at("warm-sessions", "Warm sessions held against wanted", "The warm sessions logged in at the end of each interval, and what the run (or the capacity step) asked for.", "sessions", false, true, warmLines(r, tl)))
	}
	caption := "Per interval: the VUs' sessions found gone and the logins that replaced them"
	if r.Warm != nil {
		caption += ", and the same for the warm population"
	}
	out = append(out, at("sessions-lost", "Sessions lost and re-logins", caption+".", fmt.Sprintf("per %gs interval", tl.IntervalS), false, true, lostLines(r, tl)))
	return out, nil
}

// timeMarks are the vertical lines of the time charts: where each
// capacity step and each scenario that starts later begins; note says so
// in the captions.
func timeMarks(r *results.Result) ([]mark, string) {
	var out []mark
	var notes []string
	if c := &r.Capacity; len(c.Steps) > 0 {
		for i, st := range c.Steps {
			label := tickLabels([]float64{st.Level})[0]
			if i == 0 {
				label = c.Vary + " " + label
			}
			out = append(out, mark{x: stepStart(r, i), label: label})
		}
		notes = append(notes, "the dashed lines are the starts of the capacity steps, labelled with their level")
	}
	for _, sc := range r.Scenarios {
		if sc.Started && sc.StartAfterS > 0 {
			out = append(out, mark{x: sc.StartAfterS, label: sc.Name})
		}
	}
	if len(out) > len(r.Capacity.Steps) {
		notes = append(notes, "the dashed lines named after a scenario are where it starts")
	}
	slices.SortStableFunc(out, func(a, b mark) int { return cmp.Compare(a.x, b.x) })
	if len(notes) == 0 {
		return out, ""
	}
	note := strings.Join(notes, "; ")
	return out, " " + strings.ToUpper(note[:1]) + note[1:] + "."
}

// stepStart is when capacity step i began: its start_s, or, in a result
// written before steps kept their start, as stepLength reckons it.
func stepStart(r *results.Result, i int) float64 {
	steps := r.Capacity.Steps
	if len(steps) < 2 || steps[len(steps)-1].StartS > 0 {
		return steps[i].StartS
	}
	return float64(i) * stepLength(r)
}

// stepLength is how long each step of the capacity search lasted, for a
// result that keeps no step times: the search's steps are equally long,
// the first starts with the run, and the search ends the run at the
// first drain (each whole second) at or after its last step's end: the
// run's length in whole seconds over the number of steps is a step's
// length. That is exact for steps of whole seconds whose run stopped
// within a second; a search cut short (Ctrl-C) ends with a shorter step,
// and its lines are then approximate.
func stepLength(r *results.Result) float64 {
	end := math.Floor(r.DurationS + 1e-9)
	if end <= 0 {
		end = r.DurationS
	}
	return end / float64(len(r.Capacity.Steps))
}

// capacityCharts are the charts of a capacity search, by level.
func capacityCharts(c *results.Capacity) []chartOf {
	caption := fmt.Sprintf("Each step of the capacity search, judged after its settling time. Last passing level %g", c.LastPassing)
	if c.FirstFailing > 0 {
		caption += fmt.Sprintf("; broke at %g", c.FirstFailing)
	}
	if c.Knee > 0 {
		caption += fmt.Sprintf("; knee at %g", c.Knee)
	}
	caption += "."
	level := func(id, title, caption, yLabel string, latency, counts bool, lines []line) chartOf {
		return chartOf{id, caption, spec{title: title, xLabel: c.Vary, yLabel: yLabel, x: xLevels, latency: latency, counts: counts, lines: lines}}
	}
	lat, tput, held, lost := capacityLines(c)
	out := []chartOf{
		level("capacity-latency", "Latency against load ("+c.Vary+")", caption, "ms", true, false, lat),
		level("capacity-throughput", "Throughput against load ("+c.Vary+")", "Requests per second each step achieved.", "per second", false, false, tput),
	}
	if len(held) > 0 {
		out = append(out, level("capacity-sessions", "Sessions held against wanted ("+c.Vary+")", "The fewest VUs logged in and warm sessions held at any judged interval of each step, against what its level asks for: a step whose held line is below its wanted line did not hold its level.", "sessions", false, true, held))
	}
	return append(out, level("capacity-lost", "Sessions lost and failed logins ("+c.Vary+")", "In each step's judged part: the VUs' and the warm population's sessions found gone; over the whole step: the logins that failed (a store that refuses new sessions loses none, and fails logins instead).", "count", false, true, lost))
}

// capacityLines are, by load level: the percentiles, the throughput, the
// sessions held against wanted, and the sessions lost, of each step of a
// capacity search.
func capacityLines(c *results.Capacity) (lat, tput, held, lost []line) {
	p50, p95, p99 := line{name: "p50", marked: true}, line{name: "p95", marked: true}, line{name: "p99", marked: true}
	rps := line{name: "requests/s", marked: true}
	warm, warmWant := line{name: "warm sessions held (fewest)", marked: true}, line{name: "warm sessions wanted", marked: true, dashed: true}
	in, vus := line{name: "VUs logged in (fewest)", marked: true}, line{name: "VUs wanted", marked: true, dashed: true}
	lostVU, lostWarm := line{name: "VU sessions lost", marked: true}, line{name: "warm sessions lost", marked: true}
	failed := line{name: "failed logins", marked: true}
	var anyWarm, anyVUs bool
	for _, st := range c.Steps {
		x := st.Level
		p50.xys = append(p50.xys, plotter.XY{X: x, Y: st.Latency.P50})
		p95.xys = append(p95.xys, plotter.XY{X: x, Y: st.Latency.P95})
		p99.xys = append(p99.xys, plotter.XY{X: x, Y: st.Latency.P99})
		rps.xys = append(rps.xys, plotter.XY{X: x, Y: st.RPS})
		warm.xys = append(warm.xys, plotter.XY{X: x, Y: float64(st.LeastWarm)})
		warmWant.xys = append(warmWant.xys, plotter.XY{X: x, Y: float64(st.WarmWanted)})
		in.xys = append(in.xys, plotter.XY{X: x, Y: float64(st.LeastLoggedIn)})
		vus.xys = append(vus.xys, plotter.XY{X: x, Y: float64(st.VUsWanted)})
		lostVU.xys = append(lostVU.xys, plotter.XY{X: x, Y: float64(st.LostSessions)})
		lostWarm.xys = append(lostWarm.xys, plotter.XY{X: x, Y: float64(st.WarmLost)})
		failed.xys = append(failed.xys, plotter.XY{X: x, Y: float64(st.LoginFailures + st.WarmLoginFailures)})
		anyWarm = anyWarm || st.WarmWanted > 0
		anyVUs = anyVUs || st.VUsWanted > 0
	}
	if anyWarm {
		held = append(held, warm, warmWant)
	}
	if anyVUs {
		held = append(held, in, vus)
	}
	lost = []line{lostVU}
	if anyWarm {
		lost = append(lost, lostWarm)
	}
	return []line{p50, p95, p99}, []line{rps}, held, append(lost, failed)
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
		// The last point can be a sliver (the run's graceful stop, 10 ms):
		// its few requests over its few milliseconds would draw a rate no
		// second of the run had.
		if dt <= 0 || dt < tl.IntervalS/2 {
			continue
		}
		reqs.xys = append(reqs.xys, plotter.XY{X: pt.T, Y: float64(pt.Requests) / dt})
		fails.xys = append(fails.xys, plotter.XY{X: pt.T, Y: float64(pt.Failures) / dt})
	}
	return []line{reqs, fails}
}

func population(tl *results.Timeline) []line {
	vus, in := line{name: "VUs"}, line{name: "logged-in sessions", dashed: true}
	for _, pt := range tl.Points {
		vus.xys = append(vus.xys, plotter.XY{X: pt.T, Y: float64(pt.VUs)})
		in.xys = append(in.xys, plotter.XY{X: pt.T, Y: float64(pt.LoggedIn)})
	}
	return []line{vus, in}
}

// warmLines are the warm sessions held over time and what was wanted:
// the run's population, or, through a capacity search, each step's: a
// step function from each step's start (stepStart), which older result
// files have too, where the points' warm_wanted is newer.
func warmLines(r *results.Result, tl *results.Timeline) []line {
	held := line{name: "warm sessions held"}
	for _, pt := range tl.Points {
		held.xys = append(held.xys, plotter.XY{X: pt.T, Y: float64(pt.WarmHeld)})
	}
	end := max(r.DurationS, tl.Points[len(tl.Points)-1].T)
	want := line{name: "warm sessions wanted", stepped: true, dashed: true}
	steps := r.Capacity.Steps
	if len(steps) > 0 && steps[0].WarmWanted > 0 {
		for i, st := range steps {
			want.xys = append(want.xys, plotter.XY{X: stepStart(r, i), Y: float64(st.WarmWanted)})
		}
		want.xys = append(want.xys, plotter.XY{X: end, Y: float64(steps[len(steps)-1].WarmWanted)})
	} else {
		w := float64(r.Warm.Wanted)
		want.xys = plotter.XYs{{X: 0, Y: w}, {X: end, Y: w}}
	}
	return []line{held, want}
}

// lostLines are the sessions lost and logged in again in each interval,
// the VUs' and the warm population's.
func lostLines(r *results.Result, tl *results.Timeline) []line {
	lost, relog := line{name: "VU sessions lost"}, line{name: "VU re-logins", dashed: true}
	wlost, wrelog := line{name: "warm sessions lost"}, line{name: "warm re-logins", dashed: true}
	prev := 0.0
	for _, pt := range tl.Points {
		dt := pt.T - prev
		prev = pt.T
		if dt < tl.IntervalS/2 {
			continue // a sliver at the end: as in throughput, not an interval to compare
		}
		lost.xys = append(lost.xys, plotter.XY{X: pt.T, Y: float64(pt.SessionLost)})
		relog.xys = append(relog.xys, plotter.XY{X: pt.T, Y: float64(pt.Relogins)})
		wlost.xys = append(wlost.xys, plotter.XY{X: pt.T, Y: float64(pt.WarmLost)})
		wrelog.xys = append(wrelog.xys, plotter.XY{X: pt.T, Y: float64(pt.WarmRelogins)})
	}
	if r.Warm == nil {
		return []line{lost, relog}
	}
	return []line{lost, relog, wlost, wrelog}
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
	for _, k := range []struct{ key, name string }{{"login", "login flow"}, {"first_request", "login to first response"}, {"warm_login", "warm session login"}} {
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
