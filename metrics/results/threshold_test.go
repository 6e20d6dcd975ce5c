package results

import (
	"github.com/cohort-dev/cohort/metrics"

	"math"
	"strings"
	"testing"
	"time"
)

func TestParseThreshold(t *testing.T) {
	good := []struct {
		src             string
		metric, agg, op string
		p, bound        float64
		tags            string
	}{
		{"http_req_duration: p(99)<500", "http_req_duration", "p", "<", 99, 500, ""},
		{"http_req_duration{name:list-orders}: p(99.9) <= 1e3", "http_req_duration", "p", "<=", 99.9, 1000, "name=list-orders"},
		{" http_req_failed : rate<0.01", "http_req_failed", "rate", "<", 0, 0.01, ""},
		{"sessions_lost: count==0", "sessions_lost", "count", "==", 0, 0, ""},
		{"http_req_duration{name:a, reused:false}: avg>1", "http_req_duration", "avg", ">", 0, 1, "name=a reused=false"},
		{"checks{name:has user}: rate>=0.99", "checks", "rate", ">=", 0, 0.99, "name=has user"},
	}
	for _, c := range good {
		th, err := ParseThreshold(c.src)
		if err != nil {
			t.Errorf("%q: %v", c.src, err)
			continue
		}
		var tags []string
		for _, k := range tagNames {
			if v, ok := th.Tags[k]; ok {
				tags = append(tags, k+"="+v)
			}
		}
		if th.Metric != c.metric || th.Agg != c.agg || th.Op != c.op || th.P != c.p || th.Bound != c.bound || strings.Join(tags, " ") != c.tags {
			t.Errorf("%q parsed as %+v", c.src, th)
		}
	}
	bad := []struct{ src, why string }{
		{"http_req_duration p(99)<500", "want METRIC{tag:value}"},
		{"http_req_latency: p(99)<500", `unknown metric "http_req_latency"`},
		{"http_req_duration{url:/x}: p(99)<500", `tag "url:/x"`},
		{"http_req_duration: p(101)<500", "between 0 and 100"},
		{"http_req_failed: p(99)<0.1", "http_req_failed takes rate, not p(99)"},
		{"http_req_duration: rate<1", "takes p, avg, min, max, med, count"},
		{"http_req_duration: p(99)<fast", "want METRIC"},
	}
	for _, c := range bad {
		if _, err := ParseThreshold(c.src); err == nil || !strings.Contains(err.Error(), c.why) {
			t.Errorf("%q: error %v, want %q", c.src, err, c.why)
		}
	}
}

func TestThresholdEval(t *testing.T) {
	a := metrics.NewAggregate(len(testSeries))
	for i := range 100 {
		s := metrics.Sample{Kind: metrics.KindRequest, Series: 1, Status: 200, Duration: time.Duration(i+1) * time.Millisecond, Flags: metrics.Reused}
		if i < 5 {
			s.Flags, s.Status, s.Reason = metrics.Failed, 500, metrics.ReasonStatus
		}
		a.Add(&s)
	}
	a.Add(&metrics.Sample{Kind: metrics.KindRequest, Series: 0, Status: 302, Duration: 300 * time.Millisecond})
	a.Add(&metrics.Sample{Kind: metrics.KindLogin, Duration: 40 * time.Millisecond})
	a.Add(&metrics.Sample{Kind: metrics.KindLogin, Flags: metrics.Failed})
	a.Add(&metrics.Sample{Kind: metrics.KindSessionLost})
	a.Add(&metrics.Sample{Kind: metrics.KindCheck, Series: 0})
	a.Add(&metrics.Sample{Kind: metrics.KindCheck, Series: 0, Flags: metrics.Failed})
	cases := []struct {
		src  string
		want float64
		ok   bool
	}{
		{"http_req_duration{name:list}: p(50)<60", 50, true},
		{"http_req_duration{name:list}: max<100", 100, false},
		{"http_req_duration: max<=301", 300, true},            // every series
		{"http_req_duration{group:login}: count==1", 1, true}, // by group
		{"http_req_duration{reused:false}: count==6", 6, true},
		{"http_req_failed: rate<0.05", 5.0 / 101, true},
		{"http_req_failed{name:list}: rate<0.05", 0.05, false},
		{"http_reqs: rate>10", 10.1, true}, // 101 requests in 10 s
		{"login_duration: p(95)<50", 40, true},
		{"login_failed: rate==0.5", 0.5, true},
		{"sessions_lost: count==0", 1, false},
		{"checks{name:c}: rate>=0.5", 0.5, true},
		{"dropped_iterations: count==0", 0, true},
	}
	for _, c := range cases {
		th, err := ParseThreshold(c.src)
		if err != nil {
			t.Fatal(err)
		}
		v, ok := th.Eval(a, testSeries, []string{"c"}, 10*time.Second)
		if !near(v, c.want) && v != c.want || ok != c.ok {
			t.Errorf("%s: value %v ok %v, want %v %v", c.src, v, ok, c.want, c.ok)
		}
	}
}

