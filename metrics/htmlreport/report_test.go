package htmlreport

import (
	"strings"
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/cohort-dev/cohort/metrics"
	"github.com/cohort-dev/cohort/metrics/results"
)

func TestDistribution(t *testing.T) {
	h := hdr.New(1, 60_000_000, 3)
	for i := 1; i <= 1000; i++ {
		h.RecordValue(int64(i) * 1000) // 1..1000 ms
	}
	xys := distribution(h)
	if len(xys) < 10 {
		t.Fatalf("%d points", len(xys))
	}
	first, last := xys[0], xys[len(xys)-1]
	if first.X != 1 || first.Y > 2 {
		t.Fatalf("first point %+v: want percentile 0 (x=1) near 1 ms", first)
	}
	if last.X < 1000 || last.Y < 999 || last.Y > 1001 {
		t.Fatalf("last point %+v: want the tail (x >= 1000) at the max, 1000 ms", last)
	}
	for i := 1; i < len(xys); i++ {
		if xys[i].X < xys[i-1].X || xys[i].Y < xys[i-1].Y {
			t.Fatalf("not monotone at %d: %+v then %+v", i, xys[i-1], xys[i])
		}
	}
}

func TestPercentileTicks(t *testing.T) {
	var labels []string
	for _, tk := range (percentileTicks{}).Ticks(1, 1000) {
		labels = append(labels, tk.Label)
	}
	if strings.Join(labels, " ") != "0% 90% 99% 99.9%" {
		t.Fatalf("ticks %v", labels)
	}
}

func TestWriteDrawsEveryChart(t *testing.T) {
	series := []metrics.SeriesInfo{{Name: "login", Method: "POST", Group: "login"}, {Name: "list", Method: "GET", Group: "mix"}}
	tr := results.NewTimelineRecorder(series, 5*time.Second)
	total := metrics.NewAggregate(2)
	for sec := 1; sec <= 5; sec++ {
		a := metrics.NewAggregate(2)
		for i := range 200 {
			s := metrics.Sample{Kind: metrics.KindRequest, Series: 1, Status: 200, Duration: time.Duration(i+sec) * 100 * time.Microsecond}
			if i%20 == 0 {
				s.Flags = 0
			} else {
				s.Flags = metrics.Reused
			}
			a.Add(&s)
		}
		a.Add(&metrics.Sample{Kind: metrics.KindLogin, Duration: 3 * time.Millisecond})
		a.Add(&metrics.Sample{Kind: metrics.KindFirstRequest, Duration: 4 * time.Millisecond})
		total.Merge(a)
		tr.Add(metrics.Snapshot{Elapsed: time.Duration(sec) * time.Second, VUs: 3, LoggedIn: 3, Interval: a})
	}
	total.BytesSent, total.BytesReceived = 32_345, 4_500_000
	r := results.NewResult(results.Meta{Profile: "p", Segment: "1/1", Duration: 5 * time.Second}, series, total)
	tl := tr.Finish(5*time.Second, 0, 0)
	r.Timeline = &tl
	var b strings.Builder
	if err := Write(&b, r); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"latency-over-time", "latency-by-name", "throughput", "vus", "distribution", "connections", "login"} {
		if !strings.Contains(b.String(), `<figure class="chart" id="`+id+`">`+"\n<svg") {
			t.Errorf("chart %s missing", id)
		}
	}
	if !strings.Contains(b.String(), "<th>all</th><th></th><th>1000</th><th>0</th><th>0%</th>") {
		t.Error("the report's all row has no failed % beside its failures")
	}
	if !strings.Contains(b.String(), "Data on the wire: 32.3 kB sent, 4.5 MB received.") {
		t.Error("the report does not say what went on the wire")
	}
	if strings.Contains(b.String(), "<script") {
		t.Error("the report carries a script")
	}
	if strings.Contains(b.String(), `id="capacity-latency"`) {
		t.Error("a run without a capacity search drew its chart")
	}
	if strings.Contains(b.String(), `id="journeys"`) {
		t.Error("a run without journeys has a journeys table")
	}
	r.Journeys = []results.JourneyResult{{Name: "checkout", Count: 7, Failed: 2, Reasons: map[string]int64{"status": 2}, Duration: results.Latency{P50: 1200}}}
	b.Reset()
	if err := Write(&b, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `id="journeys"`) || !strings.Contains(b.String(), "<td>checkout</td><td>7</td><td>2</td>") {
		t.Error("the journeys table is missing or wrong")
	}
	r.Journeys = nil
	r.Capacity = results.Capacity{Vary: "vus", LastPassing: 20, FirstFailing: 30, Knee: 10, Steps: []results.CapacityStep{
		{Level: 10, Passed: true, RPS: 100, Latency: results.Latency{P50: 1, P95: 2, P99: 3}},
		{Level: 20, Passed: true, RPS: 190, Latency: results.Latency{P50: 2, P95: 5, P99: 9}},
		{Level: 30, RPS: 200, Latency: results.Latency{P50: 9, P95: 40, P99: 90}},
	}}
	b.Reset()
	if err := Write(&b, r); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"capacity-latency", "capacity-throughput"} {
		if !strings.Contains(b.String(), `<figure class="chart" id="`+id+`">`+"\n<svg") {
			t.Errorf("chart %s missing", id)
		}
	}
	if !strings.Contains(b.String(), "Last passing level 20; broke at 30; knee at 10.") {
		t.Error("the capacity chart does not say the search's outcome")
	}
	if !strings.Contains(b.String(), `<h2 id="capacity">Capacity search (vus)</h2>`) || !strings.Contains(b.String(), "Last passing level 20, broke at 30; knee at 10.</p>") {
		t.Error("the capacity table is missing")
	}
}
