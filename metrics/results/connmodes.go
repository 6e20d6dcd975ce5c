package results

import (
	"github.com/cohort-dev/cohort/metrics"

	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// MergedHistogram merges the histograms of every request series of one
// kind (latency, connect, tls, ...).
func (r *Result) MergedHistogram(kind string) (*hdr.Histogram, error) {
	h := metrics.NewHistogram()
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
				p95[j] = ms(float64(metrics.Percentile(h, 95)) / 1000)
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
