package prom

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/cohort-dev/cohort/metrics"
)

// written is one decoded sample of a WriteRequest.
type written struct {
	labels map[string]string
	value  float64
	ms     int64
}

// key names a series as name{label="value",...}, labels sorted, with or
// without the ones only remote write adds.
func (w written) key(skip ...string) string {
	var names []string
	for n := range w.labels {
		if n != "__name__" && !slices.Contains(skip, n) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	var b strings.Builder
	b.WriteString(w.labels["__name__"] + "{")
	for i, n := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s=%q", n, w.labels[n])
	}
	b.WriteByte('}')
	return b.String()
}

// receiver is a remote-write endpoint that decodes what it is sent with
// protowire alone, as an independent reader of the wire format.
type receiver struct {
	mu      sync.Mutex
	writes  [][]written
	headers []http.Header
	status  int
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	raw, err := snappy.Decode(nil, body)
	if err != nil {
		http.Error(w, "not snappy: "+err.Error(), http.StatusBadRequest)
		return
	}
	samples, err := decodeWriteRequest(raw)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.writes = append(rc.writes, samples)
	rc.headers = append(rc.headers, r.Header.Clone())
	if rc.status != 0 {
		http.Error(w, "out of bounds", rc.status)
	}
}

// fields calls each for every field of a protobuf message.
func fields(b []byte, each func(num protowire.Number, typ protowire.Type, v []byte, u uint64) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		var v []byte
		var u uint64
		switch typ {
		case protowire.BytesType:
			v, n = protowire.ConsumeBytes(b)
		case protowire.VarintType:
			u, n = protowire.ConsumeVarint(b)
		case protowire.Fixed64Type:
			u, n = protowire.ConsumeFixed64(b)
		default:
			return fmt.Errorf("field %d: unexpected wire type %d", num, typ)
		}
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		if err := each(num, typ, v, u); err != nil {
			return err
		}
	}
	return nil
}

func decodeWriteRequest(b []byte) ([]written, error) {
	var out []written
	err := fields(b, func(num protowire.Number, _ protowire.Type, ts []byte, _ uint64) error {
		if num != 1 {
			return fmt.Errorf("WriteRequest field %d", num)
		}
		w := written{labels: map[string]string{}}
		var names []string
		nsamples := 0
		err := fields(ts, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64) error {
			switch num {
			case 1:
				var name, value string
				fields(v, func(num protowire.Number, _ protowire.Type, s []byte, _ uint64) error {
					if num == 1 {
						name = string(s)
					} else {
						value = string(s)
					}
					return nil
				})
				names = append(names, name)
				w.labels[name] = value
			case 2:
				nsamples++
				return fields(v, func(num protowire.Number, _ protowire.Type, _ []byte, u uint64) error {
					if num == 1 {
						w.value = math.Float64frombits(u)
					} else {
						w.ms = int64(u)
					}
					return nil
				})
			}
			return nil
		})
		if err != nil {
			return err
		}
		if !slices.IsSorted(names) || len(names) != len(w.labels) {
			return fmt.Errorf("labels %v: not sorted or repeated", names)
		}
		if nsamples != 1 {
			return fmt.Errorf("%d samples in a series", nsamples)
		}
		out = append(out, w)
		return nil
	})
	return out, err
}

