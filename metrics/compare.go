package metrics

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// z95 is the normal quantile of a two-sided 95% interval.
const z95 = 1.96

// resolution is the relative precision of a histogram value (3
// significant digits).
const resolution = 0.001

// Interval is a value with its 95% confidence interval.
type Interval struct {
	Value, Lo, Hi float64
}

// CompareRow is one figure of two runs, side by side.
type CompareRow struct {
	Request string // "group/name", or "" for the run as a whole
	Metric  string
	A, B    Interval
	// Delta is (B-A)/A in percent; NaN when A is 0.
	Delta float64
	// Significant marks a difference larger than the two runs' noise:
	// their 95% intervals do not overlap and the values differ by more
	// than the histograms can resolve.
	Significant bool
}

// Compare lines up the figures of two results. Percentile intervals come
// from each run's own histogram (the ranks a percentile could take given
// its sample count), rates from Poisson counts, failure ratios from the
// binomial, so that a mark means more than run-to-run noise.
func Compare(a, b *Result) ([]CompareRow, error) {
	var rows []CompareRow
	add := func(req, metric string, x, y Interval) {
		rows = append(rows, newRow(req, metric, x, y))
	}
	if err := compareLatency(a, b, "", "all", add); err != nil {
		return nil, err
	}
	add("", "rps", rateInterval(a.Totals.Requests, a.DurationS), rateInterval(b.Totals.Requests, b.DurationS))
	add("", "failure %", ratioInterval(a.Totals.Failures, a.Totals.Requests), ratioInterval(b.Totals.Failures, b.Totals.Requests))
	add("", "connections opened", countInterval(a.Connections.Opened), countInterval(b.Connections.Opened))
	add("", "logins/s", rateInterval(a.Sessions.Logins, a.DurationS), rateInterval(b.Sessions.Logins, b.DurationS))
	if err := compareLatency(a, b, "", "login", add); err != nil {
		return nil, err
	}
	for _, qa := range a.Requests {
		qb, ok := b.request(qa.Group, qa.Name)
		if !ok || qa.Count == 0 && qb.Count == 0 {
			continue
		}
		req := qa.Group + "/" + qa.Name
		add(req, "rps", rateInterval(qa.Count, a.DurationS), rateInterval(qb.Count, b.DurationS))
		add(req, "failure %", ratioInterval(qa.Failures, qa.Count), ratioInterval(qb.Failures, qb.Count))
		for _, kind := range []string{"latency", "blocked", "connect", "tls", "sending", "ttfb", "receiving", "new", "reused"} {
			if err := compareLatency(a, b, req, req+"/"+kind, add); err != nil {
				return nil, err
			}
		}
	}
	return rows, nil
}

func (r *Result) request(group, name string) (RequestResult, bool) {
	for _, q := range r.Requests {
		if q.Group == group && q.Name == name {
			return q, true
		}
	}
	return RequestResult{}, false
}

// compareLatency adds p50/p95/p99 rows for histogram key, when both runs
// have values for it.
func compareLatency(a, b *Result, req, key string, add func(string, string, Interval, Interval)) error {
	ha, err := a.Histogram(key)
	if err != nil {
		return err
	}
	hb, err := b.Histogram(key)
	if err != nil {
		return err
	}
	if ha == nil || hb == nil || ha.TotalCount() == 0 || hb.TotalCount() == 0 {
		return nil
	}
	label := key
	if req != "" {
		label = strings.TrimPrefix(key, req+"/")
	}
	for _, q := range []float64{50, 95, 99} {
		add(req, fmt.Sprintf("%s p%g ms", label, q), QuantileInterval(ha, q), QuantileInterval(hb, q))
	}
	return nil
}

// QuantileInterval returns the q-th percentile of h, in milliseconds,
// with the 95% interval of the ranks it could have had: with n samples,
// the rank of a percentile is known to about z*sqrt(n q (1-q)).
func QuantileInterval(h *hdr.Histogram, q float64) Interval {
	n := float64(h.TotalCount())
	p := q / 100
	spread := z95 * math.Sqrt(p*(1-p)/n)
	at := func(p float64) float64 {
		p = min(max(p, 0), 1)
		return float64(Percentile(h, p*100)) / 1000
	}
	return Interval{Value: at(p), Lo: at(p - spread), Hi: at(p + spread)}
}

func rateInterval(n int64, secs float64) Interval {
	if secs <= 0 {
		return Interval{}
	}
	c := countInterval(n)
	return Interval{Value: c.Value / secs, Lo: c.Lo / secs, Hi: c.Hi / secs}
}

