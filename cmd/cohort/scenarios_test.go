package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/cohort-dev/cohort/metrics/results"
)

// scenariosYAML is the built-in spring-form's login and mix, run as two
// scenarios at once: browsers in a closed model, and a storm of new users
// (users of their own) arriving from 1 s on in an open model.
const scenariosYAML = `
scenarios:
  - name: browsers
    load: {executor: constant-vus, vus: 5, duration: 2s}
  - name: storm
    start_after: 1s
    users:
      generate: {username: "user{{n}}", password: "pass{{n}}", start: 1000}
    mix:
      - name: profile
        path: /api/profile
        headers: {Accept: application/json}
        expect: {status: [200], body_contains: '"username":"{{user.username}}"'}
    think: {type: none}
    load: {executor: constant-arrival-rate, rate: 10, duration: 1s, pre_allocated_vus: 3, max_vus: 3}
thresholds:
  - "iterations{scenario:storm}: count==10"
  - "logins{scenario:storm}: count==3"
  - "http_req_failed{scenario:browsers}: rate==0"
`

func writeScenarios(t *testing.T) string {
	t.Helper()
	return writeProfile(t, "spring-form", func(s string) string {
		i := strings.Index(s, "\nload:")
		return s[:i] + scenariosYAML
	})
}

func scenarioOf(t *testing.T, r *results.Result, name string) results.ScenarioResult {
	t.Helper()
	for _, s := range r.Scenarios {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no scenario %q in %+v", name, r.Scenarios)
	return results.ScenarioResult{}
}

// TestScenariosRun: two scenarios with different executors run at once;
// every request row carries its scenario, each scenario's block holds its
// own population's figures (exact on the fake clock), thresholds name a
// scenario, and the summary has a row per scenario.
func TestScenariosRun(t *testing.T) {
	code, out, r := runSimulated(t, writeScenarios(t))
	if code != exitOK || r.Totals.Failures != 0 {
		t.Fatalf("exit %d, %d failures\n%s", code, r.Totals.Failures, out)
	}
	storm, browsers := scenarioOf(t, r, "storm"), scenarioOf(t, r, "browsers")
	if storm.Totals.Iterations != 10 || storm.Logins != 3 || storm.Executor != "constant-arrival-rate" || storm.StartAfterS != 1 || !storm.Started {
		t.Fatalf("storm: %+v", storm)
	}
	if browsers.Logins != 5 || browsers.VUsMax != 5 || browsers.Totals.Iterations == 0 {
		t.Fatalf("browsers: %+v", browsers)
	}
	if r.Totals.Iterations != storm.Totals.Iterations+browsers.Totals.Iterations || r.Sessions.Logins != 8 || r.VUsMax != 8 {
		t.Fatalf("the run: %d iterations, %d logins, %d VUs; want the scenarios' sums", r.Totals.Iterations, r.Sessions.Logins, r.VUsMax)
	}
	var stormProfile, browsersProfile int64
	for _, q := range r.Requests {
		switch {
		case q.Scenario == "storm" && q.Name == "profile":
			stormProfile = q.Count
		case q.Scenario == "browsers" && q.Name == "profile":
			browsersProfile = q.Count
		case q.Scenario == "":
			t.Fatalf("request %s has no scenario", q.Name)
		}
	}
	if stormProfile != 10 || browsersProfile == 0 {
		t.Fatalf("profile rows: storm %d, browsers %d; want 10 and some", stormProfile, browsersProfile)
	}
	for _, th := range r.Thresholds {
		if !th.OK {
			t.Fatalf("threshold %s failed with %g\n%s", th.Expr, th.Value, out)
		}
	}
	if len(r.Thresholds) != 3 || !strings.Contains(out, "scenarios\n") || !strings.Contains(out, "storm:profile") {
		t.Fatalf("thresholds %v; the summary:\n%s", r.Thresholds, out)
	}
	if st := r.Server; st == nil || st.Created < 8 {
		t.Fatalf("server sessions %+v", st)
	}
}

// TestScenariosRefuseOneLoad: the flags that change one load are refused
// for a profile whose scenarios have their own, before anything starts.
func TestScenariosRefuseOneLoad(t *testing.T) {
	path := writeScenarios(t)
	for _, args := range [][]string{{"--vus", "3"}, {"--duration", "5s"}, {"--rate", "5"}} {
		code, out, _ := runCohort(t, append([]string{path}, args...)...)
		if code != exitUsage || !strings.Contains(out, args[0]+": the profile's scenarios each have their own load") {
			t.Fatalf("%v: exit %d\n%s", args, code, out)
		}
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	src, _ := os.ReadFile(path)
	os.WriteFile(bad, []byte(strings.Replace(string(src), "rate: 10,", "rate: -1,", 1)), 0o644)
	code, out, _ := runCohort(t, bad)
	if code != exitUsage || !strings.Contains(out, "scenarios[1].load.rate") {
		t.Fatalf("a bad load in a scenario: exit %d\n%s", code, out)
	}
	// A field the scenario's load leaves out is the scenario's, on its
	// load's line: no flag can set it.
	os.WriteFile(bad, []byte(strings.Replace(string(src), "rate: 10, duration: 1s,", "rate: 10,", 1)), 0o644)
	code, out, _ = runCohort(t, bad)
	if code != exitUsage || !regexp.MustCompile(`bad\.yaml:\d+:\d+: scenarios\[1\]\.load\.duration: constant-arrival-rate needs a duration`).MatchString(out) {
		t.Fatalf("a scenario's load without duration: exit %d\n%s", code, out)
	}
}

// TestCheckWalksEachScenario: cohort check walks every scenario with a
// VU of its own users.
func TestCheckWalksEachScenario(t *testing.T) {
	code, out := runCheckCmd(t, writeScenarios(t))
	if code != exitOK || !strings.Contains(out, "scenario browsers against") || !strings.Contains(out, "scenario storm against") ||
		!strings.Contains(out, "as user user1000") || strings.Count(out, "steps passed") != 2 {
		t.Fatalf("exit %d\n%s", code, out)
	}
}

// TestScenariosMergeAcrossSegments: two segments of a run with scenarios
// merge into the whole: each scenario's block adds up, and a threshold
// naming a scenario is judged again on the merged figures.
func TestScenariosMergeAcrossSegments(t *testing.T) {
	path := writeScenarios(t)
	dir := t.TempDir()
	var parts []string
	for _, seg := range []string{"1/2", "2/2"} {
		out := filepath.Join(dir, strings.Replace(seg, "/", "of", 1)+".json")
		code, text, r := runSimulated(t, path, "--segment", seg, "--html", out+".html")
		if code != exitThreshold { // each segment did half of the counts the thresholds want
			t.Fatalf("segment %s: exit %d\n%s", seg, code, text)
		}
		if err := r.WriteFile(out); err != nil {
			t.Fatal(err)
		}
		html, _ := os.ReadFile(out + ".html")
		if !strings.Contains(string(html), `<h2 id="scenarios">`) || !strings.Contains(string(html), "storm: profile") {
			t.Fatal("the HTML report has no scenarios table, or no scenario on its rows")
		}
		parts = append(parts, out)
	}
	r := mergeResults(t, parts...)
	storm := scenarioOf(t, r, "storm")
	if storm.Totals.Iterations != 10 || storm.Logins != 3 || storm.VUsMax != 3 {
		t.Fatalf("merged storm: %+v; want its 10 arrivals and 3 logins, split between the segments", storm)
	}
	if b := scenarioOf(t, r, "browsers"); b.Logins != 5 {
		t.Fatalf("merged browsers: %d logins, want 5", b.Logins)
	}
	for _, th := range r.Thresholds {
		if !th.OK {
			t.Fatalf("merged threshold %s: %g", th.Expr, th.Value)
		}
	}
	if len(r.Thresholds) != 3 {
		t.Fatalf("merged thresholds %v", r.Thresholds)
	}
}

// TestScenariosExampleRuns runs the scenarios example of
// docs/profiles.md as the page writes it, on the fake clock: every
// scenario runs, the storm starts at 10 s, nothing fails.
func TestScenariosExampleRuns(t *testing.T) {
	doc, err := os.ReadFile("../../docs/profiles.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(doc), "### `scenarios`")
	_, block, _ := strings.Cut(section, "```yaml\n")
	block, _, _ = strings.Cut(block, "```")
	path := filepath.Join(t.TempDir(), "shop-day.yaml")
	os.WriteFile(path, []byte(block), 0o644)
	code, out, r := runSimulated(t, path)
	if code != exitOK || r.Totals.Failures != 0 || len(r.Scenarios) != 3 {
		t.Fatalf("exit %d, %d failures, %d scenarios\n%s", code, r.Totals.Failures, len(r.Scenarios), out)
	}
	storm := scenarioOf(t, r, "login-storm")
	if storm.Totals.Iterations != 200 || storm.StartAfterS != 10 || scenarioOf(t, r, "admins").Logins != 2 || scenarioOf(t, r, "customers").VUsMax != 50 {
		t.Fatalf("scenarios %+v", r.Scenarios)
	}
}

// TestScenarioThresholdsNameWhatItHas: a journey threshold on a scenario
// whose mix has no journey is refused before the run, and one on a
// scenario that has journeys is taken.
func TestScenarioThresholdsNameWhatItHas(t *testing.T) {
	path := writeScenarios(t)
	cases := []struct{ threshold, want string }{
		{"journey_duration{scenario:storm}: p(95)<100", "scenario storm has no journey"},
		{"journeys_failed{scenario:storm,journey:buy}: rate==0", "scenario storm has no journey"},
		{"journeys_failed{scenario:browsers,journey:pay}: rate==0", `no journey named "pay" (journeys: browse, buy)`},
	}
	for _, c := range cases {
		t.Run(c.threshold, func(t *testing.T) {
			code, out, _ := runCohort(t, path, "--threshold", c.threshold)
			if code != exitUsage || !strings.Contains(out, c.want) {
				t.Fatalf("exit %d, want %d and %q\n%s", code, exitUsage, c.want, out)
			}
		})
	}
	code, out, r := runSimulated(t, path, "--threshold", "journeys_failed{scenario:browsers,journey:buy}: rate==0")
	if code != exitOK || len(r.Thresholds) != 4 || !r.Thresholds[3].OK {
		t.Fatalf("exit %d, thresholds %+v\n%s", code, r.Thresholds, out)
	}
}

// TestScenarioThatNeverStartedIsNotJudged: a run stopped before a
// scenario's start leaves its thresholds not judged (and not passed),
// where they were once judged on zeros; an abort_on_fail threshold of a
// scenario that has not started does not fire on its zeros.
func TestScenarioThatNeverStartedIsNotJudged(t *testing.T) {
	path := writeProfile(t, "spring-form", func(s string) string {
		i := strings.Index(s, "\nload:")
		y := strings.Replace(scenariosYAML, "start_after: 1s", "start_after: 10s", 1)
		y = strings.Replace(y, "rate: 10, duration: 1s", "rate: 10, duration: 5s", 1)
		return s[:i] + y + `  - {threshold: "logins{scenario:storm}: count>=1", abort_on_fail: true}
  - {threshold: "iterations{scenario:browsers}: count<3", abort_on_fail: true, delay: 2s}
`
	})
	code, out, r := runSimulated(t, path)
	if code != exitThreshold || !strings.Contains(r.Aborted, "iterations{scenario:browsers}") {
		t.Fatalf("exit %d, aborted %q: want the browsers' threshold to stop the run\n%s", code, r.Aborted, out)
	}
	if s := scenarioOf(t, r, "storm"); s.Started {
		t.Fatalf("storm started: %+v", s)
	}
	for _, th := range r.Thresholds {
		stormOnes := strings.Contains(th.Expr, "scenario:storm")
		if stormOnes && (th.OK || th.NotJudged != "scenario storm never started") {
			t.Fatalf("%s: ok %v, not judged %q; want not judged, not passed", th.Expr, th.OK, th.NotJudged)
		}
		if !stormOnes && th.NotJudged != "" {
			t.Fatalf("%s not judged: %s", th.Expr, th.NotJudged)
		}
	}
	if !strings.Contains(out, "FAIL iterations{scenario:storm}: count==10 (not judged: scenario storm never started)") {
		t.Fatalf("the summary does not say the storm's thresholds were not judged\n%s", out)
	}
}
