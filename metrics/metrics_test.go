package metrics

import (
	"fmt"
	"math"
	"reflect"
	"sync"
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

var testSeries = []SeriesInfo{{Name: "login", Method: "POST", Group: "login"}, {Name: "list", Method: "GET", Group: "mix"}}

func TestRecorderFlushesIntoCollector(t *testing.T) {
	c := NewCollector(testSeries, 3)
	var wg sync.WaitGroup
	for vu := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := c.NewRecorder()
			for i := range 1000 {
				s := Sample{Kind: KindRequest, Series: 1, Status: 200, Duration: time.Duration(i+1) * time.Millisecond}
				if i%10 == 0 {
					s.Status, s.Flags, s.Reason = 503, Failed, ReasonStatus
				}
				if i%2 == 0 {
					s.Flags |= Reused
				}
				r.Add(s)
			}
			r.Add(Sample{Kind: KindLogin, Duration: time.Duration(vu+1) * time.Millisecond})
			r.Flush()
		}()
	}
	wg.Wait()
	a := NewAggregate(len(testSeries))
	c.Drain(a)
	s := a.Series[1]
	if s.Count != 8000 || s.Failures != 800 || s.Reasons[ReasonStatus] != 800 || s.Reused != 4000 || s.New != 4000 {
		t.Fatalf("series %+v", s)
	}
	if st := s.Status(); st[200] != 7200 || st[503] != 800 {
		t.Fatalf("statuses %v", st)
	}
	if a.Sessions.Logins != 8 || a.Login.TotalCount() != 8 {
		t.Fatalf("logins %d", a.Sessions.Logins)
	}
	// A second drain finds nothing: the shards were emptied.
	b := NewAggregate(len(testSeries))
	c.Drain(b)
	if n, _ := b.Requests(); n != 0 {
		t.Fatalf("second drain found %d requests", n)
	}
}

func TestMergeIsExact(t *testing.T) {
	parts := []*Aggregate{NewAggregate(2), NewAggregate(2)}
	whole := NewAggregate(2)
	for i := range 2000 {
		s := Sample{Kind: KindRequest, Series: 1, Status: 200, Duration: time.Duration(i*37%1999+1) * 100 * time.Microsecond}
		parts[i%2].Add(&s)
		whole.Add(&s)
	}
	merged := NewAggregate(2)
	merged.Merge(parts[0])
	merged.Merge(parts[1])
	a, b := merged.Series[1].Hists[HistLatency], whole.Series[1].Hists[HistLatency]
	for _, q := range []float64{50, 90, 99, 99.9, 100} {
		if a.ValueAtQuantile(q) != b.ValueAtQuantile(q) {
			t.Fatalf("p%v: merged %d, whole %d", q, a.ValueAtQuantile(q), b.ValueAtQuantile(q))
		}
	}
}

// TestKeepRaw: a collector that keeps requests hands each over with its
// end time, through the shards and an interval that keeps them too, and
// only requests; a run's total, which does not keep them, holds none, and
// a collector that does not keep them makes recorders without end times.
func TestKeepRaw(t *testing.T) {
	c := NewCollector(testSeries, 2)
	c.KeepRaw()
	recs := []*Recorder{c.NewRecorder(), c.NewRecorder()}
	for i := range 21 {
		s := Sample{Kind: KindRequest, Series: uint16(i % 2), Status: 200, Duration: time.Duration(i) * time.Millisecond}
		recs[i%2].AddEnded(s, int64(1000+i))
		recs[i%2].Add(Sample{Kind: KindIteration})
	}
	for _, r := range recs {
		r.Flush()
	}
	interval, total := NewAggregate(2), NewAggregate(2)
	interval.KeepRaw()
	c.Drain(interval)
	total.Merge(interval)
	if len(interval.Raw) != 21 || len(total.Raw) != 0 || interval.Iterations != 21 {
		t.Fatalf("%d raw requests in the interval, %d in the total, %d iterations", len(interval.Raw), len(total.Raw), interval.Iterations)
	}
	seen := map[int64]bool{}
	for _, rq := range interval.Raw {
		i := rq.End - 1000
		if rq.Kind != KindRequest || rq.Duration != time.Duration(i)*time.Millisecond || rq.Series != uint16(i%2) || seen[rq.End] {
			t.Fatalf("raw request %+v: not the one that ended at %d", rq, rq.End)
		}
		seen[rq.End] = true
	}
	interval.Reset()
	c.Drain(interval)
	if len(interval.Raw) != 0 {
		t.Fatalf("%d raw requests after a reset and an empty drain", len(interval.Raw))
	}
	if plain := NewCollector(testSeries, 1).NewRecorder(); plain.ends != nil {
		t.Fatal("a collector that keeps no requests made a recorder with end times")
	}
}