func countInterval(n int64) Interval {
	v := float64(n)
	d := z95 * math.Sqrt(v)
	return Interval{Value: v, Lo: max(v-d, 0), Hi: v + d}
}

func ratioInterval(k, n int64) Interval {
	if n == 0 {
		return Interval{}
	}
	p := float64(k) / float64(n)
	d := z95 * math.Sqrt(p*(1-p)/float64(n))
	return Interval{Value: 100 * p, Lo: 100 * max(p-d, 0), Hi: 100 * min(p+d, 1)}
}

func newRow(req, metric string, a, b Interval) CompareRow {
	r := CompareRow{Request: req, Metric: metric, A: a, B: b, Delta: math.NaN()}
	if a.Value != 0 {
		r.Delta = 100 * (b.Value - a.Value) / a.Value
	}
	apart := a.Hi < b.Lo || b.Hi < a.Lo
	resolvable := math.Abs(b.Value-a.Value) > 2*resolution*max(math.Abs(a.Value), math.Abs(b.Value))
	r.Significant = apart && resolvable
	return r
}

// WriteCompare writes the rows as a table: A, B, the change, and a mark
// where the change is beyond noise.
func WriteCompare(w io.Writer, nameA, nameB string, rows []CompareRow) error {
	var b strings.Builder
	fmt.Fprintf(&b, "A: %s\nB: %s\n\n", nameA, nameB)
	tw := tabwriter.NewWriter(&b, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "request\tmetric\tA\tB\tchange\t")
	last := "\x00"
	for _, r := range rows {
		req := r.Request
		if req == "" {
			req = "(run)"
		}
		if req == last {
			req = ""
		} else {
			last = req
		}
		delta := "   -"
		if !math.IsNaN(r.Delta) {
			delta = fmt.Sprintf("%+.1f%%", r.Delta)
		}
		if r.Significant {
			delta += " *"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", req, r.Metric, num(r.A.Value), num(r.B.Value), delta)
	}
	tw.Flush()
	b.WriteString("\n* the 95% intervals of A and B do not overlap (percentiles: from each run's sample count;\n" +
		"  rates and counts: Poisson; failures: binomial) and the change exceeds the histograms' 0.1% resolution.\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func num(v float64) string {
	switch {
	case v == math.Trunc(v) && math.Abs(v) < 1e15:
		return fmt.Sprintf("%.0f", v)
	case math.Abs(v) >= 100:
		return fmt.Sprintf("%.0f", v)
	case math.Abs(v) >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.3f", v)
}

// MergedHistogram merges the histograms of every request series of one
// kind (latency, connect, tls, ...).
func (r *Result) MergedHistogram(kind string) (*hdr.Histogram, error) {
	h := newHist()
	for _, key := range r.HistogramKeys() {
		if strings.Count(key, "/") != 2 || !strings.HasSuffix(key, "/"+kind) {
			continue
		}
		part, err := r.Histogram(key)
		if err != nil {
			return nil, err
		}
		h.Merge(part)
	}
	return h, nil
}

// WriteConnComparison writes one table of the same profile run once per
// connection mode: what connection reuse saves, at a glance.
func WriteConnComparison(w io.Writer, modes []string, results []*Result) error {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 2, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "conn mode\trps\tp50 ms\tp95 ms\tp99 ms\tconnect p95\ttls p95\tconnections\tnew/reused requests\tlogin p95\tfirst request p95\tfailed\t")
	for i, r := range results {
		var p95 [2]string
		for j, kind := range []string{"connect", "tls"} {
			h, err := r.MergedHistogram(kind)
			if err != nil {
				return err
			}
			p95[j] = "-"
			if h.TotalCount() > 0 {
				p95[j] = ms(float64(Percentile(h, 95)) / 1000)
			}
		}
		l := r.Latency
		fmt.Fprintf(tw, "%s\t%.0f\t%s\t%s\t%s\t%s\t%s\t%d\t%d/%d\t%s\t%s\t%d\t\n", modes[i], r.Totals.RPS,
			ms(l.P50), ms(l.P95), ms(l.P99), p95[0], p95[1], r.Connections.Opened,
			r.Connections.NewRequests, r.Connections.ReusedRequests, ms(r.Sessions.Login.P95),
			ms(r.Sessions.FirstRequest.P95), r.Totals.Failures)
	}
	tw.Flush()
	_, err := io.WriteString(w, b.String())
	return err
}