func TestWarmThresholdsReadTheWarmPopulation(t *testing.T) {
	th, err := ParseThreshold("warm_sessions_lost: count<1")
	if err != nil || !th.OnWarm || th.Metric != "sessions_lost" {
		t.Fatalf("%+v, %v", th, err)
	}
	vus, warm := metrics.NewAggregate(0), metrics.NewAggregate(0)
	vus.Add(&metrics.Sample{Kind: metrics.KindSessionLost})
	if v, ok := th.EvalOn(metrics.Snapshot{Total: vus, WarmTotal: warm, Elapsed: time.Second}); v != 0 || !ok {
		t.Fatalf("a VU's lost session counted as a warm one: %v %v", v, ok)
	}
	warm.Add(&metrics.Sample{Kind: metrics.KindSessionLost})
	warm.Add(&metrics.Sample{Kind: metrics.KindSessionLost})
	if v, ok := th.EvalOn(metrics.Snapshot{Total: vus, WarmTotal: warm, Elapsed: time.Second}); v != 2 || ok {
		t.Fatalf("warm lost %v, ok %v; want 2, false", v, ok)
	}
	if v, ok := th.EvalOn(metrics.Snapshot{Total: vus, Elapsed: time.Second}); v != 0 || !ok {
		t.Fatalf("without a warm population: %v %v", v, ok)
	}
	for _, bad := range []string{"warm_iterations: count>1", "warm_checks: rate>0.9", "warm_nothing: count<1"} {
		if _, err := ParseThreshold(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestThresholdCheckRefusesWhatTheRunLacks: a threshold on a request,
// group, method or check the plan does not have would pass as 0; it is
// refused before the run instead.
func TestThresholdCheckRefusesWhatTheRunLacks(t *testing.T) {
	checks := []string{"names the user"}
	cases := []struct {
		expr, err string // err: "" when the threshold is fine
	}{
		{"http_req_duration{name:list}: p(99)<500", ""},
		{"http_req_duration{name:lsit}: p(99)<500", `no request has name "lsit" (names: login, list)`},
		{"http_req_failed{group:mix,method:get}: rate<0.01", ""},
		{"http_req_failed{group:checkout}: rate<0.01", `no request has group "checkout" (groups: login, mix)`},
		{"http_reqs{method:DELETE}: count>1", `no request has method "DELETE" (methods: POST, GET)`},
		{"http_req_duration{name:login,group:mix}: p(95)<100", "no request has all of name:login, group:mix"},
		{"http_req_duration{reused:yes}: p(95)<100", "want reused:true or reused:false"},
		{"checks{name:names the user}: rate==1", ""},
		{"checks{name:teapot}: rate==1", `no check named "teapot" (checks: names the user)`},
		{"sessions_lost{name:list}: count<1", "sessions_lost is not split by request: it takes no tags"},
		{"warm_sessions_lost: count<1", ""},
	}
	for _, c := range cases {
		th, err := ParseThreshold(c.expr)
		if err != nil {
			t.Fatalf("%s: %v", c.expr, err)
		}
		err = th.Check(metrics.Legend{Series: testSeries, Checks: checks})
		if (err == nil) != (c.err == "") || (err != nil && !strings.Contains(err.Error(), c.err)) {
			t.Errorf("%s: %v, want %q", c.expr, err, c.err)
		}
	}
}

// TestJourneyThresholds: journey_duration and journeys_failed read one
// journey (journey:NAME) or all, and name only journeys the mix has.
func TestJourneyThresholds(t *testing.T) {
	a := metrics.NewAggregate(len(testSeries))
	for i, d := range []time.Duration{time.Second, 3 * time.Second, 5 * time.Second} {
		s := metrics.Sample{Kind: metrics.KindJourney, Series: uint16(i % 2), Duration: d}
		if i == 2 {
			s.Flags, s.Reason = metrics.Failed, metrics.ReasonStatus
		}
		a.Add(&s)
	}
	snap := metrics.Snapshot{Total: a, Elapsed: time.Second, Legend: &metrics.Legend{Series: testSeries, Journeys: []string{"browse", "checkout"}}}
	cases := []struct {
		expr string
		want float64
	}{
		{"journey_duration{journey:checkout}: max<10000", 3000},
		{"journey_duration: max<10000", 5000},
		{"journeys_failed{journey:browse}: rate<1", 0.5},
		{"journeys_failed{journey:checkout}: rate<1", 0},
	}
	for _, c := range cases {
		th, err := ParseThreshold(c.expr)
		if err != nil {
			t.Fatal(err)
		}
		if err := th.Check(metrics.Legend{Series: testSeries, Journeys: []string{"browse", "checkout"}}); err != nil {
			t.Fatalf("%s: %v", c.expr, err)
		}
		if v, _ := th.EvalOn(snap); math.Abs(v-c.want) > c.want/500 {
			t.Errorf("%s = %v, want %v", c.expr, v, c.want)
		}
	}
	for expr, want := range map[string]string{
		"journey_duration{journey:pay}: p(95)<1":     `no journey named "pay"`,
		"journey_duration{name:x}: p(95)<1":          "takes only journey:NAME",
		"http_req_duration{journey:browse}: p(95)<1": "journey: goes with journey_duration",
	} {
		th, _ := ParseThreshold(expr)
		if err := th.Check(metrics.Legend{Series: testSeries, Journeys: []string{"browse", "checkout"}}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", expr, err, want)
		}
	}
}
