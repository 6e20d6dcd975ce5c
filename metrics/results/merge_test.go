package results

import (
	"github.com/cohort-dev/cohort/metrics"

	"strings"
	"testing"
	"time"
)

func partResult(seg string, seed uint64, n int) (*Result, *metrics.Aggregate) {
	a := metrics.NewAggregate(len(testSeries))
	for i := range n {
		d := time.Duration((int(seed)*7919+i*104729)%50000+100) * time.Microsecond
		a.Add(&metrics.Sample{Kind: metrics.KindRequest, Series: 1, Status: 200, Duration: d, Flags: metrics.Reused})
	}
	a.Add(&metrics.Sample{Kind: metrics.KindLogin, Duration: time.Duration(seed) * time.Millisecond})
	a.Add(&metrics.Sample{Kind: metrics.KindCheck, Series: 0})
	drop := metrics.CookiesDropped(metrics.DropEvicted, int(seed))
	a.Add(&drop)
	a.Add(&metrics.Sample{Kind: metrics.KindJourney, Duration: time.Duration(seed) * time.Second})
	a.Add(&metrics.Sample{Kind: metrics.KindJourney, Duration: time.Second, Flags: metrics.Failed, Reason: metrics.ReasonStatus})
	a.Iterations = int64(n)
	r := NewResult(Meta{Profile: "p", Segment: seg, Duration: 10 * time.Second, VUsMax: 2, Checks: []string{"c"}, Journeys: []string{"checkout"}}, testSeries, a)
	r.Thresholds = []ThresholdResult{{Expr: "http_reqs: count>0"}}
	return r, a
}

func TestMergeIsExactAndChecked(t *testing.T) {
	var parts []*Result
	whole := metrics.NewAggregate(len(testSeries))
	for i, seg := range []string{"1/3", "2/3", "3/3"} {
		r, a := partResult(seg, uint64(i+1), 500+i*37)
		parts = append(parts, r)
		whole.Merge(a)
	}
	m, err := Merge([]string{"a", "b", "c"}, parts, false)
	if err != nil {
		t.Fatal(err)
	}
	want := NewResult(Meta{Profile: "p", Duration: 10 * time.Second}, testSeries, whole)
	if m.Totals.Requests != want.Totals.Requests || m.Totals.Iterations != want.Totals.Iterations {
		t.Fatalf("totals %+v, want %+v", m.Totals, want.Totals)
	}
	if m.Latency != want.Latency {
		t.Fatalf("merged latency %+v\nfrom all samples %+v", m.Latency, want.Latency)
	}
	if j := m.Journeys; len(j) != 1 || j[0].Name != "checkout" || j[0].Count != 6 || j[0].Failed != 3 || j[0].Reasons["status"] != 3 || j[0].Duration.Max < 2999 {
		t.Fatalf("merged journeys %+v: want checkout, 6 run, 3 failed for status, the longest 3 s", j)
	}
	if m.Sessions.Logins != 3 || m.Sessions.CookiesDropped["evicted"] != 1+2+3 || m.Checks[0].Passes != 3 || m.VUsMax != 6 || len(m.Thresholds) != 1 || !m.Thresholds[0].OK {
		t.Fatalf("sessions %+v checks %+v vus %d thresholds %+v", m.Sessions, m.Checks, m.VUsMax, m.Thresholds)
	}
	refusals := []struct {
		name  string
		parts []*Result
		want  string
	}{
		{"missing", parts[:2], "segments 3/3 are missing"},
		{"overlap", []*Result{parts[0], parts[0], parts[1], parts[2]}, "both hold segment 1/3"},
	}
	other, _ := partResult("3/3", 9, 10)
	other.Profile = "q"
	refusals = append(refusals, struct {
		name  string
		parts []*Result
		want  string
	}{"other profile", []*Result{parts[0], parts[1], other}, `profile "q"`})
	for _, c := range refusals {
		names := make([]string, len(c.parts))
		for i := range names {
			names[i] = "part" + string(rune('1'+i))
		}
		if _, err := Merge(names, c.parts, false); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
		if _, err := Merge(names, c.parts, true); err != nil {
			t.Errorf("%s with force: %v", c.name, err)
		}
	}
}

func TestMergeAddsWarmPopulations(t *testing.T) {
	var parts []*Result
	all := metrics.NewHistogram()
	for i, seg := range []string{"1/2", "2/2"} {
		r, _ := partResult(seg, uint64(i+1), 10)
		w := metrics.NewAggregate(len(testSeries))
		for j := range 100 + i {
			d := time.Duration(1000+j*37*(i+1)) * time.Microsecond
			w.Add(&metrics.Sample{Kind: metrics.KindRequest, Series: 1, Status: 200, Duration: d})
			metrics.RecordDuration(all, d)
		}
		w.Add(&metrics.Sample{Kind: metrics.KindLogin, Duration: time.Millisecond})
		w.Add(&metrics.Sample{Kind: metrics.KindSessionLost})
		r.SetWarm(50, 49-i, w, 1)
		parts = append(parts, r)
	}
	m, err := Merge([]string{"a", "b"}, parts, false)
	if err != nil {
		t.Fatal(err)
	}
	w := m.Warm
	if w == nil || w.Wanted != 100 || w.Held != 97 || m.Sessions.Warm != 97 || w.Touches != 201 || w.Logins != 2 || w.Lost != 2 {
		t.Fatalf("merged warm block %+v, sessions.warm %d", w, m.Sessions.Warm)
	}
	if w.Touch != LatencyOf(all) {
		t.Fatalf("merged touch latency %+v, from all samples %+v", w.Touch, LatencyOf(all))
	}
	if m.Totals.Requests != 20 {
		t.Fatalf("the warm touches leaked into the VUs' totals: %d requests", m.Totals.Requests)
	}
}

func TestMergeMatchesInstancesByName(t *testing.T) {
	var parts []*Result
	for i, order := range [][]string{{"a", "b"}, {"b", "a"}} {
		r, _ := partResult([]string{"1/2", "2/2"}[i], uint64(i+1), 4)
		a := metrics.NewAggregate(len(testSeries))
		for j := range order {
			for range 10 * (j + 1) { // the first instance met answers 10, the second 20
				a.Add(&metrics.Sample{Kind: metrics.KindRequest, Series: 1, Status: 200, Duration: time.Millisecond, Instance: uint8(j + 1)})
			}
		}
		a.Add(&metrics.Sample{Kind: metrics.KindMoved, Instance: 2})
		ir := NewResult(Meta{Profile: "p", Instances: order}, testSeries, a)
		r.Instances, r.Histograms["instance:a"], r.Histograms["instance:b"] = ir.Instances, ir.Histograms["instance:a"], ir.Histograms["instance:b"]
		r.Sessions.Moved = ir.Sessions.Moved
		parts = append(parts, r)
	}
	m, err := Merge([]string{"x", "y"}, parts, false)
	if err != nil {
		t.Fatal(err)
	}
	// a: 10 + 20, b: 20 + 10.
	if len(m.Instances) != 2 || m.Instances[0].Name != "a" || m.Instances[0].Requests != 30 ||
		m.Instances[1].Requests != 30 || m.Instances[0].Latency.Count != 30 || m.Sessions.Moved != 2 {
		t.Fatalf("merged instances %+v, moved %d", m.Instances, m.Sessions.Moved)
	}
}