// BenchmarkRecordRaw is BenchmarkRecord when the collector keeps each
// request (--samples-raw): the flush copies the samples out too.
func BenchmarkRecordRaw(b *testing.B) {
	c := NewCollector(testSeries, 1)
	c.KeepRaw()
	r := c.NewRecorder()
	into := NewAggregate(len(testSeries))
	into.KeepRaw()
	s := Sample{Kind: KindRequest, Series: 1, Status: 200, Duration: 3 * time.Millisecond, TTFB: time.Millisecond, Flags: Reused}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		r.AddEnded(s, 1)
		if n++; n%100_000 == 0 { // an interval's worth, drained as the engine does
			c.Drain(into)
			into.Reset()
		}
	}
}

func BenchmarkRecord(b *testing.B) {
	c := NewCollector(testSeries, 1)
	r := c.NewRecorder()
	s := Sample{Kind: KindRequest, Series: 1, Status: 200, Duration: 3 * time.Millisecond, TTFB: time.Millisecond, Flags: Reused}
	b.ReportAllocs()
	for b.Loop() {
		r.Add(s)
	}
}

// BenchmarkDrain10kVUs is the periodic merge with 10,000 VUs each having
// flushed a sample.
func BenchmarkDrain10kVUs(b *testing.B) {
	c := NewCollector(testSeries, 2)
	recs := make([]*Recorder, 10_000)
	for i := range recs {
		recs[i] = c.NewRecorder()
	}
	into := NewAggregate(len(testSeries))
	b.ReportAllocs()
	for b.Loop() {
		for _, r := range recs {
			r.Add(Sample{Kind: KindRequest, Series: 1, Status: 200, Duration: time.Millisecond})
			r.Flush()
		}
		c.Drain(into)
	}
}

func near(got, want float64) bool { return math.Abs(got-want) <= want/1000 }

// TestResetForgetsEverything: an aggregate reset after samples of every
// kind holds no count at all, so that no figure is carried from one
// interval into the next (connections.protocols once was).
func TestResetForgetsEverything(t *testing.T) {
	a := NewAggregate(2)
	for k := KindRequest; k <= KindCookiesDropped; k++ {
		for _, f := range []Flags{0, Failed | Reused | HTTP2 | FirstAfterLogin} {
			s := Sample{Kind: k, Series: 1, Status: 200, Flags: f, Instance: 1, Duration: time.Millisecond, Connect: 5}
			a.Add(&s)
		}
	}
	a.Reset()
	var walk func(path string, v reflect.Value)
	walk = func(path string, v reflect.Value) {
		switch v.Kind() {
		case reflect.Int64, reflect.Int:
			if v.Int() != 0 {
				t.Errorf("%s = %d after Reset", path, v.Int())
			}
		case reflect.Struct:
			for i := range v.NumField() {
				if v.Type().Field(i).IsExported() {
					walk(path+"."+v.Type().Field(i).Name, v.Field(i))
				}
			}
		case reflect.Slice, reflect.Array:
			for i := range v.Len() {
				walk(fmt.Sprintf("%s[%d]", path, i), v.Index(i))
			}
		case reflect.Pointer:
			if h, ok := v.Interface().(*hdr.Histogram); ok && h != nil && h.TotalCount() != 0 {
				t.Errorf("%s holds %d values after Reset", path, h.TotalCount())
			}
		}
	}
	walk("Aggregate", reflect.ValueOf(a).Elem())
}
