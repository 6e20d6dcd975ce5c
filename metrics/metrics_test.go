package metrics

import (
	"sync"
	"testing"
	"time"
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
