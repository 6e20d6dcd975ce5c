package capacity

import (
	"testing"
	"time"

	"github.com/cohort-dev/cohort/metrics"
)

var testSeries = []metrics.SeriesInfo{{Name: "login", Method: "POST", Group: "login"}, {Name: "list", Method: "GET", Group: "mix"}}

func TestCapacitySearchSteps(t *testing.T) {
	th, err := metrics.ParseThreshold("http_req_duration: p(95)<100")
	if err != nil {
		t.Fatal(err)
	}
	plan := Plan{Vary: "vus", Start: 10, Step: 10, Max: 60, StepLen: 5 * time.Second, Settle: time.Second,
		Interval: time.Second, Thresholds: []metrics.Threshold{th}, Series: testSeries}
	if got := plan.Levels(); len(got) != 6 || got[5] != 60 || plan.Duration() != 30*time.Second {
		t.Fatalf("levels %v, duration %v", got, plan.Duration())
	}
	// How the server answers at each level: fine, fine, slower, broken.
	latency := map[float64]time.Duration{10: 20 * time.Millisecond, 20: 25 * time.Millisecond,
		30: 60 * time.Millisecond, 40: 150 * time.Millisecond}
	s := New(plan)
	var seen []float64
	sec := 0
	for more := true; more; {
		sec++
		level := s.Level()
		if len(seen) == 0 || seen[len(seen)-1] != level {
			seen = append(seen, level)
		}
		a := metrics.NewAggregate(len(testSeries))
		for range int(level) { // one request per VU per second
			a.Add(&metrics.Sample{Kind: metrics.KindRequest, Series: 1, Status: 200, Duration: latency[level]})
		}
		more = s.Observe(time.Duration(sec)*time.Second, a, nil, int(level), 0)
		if sec > 100 {
			t.Fatal("the search did not end")
		}
	}
	c := s.Finish(0, 0)
	if sec != 20 || len(seen) != 4 || seen[3] != 40 {
		t.Fatalf("ended after %d s at levels %v: want 4 steps of 5 s", sec, seen)
	}
	if c.LastPassing != 30 || c.FirstFailing != 40 || c.Knee != 20 || len(c.Steps) != 4 {
		t.Fatalf("last passing %v, first failing %v, knee %v, %d steps", c.LastPassing, c.FirstFailing, c.Knee, len(c.Steps))
	}
	for i, st := range c.Steps {
		// 4 s judged (the first second settles): 4 intervals of level requests.
		if st.MeasuredS != 4 || st.Requests != 4*int64(st.Level) || st.RPS != st.Level || st.Passed != (i < 3) {
			t.Errorf("step %d: %+v", i, st)
		}
	}
	if v := c.Steps[3].Thresholds[0].Value; v < 149 || v > 151 {
		t.Errorf("the failing step's p95 is %v ms, want 150", v)
	}
}

func TestCapacitySearchWithoutFailure(t *testing.T) {
	plan := Plan{Vary: "warm_sessions", Start: 100, Step: 100, Max: 200, StepLen: 2 * time.Second,
		Interval: time.Second, Series: testSeries}
	s := New(plan)
	sec := 0
	for more := true; more; {
		sec++
		a := metrics.NewAggregate(len(testSeries))
		a.Add(&metrics.Sample{Kind: metrics.KindRequest, Series: 1, Status: 200, Duration: time.Millisecond})
		more = s.Observe(time.Duration(sec)*time.Second, a, nil, 1, int(s.Level()))
	}
	c := s.Finish(1, 200)
	if sec != 4 || c.LastPassing != 200 || c.FirstFailing != 0 || c.Knee != 200 || c.Steps[1].Warm != 200 {
		t.Fatalf("after %d s: %+v", sec, c)
	}
}