// TestRemoteWriteIsWhatAScrapeStores writes a run's exporter to a
// receiver and compares every cohort_* sample with the text a scrape of
// /metrics reads at the same moment: same names, labels and values.
func TestRemoteWriteIsWhatAScrapeStores(t *testing.T) {
	e := New(series, "t1", "2/3")
	e.Observe(metrics.Snapshot{VUs: 7, LoggedIn: 6, Interval: interval(), Total: &metrics.Aggregate{Opened: 10}})
	e.instReqs.WithLabelValues("node-a", "ok").Add(3) // a label instance of its own
	rc := &receiver{}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	w, err := NewRemoteWriter(srv.URL+"/api/v1/write", e, "t1", "2/3")
	if err != nil {
		t.Fatal(err)
	}
	at := time.UnixMilli(1_700_000_000_123)
	w.now = func() time.Time { return at }
	if err := w.Write(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The final write can come within the millisecond of the last: its
	// stamp is still later, or the receiver would drop it as a duplicate.
	if err := w.Write(context.Background()); err != nil {
		t.Fatal(err)
	}
	h := rc.headers[0]
	if h.Get("Content-Encoding") != "snappy" || h.Get("Content-Type") != "application/x-protobuf" || h.Get("X-Prometheus-Remote-Write-Version") != "0.1.0" {
		t.Fatalf("headers %v", h)
	}
	if len(rc.writes) != 2 || rc.writes[0][0].ms != at.UnixMilli() || rc.writes[1][0].ms != at.UnixMilli()+1 {
		t.Fatalf("%d writes, stamps %d then %d", len(rc.writes), rc.writes[0][0].ms, rc.writes[1][0].ms)
	}
	got := map[string]float64{}
	for _, s := range rc.writes[0] {
		own := s.labels["__name__"] == "cohort_instance_requests_total"
		if s.labels["job"] != "cohort" || (s.labels["instance"] != "t1-2of3") != own {
			t.Fatalf("%s: job %q, instance %q", s.key(), s.labels["job"], s.labels["instance"])
		}
		if own {
			got[s.key("job")] = s.value
		} else {
			got[s.key("job", "instance")] = s.value
		}
	}
	if v := got[`cohort_instance_requests_total{instance="node-a",result="ok",segment="2/3",testid="t1"}`]; v != 3 {
		t.Errorf("the backend's own instance label: written %v, want 3", v)
	}
	scraped := scrapeText(t, e)
	if len(scraped) < 100 {
		t.Fatalf("only %d cohort samples scraped", len(scraped))
	}
	for k, v := range scraped {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s: scraped %v, written %v (present: %v)", k, v, g, ok)
		}
	}
	for k := range got {
		if _, ok := scraped[k]; !ok && strings.HasPrefix(k, "cohort_") {
			t.Errorf("%s: written, not in a scrape", k)
		}
	}
	if v := got[`cohort_http_requests_total{method="GET",name="list",reused="true",scenario="",segment="2/3",status="200",testid="t1"}`]; v != 90 {
		t.Errorf("90 reused 200s of list: written %v", v)
	}
}

var textSample = regexp.MustCompile(`^(\w+)\{(.*)\} (\S+)$`)
var textLabel = regexp.MustCompile(`(\w+)="((?:[^"\\]|\\.)*)"`)

// scrapeText reads e's /metrics text, cohort_* samples only (the Go
// runtime's change between two reads), keyed as written.key does.
func scrapeText(t *testing.T, e *Exporter) map[string]float64 {
	t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/metrics", nil)
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	promhttp.HandlerFor(e.reg, promhttp.HandlerOpts{}).ServeHTTP(rec, req)
	out := map[string]float64{}
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		m := textSample.FindStringSubmatch(line)
		if m == nil || !strings.HasPrefix(m[1], "cohort_") {
			continue
		}
		s := written{labels: map[string]string{"__name__": m[1]}}
		for _, l := range textLabel.FindAllStringSubmatch(m[2], -1) {
			v, err := strconv.Unquote(`"` + l[2] + `"`)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			s.labels[l[1]] = v
		}
		v, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		out[s.key()] = v
	}
	return out
}

func TestRemoteWriteErrors(t *testing.T) {
	e := New(series, "t1", "1/1")
	rc := &receiver{status: http.StatusBadRequest}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	secretURL := strings.Replace(srv.URL, "http://", "http://writer:s3cret@", 1) + "/api/v1/write"
	w, err := NewRemoteWriter(secretURL, e, "t1", "1/1")
	if err != nil {
		t.Fatal(err)
	}
	err = w.Write(context.Background())
	if err == nil || !strings.Contains(err.Error(), "400 Bad Request: out of bounds") || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("error %v: want the status and the receiver's words, no password", err)
	}
	if user, pass, ok := basicAuth(rc.headers[0]); !ok || user != "writer" || pass != "s3cret" {
		t.Fatalf("credentials in the URL did not go as Basic authentication: %v", rc.headers[0])
	}
	for _, bad := range []string{"", "127.0.0.1:9090/api/v1/write", "ftp://h/x", "http://u:s3cret@/x", "writer:s3cret@127.0.0.1:9090/api/v1/write"} {
		err := CheckRemoteWrite(bad)
		if err == nil || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func basicAuth(h http.Header) (user, pass string, ok bool) {
	r := &http.Request{Header: h}
	return r.BasicAuth()
}
