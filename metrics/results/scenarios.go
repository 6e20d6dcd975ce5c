package results

import (
	"fmt"
	"time"

	"github.com/cohort-dev/cohort/metrics"
)

// ScenarioResult is one scenario's part of a run: its load, and the
// figures of its own population (its requests are the rows of requests
// that carry its name).
type ScenarioResult struct {
	Name        string  `json:"name"`
	Executor    string  `json:"executor"`
	StartAfterS float64 `json:"start_after_s"`
	// Started says the run lasted until the scenario's start.
	Started       bool    `json:"started"`
	VUsMax        int     `json:"vus_max"`
	Totals        Totals  `json:"totals"`
	Latency       Latency `json:"latency_ms"`
	Logins        int64   `json:"logins"`
	LoginFailures int64   `json:"login_failures"`
	Login         Latency `json:"login_ms"`
	SessionsLost  int64   `json:"sessions_lost"`
	Relogins      int64   `json:"relogins"`
	Refreshes     int64   `json:"token_refreshes"`
	Logouts       int64   `json:"logouts"`
	NeverLoggedIn int64   `json:"never_logged_in"`
}

// ScenarioMeta is what a run says of a scenario besides its figures.
type ScenarioMeta struct {
	Name, Executor        string
	StartAfter            time.Duration
	Started               bool
	VUsMax, NeverLoggedIn int
}

// SetScenarios adds each scenario's block, from its own aggregate (over
// the run's series).
func (r *Result) SetScenarios(series []metrics.SeriesInfo, metas []ScenarioMeta, aggs []*metrics.Aggregate) {
	for i, m := range metas {
		r.Scenarios = append(r.Scenarios, r.scenarioResult(series, m, aggs[i]))
		r.encode("scenario:"+m.Name+":login", aggs[i].Login)
	}
}

func (r *Result) scenarioResult(series []metrics.SeriesInfo, m ScenarioMeta, a *metrics.Aggregate) ScenarioResult {
	reqs, fails := a.Requests()
	var rps float64
	if r.DurationS > 0 {
		rps = round3(float64(reqs) / r.DurationS)
	}
	s := a.Sessions
	return ScenarioResult{Name: m.Name, Executor: m.Executor, StartAfterS: round3(m.StartAfter.Seconds()), Started: m.Started,
		VUsMax: m.VUsMax, NeverLoggedIn: int64(m.NeverLoggedIn),
		Totals:  Totals{Requests: reqs, Failures: fails, RPS: rps, Iterations: a.Iterations, Dropped: a.Dropped, Interrupted: a.Interrupted},
		Latency: LatencyOf(a.AllLatency(series)), Logins: s.Logins, LoginFailures: s.LoginFailures, Login: LatencyOf(a.Login),
		SessionsLost: s.SessionsLost, Relogins: s.Relogins, Refreshes: s.Refreshes, Logouts: s.Logouts}
}

// scenarioAggregate rebuilds a scenario's aggregate from a result: its
// requests' series (the others left empty), its sessions' counts and
// its login histogram.
func scenarioAggregate(r *Result, all *metrics.Aggregate, series []metrics.SeriesInfo, sc ScenarioResult) (*metrics.Aggregate, error) {
	a := metrics.NewAggregate(len(series))
	for i := range series {
		if series[i].Scenario == sc.Name && i < len(all.Series) {
			a.Series[i].Merge(&all.Series[i])
		}
	}
	h, err := r.Histogram("scenario:" + sc.Name + ":login")
	if err != nil {
		return nil, err
	}
	a.Login = h
	a.Iterations, a.Dropped, a.Interrupted = sc.Totals.Iterations, sc.Totals.Dropped, sc.Totals.Interrupted
	a.Sessions = metrics.Sessions{Logins: sc.Logins, LoginFailures: sc.LoginFailures, SessionsLost: sc.SessionsLost,
		Relogins: sc.Relogins, Refreshes: sc.Refreshes, Logouts: sc.Logouts}
	return a, nil
}

// mergeScenarios adds up the parts' scenario blocks, matched by name:
// their counts add, their latencies come from the merged series and
// login histograms. It returns the merged aggregate of each scenario, for
// the thresholds that name one.
func (r *Result) mergeScenarios(parts []*Result, series []metrics.SeriesInfo, total *metrics.Aggregate) ([]metrics.ScenarioSnapshot, error) {
	var metas []ScenarioMeta
	var aggs []*metrics.Aggregate
	index := map[string]int{}
	for _, p := range parts {
		pa, pseries, err := AggregateOf(p)
		if err != nil {
			return nil, err
		}
		for _, sc := range p.Scenarios {
			a, err := scenarioAggregate(p, pa, pseries, sc)
			if err != nil {
				return nil, fmt.Errorf("scenarios %s: %v", sc.Name, err)
			}
			i, ok := index[sc.Name]
			if !ok {
				i = len(metas)
				index[sc.Name] = i
				metas = append(metas, ScenarioMeta{Name: sc.Name, Executor: sc.Executor,
					StartAfter: time.Duration(sc.StartAfterS * float64(time.Second))})
				aggs = append(aggs, metrics.NewAggregate(len(series)))
			}
			metas[i].Started = metas[i].Started || sc.Started
			metas[i].VUsMax += sc.VUsMax
			metas[i].NeverLoggedIn += int(sc.NeverLoggedIn)
			aggs[i].Merge(realign(a, pseries, series))
		}
	}
	if len(metas) == 0 {
		return nil, nil
	}
	r.SetScenarios(series, metas, aggs)
	var snaps []metrics.ScenarioSnapshot
	for i, m := range metas {
		snaps = append(snaps, metrics.ScenarioSnapshot{Name: m.Name, Started: m.Started, Total: aggs[i]})
	}
	return snaps, nil
}

// realign moves an aggregate over one part's series onto the merged
// series, matched by key.
func realign(a *metrics.Aggregate, from, to []metrics.SeriesInfo) *metrics.Aggregate {
	index := map[string]int{}
	for i, s := range to {
		index[s.Key()] = i
	}
	out := *a
	out.Series = make([]metrics.SeriesAgg, len(to))
	for i := range from {
		if j, ok := index[from[i].Key()]; ok && i < len(a.Series) {
			out.Series[j].Merge(&a.Series[i])
		}
	}
	return &out
}
