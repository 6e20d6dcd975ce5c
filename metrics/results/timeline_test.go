package results

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/cohort-dev/cohort/metrics"
)

// drain is one snapshot's worth of session events: the VUs' and the warm
// population's, and the warm sessions held after it.
type drain struct {
	at                               time.Duration
	lost, relogins                   int
	warmLost, warmRelogins, warmHeld int
}

func (d drain) snapshot() metrics.Snapshot {
	a, w := metrics.NewAggregate(len(testSeries)), metrics.NewAggregate(len(testSeries))
	for range d.lost {
		a.Add(&metrics.Sample{Kind: metrics.KindSessionLost})
	}
	for range d.relogins {
		a.Add(&metrics.Sample{Kind: metrics.KindRelogin})
	}
	for range d.warmLost {
		w.Add(&metrics.Sample{Kind: metrics.KindSessionLost})
	}
	for range d.warmRelogins {
		w.Add(&metrics.Sample{Kind: metrics.KindRelogin})
	}
	a.Add(&metrics.Sample{Kind: metrics.KindRequest, Series: 1, Status: 200, Duration: time.Millisecond})
	return metrics.Snapshot{Elapsed: d.at, VUs: 2, LoggedIn: 2, WarmHeld: d.warmHeld, Interval: a, Warm: w}
}

// sessionFigures are the session fields of a point, to compare whole.
type sessionFigures struct {
	T                              float64
	Lost, Relogins                 int64
	WarmHeld                       int
	WarmLost, WarmRelogins, Logins int64
}

func figuresOf(p Point) sessionFigures {
	return sessionFigures{T: p.T, Lost: p.SessionLost, Relogins: p.Relogins, WarmHeld: p.WarmHeld,
		WarmLost: p.WarmLost, WarmRelogins: p.WarmRelogins, Logins: p.Logins}
}

func TestTimelineRecordsSessionsLostAndWarmHeld(t *testing.T) {
	cases := []struct {
		name    string
		planned time.Duration
		drains  []drain
		end     time.Duration
		want    []sessionFigures
	}{
		{
			name:    "a point a second",
			planned: 3 * time.Second,
			drains: []drain{
				{at: time.Second, warmHeld: 10},
				{at: 2 * time.Second, lost: 2, relogins: 1, warmLost: 3, warmRelogins: 3, warmHeld: 7},
				{at: 3 * time.Second, relogins: 1, warmHeld: 10},
			},
			end: 3 * time.Second,
			want: []sessionFigures{
				{T: 1, WarmHeld: 10},
				{T: 2, Lost: 2, Relogins: 1, WarmHeld: 7, WarmLost: 3, WarmRelogins: 3},
				{T: 3, Relogins: 1, WarmHeld: 10},
			},
		},
		{
			// Over 600 s a point spans two drains: its counts are both
			// drains' and its held sessions the second's.
			name:    "two drains a point",
			planned: 1200 * time.Second,
			drains: []drain{
				{at: time.Second, lost: 1, warmLost: 4, warmHeld: 6},
				{at: 2 * time.Second, relogins: 1, warmRelogins: 4, warmHeld: 10},
				{at: 3 * time.Second, warmLost: 1, warmHeld: 9},
			},
			end: 3500 * time.Millisecond,
			want: []sessionFigures{
				{T: 2, Lost: 1, Relogins: 1, WarmHeld: 10, WarmLost: 4, WarmRelogins: 4},
				{T: 3.5, WarmHeld: 9, WarmLost: 1},
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr := NewTimelineRecorder(testSeries, c.planned)
			for _, d := range c.drains {
				tr.Add(d.snapshot())
			}
			tl := tr.Finish(c.end, 0, 0)
			var got []sessionFigures
			for _, p := range tl.Points {
				got = append(got, figuresOf(p))
			}
			if len(got) != len(c.want) {
				t.Fatalf("points %+v, want %+v", got, c.want)
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Errorf("point %d: %+v, want %+v", i, got[i], c.want[i])
				}
			}
		})
	}
}

func TestTimelineSessionFieldsInJSON(t *testing.T) {
	b, err := json.Marshal(Point{T: 1, Relogins: 2, WarmHeld: 30, WarmWanted: 40, WarmLost: 4, WarmRelogins: 5})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"relogins":2`, `"warm_held":30`, `"warm_wanted":40`, `"warm_sessions_lost":4`, `"warm_relogins":5`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("%s lacks %s", b, want)
		}
	}
	// Absent when 0, so that a run without a warm population writes the
	// points it wrote before, and an older file reads as having none.
	b, _ = json.Marshal(Point{T: 1})
	for _, absent := range []string{"relogins", "warm_held", "warm_sessions_lost", "warm_relogins"} {
		if strings.Contains(string(b), `"`+absent+`"`) {
			t.Errorf("%s has %s at 0", b, absent)
		}
	}
	var old Point
	if err := json.Unmarshal([]byte(`{"t":1,"vus":2,"logged_in":2,"requests":5,"failures":0,"iterations":1,"dropped":0,"logins":2,"sessions_lost":1}`), &old); err != nil {
		t.Fatal(err)
	}
	if old.SessionLost != 1 || old.WarmHeld != 0 || old.Relogins != 0 {
		t.Fatalf("an older point read as %+v", old)
	}
}

func TestMergeTimelinesAddsSessionFigures(t *testing.T) {
	segment := func(held []int, lost, relog, warmLost, warmRelog int) *Result {
		tr := NewTimelineRecorder(testSeries, 2*time.Second)
		for i, h := range held {
			tr.Add(drain{at: time.Duration(i+1) * time.Second, lost: lost, relogins: relog,
				warmLost: warmLost, warmRelogins: warmRelog, warmHeld: h}.snapshot())
		}
		tl := tr.Finish(time.Duration(len(held))*time.Second, 0, 0)
		return &Result{Timeline: &tl}
	}
	// Each segment holds its share of the warm population: held sessions
	// add up, as the VUs' logged-in sessions do, and so do the counts.
	m, err := mergeTimelines([]*Result{segment([]int{10, 12}, 1, 1, 2, 2), segment([]int{5, 4}, 0, 3, 1, 0)})
	if err != nil {
		t.Fatal(err)
	}
	want := []sessionFigures{
		{T: 1, Lost: 1, Relogins: 4, WarmHeld: 15, WarmLost: 3, WarmRelogins: 2},
		{T: 2, Lost: 1, Relogins: 4, WarmHeld: 16, WarmLost: 3, WarmRelogins: 2},
	}
	if len(m.Points) != len(want) {
		t.Fatalf("%d points, want %d", len(m.Points), len(want))
	}
	for i, p := range m.Points {
		if got := figuresOf(p); got != want[i] {
			t.Errorf("merged point %d: %+v, want %+v", i, got, want[i])
		}
		if p.LoggedIn != 4 {
			t.Errorf("merged point %d: %d logged in, want 2 + 2", i, p.LoggedIn)
		}
	}
}
