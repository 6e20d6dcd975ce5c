package capacity

import (
	"testing"
	"time"

	"github.com/cohort-dev/cohort/metrics"
	"github.com/cohort-dev/cohort/metrics/results"
)

var testSeries = []metrics.SeriesInfo{{Name: "login", Method: "POST", Group: "login"}, {Name: "list", Method: "GET", Group: "mix"}}

var legend = &metrics.Legend{Series: testSeries, WarmTouch: -1}

// snapshot is what the engine hands the search after the drain at sec.
func snapshot(sec int, vus, warm *metrics.Aggregate, loggedIn, held int) metrics.Snapshot {
	return metrics.Snapshot{Elapsed: time.Duration(sec) * time.Second, Interval: vus, Warm: warm,
		LoggedIn: loggedIn, WarmHeld: held, Legend: legend}
}

func TestCapacitySearchSteps(t *testing.T) {
	th, err := results.ParseThreshold("http_req_duration: p(95)<100")
	if err != nil {
		t.Fatal(err)
	}
	plan := Plan{Vary: "vus", Start: 10, Step: 10, Max: 60, StepLen: 5 * time.Second, Settle: time.Second,
		Interval: time.Second, Thresholds: []results.Threshold{th}}
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
		more = s.Observe(snapshot(sec, a, nil, int(level), 0))
		if sec > 100 {
			t.Fatal("the search did not end")
		}
	}
	c := s.Finish()
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
		Interval: time.Second}
	s := New(plan)
	sec := 0
	for more := true; more; {
		sec++
		a := metrics.NewAggregate(len(testSeries))
		a.Add(&metrics.Sample{Kind: metrics.KindRequest, Series: 1, Status: 200, Duration: time.Millisecond})
		more = s.Observe(snapshot(sec, a, nil, 1, int(s.Level())))
	}
	c := s.Finish()
	if sec != 4 || c.LastPassing != 200 || c.FirstFailing != 0 || c.Knee != 200 || c.Steps[1].Warm != 200 {
		t.Fatalf("after %d s: %+v", sec, c)
	}
}

// runSearch drives a search second by second: at each, interval says what
// the VUs did and what the warm population did, and how many of each were
// in, for the level wanted then. It returns the outcome.
func runSearch(t *testing.T, plan Plan, interval func(level float64, sec int) (vus, warm *metrics.Aggregate, in, held int)) results.Capacity {
	t.Helper()
	s := New(plan)
	for sec, more := 1, true; more; sec++ {
		a, w, in, held := interval(s.Level(), sec)
		more = s.Observe(snapshot(sec, a, w, in, held))
		if sec > 1000 {
			t.Fatal("the search did not end")
		}
	}
	return s.Finish()
}

func requests(n int, d time.Duration) *metrics.Aggregate {
	a := metrics.NewAggregate(len(testSeries))
	for range n {
		a.Add(&metrics.Sample{Kind: metrics.KindRequest, Series: 1, Status: 200, Duration: d})
	}
	return a
}

