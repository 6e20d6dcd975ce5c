package prom

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/golang/snappy"
	dto "github.com/prometheus/client_model/go"
	"google.golang.org/protobuf/encoding/protowire"
)

// RemoteWriter sends an exporter's series to a Prometheus remote-write
// receiver (Prometheus started with --web.enable-remote-write-receiver,
// Mimir, Thanos Receive, VictoriaMetrics...), as protocol 1.0 defines it:
// a snappy-compressed protobuf WriteRequest per write.
//
// A write is a gather of the same registry /metrics serves, so the series
// Prometheus stores are the ones a scrape would have stored: the same
// names, the same labels (le formatted as the text format writes it), plus
// job="cohort" and an instance named after the run's testid and segment,
// as a scrape job would label them (a metric's own instance label wins). Histograms go as
// classic buckets, which every receiver reads.
type RemoteWriter struct {
	url      string
	client   *http.Client
	gather   func() ([]*dto.MetricFamily, error)
	extra    []label
	now      func() time.Time
	lastSent int64 // ms of the last write: never two writes at one stamp
}

type label struct{ name, value string }

// CheckRemoteWrite reports whether s can be a remote-write URL. The
// message never repeats s: it may hold a password (user:password@host),
// which a URL without its scheme would not let us find and hide.
func CheckRemoteWrite(s string) error {
	u, err := url.Parse(s)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https"):
		return errors.New("want the receiver's http:// or https:// URL, such as http://127.0.0.1:9090/api/v1/write")
	case u.Host == "":
		return errors.New("the URL names no host; want one such as http://127.0.0.1:9090/api/v1/write")
	}
	return nil
}

// redactURL hides a password the URL carries: it may be printed.
func redactURL(s string) string {
	if u, err := url.Parse(s); err == nil {
		return u.Redacted()
	}
	return "the URL"
}

// NewRemoteWriter checks the URL and prepares writes of e's series.
// Credentials in the URL (https://user:password@host/...) go as HTTP
// Basic authentication and are never printed.
func NewRemoteWriter(rawURL string, e *Exporter, testid, segment string) (*RemoteWriter, error) {
	if err := CheckRemoteWrite(rawURL); err != nil {
		return nil, err
	}
	return &RemoteWriter{
		url:    rawURL,
		client: &http.Client{Timeout: 30 * time.Second},
		gather: e.reg.Gather,
		extra:  []label{{"job", "cohort"}, {"instance", runName(testid, segment)}},
		now:    time.Now,
	}, nil
}

// runName names a segment of a run, for the Pushgateway's grouping
// and the remote-written series alike.
func runName(testid, segment string) string {
	return testid + "-" + strings.ReplaceAll(segment, "/", "of")
}

// Write sends the current value of every series, stamped now.
func (w *RemoteWriter) Write(ctx context.Context) error {
	fams, err := w.gather()
	if err != nil {
		return err
	}
	ms := w.now().UnixMilli()
	if ms <= w.lastSent {
		ms = w.lastSent + 1 // the final write can follow a periodic one within a millisecond
	}
	w.lastSent = ms
	body := snappy.Encode(nil, encodeWriteRequest(fams, w.extra, ms))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	req.Header.Set("Content-Encoding", "snappy")
	req.Header.Set("X-Prometheus-Remote-Write-Version", "0.1.0")
	req.Header.Set("User-Agent", "cohort")
	resp, err := w.client.Do(req)
	if err != nil {
		return err // url.Error redacts a password
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("%s: %s: %s", redactURL(w.url), resp.Status, strings.TrimSpace(string(msg)))
	}
	io.Copy(io.Discard, resp.Body)
	return nil
}

// encodeWriteRequest encodes a WriteRequest (prompb): field 1, a
// TimeSeries per sample, each with its sorted labels (field 1) and one
// sample (field 2: value, timestamp in ms).
func encodeWriteRequest(fams []*dto.MetricFamily, extra []label, ms int64) []byte {
	var out, ts []byte
	var labels []label
	add := func(name string, base []label, value float64, more ...label) {
		labels = append(append(append(labels[:0], label{"__name__", name}), base...), more...)
		slices.SortFunc(labels, func(a, b label) int { return strings.Compare(a.name, b.name) })
		ts = ts[:0]
		for _, l := range labels {
			var lb []byte
			lb = protowire.AppendTag(lb, 1, protowire.BytesType)
			lb = protowire.AppendString(lb, l.name)
			lb = protowire.AppendTag(lb, 2, protowire.BytesType)
			lb = protowire.AppendString(lb, l.value)
			ts = protowire.AppendTag(ts, 1, protowire.BytesType)
			ts = protowire.AppendBytes(ts, lb)
		}
		var sb []byte
		sb = protowire.AppendTag(sb, 1, protowire.Fixed64Type)
		sb = protowire.AppendFixed64(sb, math.Float64bits(value))
		sb = protowire.AppendTag(sb, 2, protowire.VarintType)
		sb = protowire.AppendVarint(sb, uint64(ms))
		ts = protowire.AppendTag(ts, 2, protowire.BytesType)
		ts = protowire.AppendBytes(ts, sb)
		out = protowire.AppendTag(out, 1, protowire.BytesType)
		out = protowire.AppendBytes(out, ts)
	}
	for _, f := range fams {
		for _, m := range f.GetMetric() {
			var base []label
			for _, lp := range m.GetLabel() {
				base = append(base, label{lp.GetName(), lp.GetValue()})
			}
			for _, x := range extra {
				// A label of the metric's own wins, as a scrape with
				// honor_labels keeps it: cohort_instance_requests_total's
				// instance is the backend that answered.
				if !slices.ContainsFunc(base, func(l label) bool { return l.name == x.name }) {
					base = append(base, x)
				}
			}
			addMetric(add, f.GetName(), f.GetType(), m, base)
		}
	}
	return out
}

// addMetric adds one metric's samples as a scrape of the text format
// would store them.
func addMetric(add func(string, []label, float64, ...label), name string, typ dto.MetricType, m *dto.Metric, base []label) {
	switch typ {
	case dto.MetricType_COUNTER:
		add(name, base, m.GetCounter().GetValue())
	case dto.MetricType_GAUGE:
		add(name, base, m.GetGauge().GetValue())
	case dto.MetricType_UNTYPED:
		add(name, base, m.GetUntyped().GetValue())
	case dto.MetricType_SUMMARY:
		s := m.GetSummary()
		for _, q := range s.GetQuantile() {
			add(name, base, q.GetValue(), label{"quantile", formatFloat(q.GetQuantile())})
		}
		add(name+"_sum", base, s.GetSampleSum())
		add(name+"_count", base, float64(s.GetSampleCount()))
	case dto.MetricType_HISTOGRAM, dto.MetricType_GAUGE_HISTOGRAM:
		h := m.GetHistogram()
		inf := false
		for _, b := range h.GetBucket() {
			inf = inf || math.IsInf(b.GetUpperBound(), 1)
			add(name+"_bucket", base, float64(b.GetCumulativeCount()), label{"le", formatFloat(b.GetUpperBound())})
		}
		if !inf {
			add(name+"_bucket", base, float64(h.GetSampleCount()), label{"le", "+Inf"})
		}
		add(name+"_sum", base, h.GetSampleSum())
		add(name+"_count", base, float64(h.GetSampleCount()))
	}
}

// formatFloat writes a bound as the text exposition format does, so that
// le and quantile labels are the strings a scrape stores.
func formatFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "+Inf"
	case math.IsInf(f, -1):
		return "-Inf"
	case math.IsNaN(f):
		return "NaN"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}