// TestLevelNotHeld: a store that refuses sessions past 180 (a 500 to each
// login past it) holds 180 warm sessions whatever the level; a step above
// it fails on the level alone, its thresholds all passing, and says why.
func TestLevelNotHeld(t *testing.T) {
	th, _ := results.ParseThreshold("warm_sessions_lost: count<1")
	plan := Plan{Vary: "warm_sessions", Start: 120, Step: 60, Max: 300, StepLen: 3 * time.Second, Settle: time.Second,
		Interval: time.Second, VUs: 2, Thresholds: []results.Threshold{th}}
	c := runSearch(t, plan, func(level float64, sec int) (*metrics.Aggregate, *metrics.Aggregate, int, int) {
		w := metrics.NewAggregate(len(testSeries))
		held := min(int(level), 180)
		for range int(level) - held { // the refused logins of this second
			w.Add(&metrics.Sample{Kind: metrics.KindRequest, Series: 0, Status: 500, Flags: metrics.Failed, Reason: metrics.ReasonStatus})
			w.Add(&metrics.Sample{Kind: metrics.KindLogin, Flags: metrics.Failed})
		}
		return requests(2, time.Millisecond), w, 2, held
	})
	if c.LastPassing != 180 || c.FirstFailing != 240 || len(c.Steps) != 3 {
		t.Fatalf("last passing %v, first failing %v, %d steps; want 180 and 240", c.LastPassing, c.FirstFailing, len(c.Steps))
	}
	st := c.Steps[2]
	// 3 s at 240: 60 refused logins a second.
	want := "level not held: 180 of 240 warm sessions held, 180 logins failed: 500"
	if st.Passed || st.Held || st.Reason != want || !st.Thresholds[0].OK || st.WarmLoginFailures != 180 || st.LeastWarm != 180 || st.WarmWanted != 240 {
		t.Fatalf("step %+v\nwant it failed: %q", st, want)
	}
	if !c.Steps[1].Held || c.Steps[1].Reason != "" {
		t.Fatalf("the step at 180 held: %+v", c.Steps[1])
	}
}

// TestStepCountsItsLogins: the VUs a step adds log in during its settling
// time; the step counts them (and its failed logins), while its latency
// and thresholds come from the judged part only.
func TestStepCountsItsLogins(t *testing.T) {
	plan := Plan{Vary: "vus", Start: 2, Step: 2, Max: 4, StepLen: 3 * time.Second, Settle: time.Second,
		Interval: time.Second}
	c := runSearch(t, plan, func(level float64, sec int) (*metrics.Aggregate, *metrics.Aggregate, int, int) {
		a := requests(int(level), time.Millisecond)
		if sec%3 == 1 { // the first second of a step: its new VUs log in, one fails first
			for range 2 {
				a.Add(&metrics.Sample{Kind: metrics.KindLogin})
			}
			a.Add(&metrics.Sample{Kind: metrics.KindLogin, Flags: metrics.Failed})
		}
		return a, nil, int(level), 0
	})
	for i, st := range c.Steps {
		if st.Logins != 2 || st.LoginFailures != 1 || st.Requests != 2*int64(st.Level) || !st.Held || st.VUsWanted != int(st.Level) {
			t.Errorf("step %d: %d logins (%d failed), %d requests, held %v: want 2 (1), %d, true", i, st.Logins, st.LoginFailures,
				st.Requests, st.Held, 2*int64(st.Level))
		}
	}
}

// TestKneeIgnoresOneNoisyStep: one step's p95 jumps (a GC pause, a noisy
// neighbour) and the next ones are back to normal: the knee is not put
// before it. Two steps in a row over the limit do end it.
func TestKneeIgnoresOneNoisyStep(t *testing.T) {
	cases := []struct {
		p95  []time.Duration // by level 1, 2, ...
		knee float64
	}{
		{[]time.Duration{10, 11, 30, 10, 12, 11}, 6}, // one noisy step
		{[]time.Duration{10, 11, 12, 30, 35, 40}, 3}, // a real climb
		{[]time.Duration{30, 10, 11, 12, 13, 14}, 6}, // a noisy first step does not set the baseline
		{[]time.Duration{10, 11, 12, 13, 14, 50}, 5}, // the last step alone over
	}
	for _, c := range cases {
		plan := Plan{Vary: "vus", Start: 1, Step: 1, Max: float64(len(c.p95)), StepLen: time.Second, Interval: time.Second}
		got := runSearch(t, plan, func(level float64, sec int) (*metrics.Aggregate, *metrics.Aggregate, int, int) {
			return requests(10, c.p95[int(level)-1]*time.Millisecond), nil, int(level), 0
		})
		if got.Knee != c.knee || got.LastPassing != float64(len(c.p95)) {
			t.Errorf("p95 by step %v: knee %v, last passing %v; want knee %v", c.p95, got.Knee, got.LastPassing, c.knee)
		}
	}
}
