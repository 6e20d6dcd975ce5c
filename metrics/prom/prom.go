// Package prom exposes a run's live figures to Prometheus: a private
// registry of cohort_* series, fed from the interval aggregates the engine
// drains every second, served on /metrics and optionally pushed to a
// Pushgateway. It is the only package that imports client_golang.
//
// Labels are bounded: request names and methods come from the profile,
// statuses are HTTP codes, reasons and phases are fixed lists; no URL and
// no error text is ever a label. Every series carries testid and segment.
package prom

import (
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/cohort-dev/cohort/metrics"
)

// Exporter holds a run's Prometheus series.
type Exporter struct {
	// Profiling serves Go's pprof handlers beside /metrics.
	Profiling bool

	reg    *prometheus.Registry
	series []metrics.SeriesInfo

	mu sync.Mutex

	requests     *prometheus.CounterVec
	failures     *prometheus.CounterVec
	duration     *histVec
	phase        *histVec
	vus          prometheus.Gauge
	active       prometheus.Gauge
	logins       *prometheus.CounterVec
	loginTime    *histVec
	firstTime    *histVec
	lost         prometheus.Counter
	relogins     prometheus.Counter
	refreshes    *prometheus.CounterVec
	rotations    prometheus.Counter
	issued       prometheus.Counter
	iterations   prometheus.Counter
	dropped      prometheus.Counter
	connections  prometheus.Counter
	schedulerLag *histVec
	warm         prometheus.Gauge
	warmLogins   *prometheus.CounterVec
	warmTouches  *prometheus.CounterVec
	warmLost     prometheus.Counter
	warmTouch    *histVec
	cookieBytes  *histVec
	instReqs     *prometheus.CounterVec
	cookieDrops  *prometheus.CounterVec
	journeyTime  *histVec
	journeys     *prometheus.CounterVec
	moved        prometheus.Counter
	movedLost    prometheus.Counter
	lastOpened   int64

	scenarioVUs, scenarioActive   *prometheus.GaugeVec
	scenarioIters, scenarioLogins *prometheus.CounterVec
}

// New returns an exporter for a run's request series; testid and segment
// label every series.
func New(series []metrics.SeriesInfo, testid, segment string) *Exporter {
	e := &Exporter{reg: prometheus.NewRegistry(), series: series}
	r := prometheus.WrapRegistererWith(prometheus.Labels{"testid": testid, "segment": segment}, e.reg)
	f := factory{r}
	e.requests = f.counterVec("cohort_http_requests_total", "HTTP requests sent, by request name, method, status (0: no response), connection reuse and scenario (empty without scenarios).", "name", "method", "status", "reused", "scenario")
	e.failures = f.counterVec("cohort_http_request_failures_total", "Failed requests, by request name, method, reason and scenario.", "name", "method", "reason", "scenario")
	e.duration = f.latency("cohort_http_request_duration_seconds", "Request latency from when the request was due to the end of its body, by request name, connection reuse and scenario.", "name", "reused", "scenario")
	e.phase = f.latency("cohort_http_request_phase_seconds", "Request phases: blocked, connect, tls, sending, ttfb (waiting), receiving.", "phase")
	e.vus = f.gauge("cohort_vus", "Virtual users running.")
	e.active = f.gauge("cohort_sessions_active", "Sessions logged in.")
	e.logins = f.counterVec("cohort_logins_total", "Login flows, by result (ok, failed, interrupted: cut short by the end of the run).", "result")
	e.loginTime = f.latency("cohort_login_duration_seconds", "Duration of successful login flows.")
	e.firstTime = f.latency("cohort_first_request_duration_seconds", "From the start of a login to the end of the first authenticated request after it.")
	e.lost = f.counter("cohort_sessions_lost_total", "Sessions found gone mid-run (401, redirect to login, login form served).")
	e.relogins = f.counter("cohort_relogins_total", "Logins that replaced a lost session.")
	e.refreshes = f.counterVec("cohort_token_refreshes_total", "Token refreshes after a 401, by result.", "result")
	e.rotations = f.counter("cohort_session_id_rotations_total", "Session ids changed by a login.")
	e.issued = f.counter("cohort_sessions_issued_total", "Session ids the server issued.")
	e.iterations = f.counter("cohort_iterations_total", "Iterations completed.")
	e.dropped = f.counter("cohort_dropped_iterations_total", "Open-model iterations (and session-pool logins and requests) that found no VU or idle session free when due.")
	e.connections = f.counter("cohort_connections_opened_total", "TCP connections opened.")
	e.schedulerLag = f.latency("cohort_scheduler_lag_seconds", "How late the open-model scheduler started iterations.")
	e.warm = f.gauge("cohort_sessions_warm", "Warm sessions logged in and kept alive beside the VUs.")
	e.warmLogins = f.counterVec("cohort_warm_logins_total", "Logins of warm sessions, by result (ok, failed).", "result")
	e.warmTouches = f.counterVec("cohort_warm_touches_total", "Requests that keep warm sessions alive, by result (ok, failed).", "result")
	e.warmLost = f.counter("cohort_warm_sessions_lost_total", "Warm sessions found gone by their touch (expired or evicted by the server).")
	e.warmTouch = f.latency("cohort_warm_touch_duration_seconds", "Latency of the requests that keep warm sessions alive.")
	e.cookieBytes = f.hist(newHistVec("cohort_cookie_header_bytes",
		"Size of the Cookie header a session sends, taken when a response changes its cookies.",
		prometheus.ExponentialBuckets(64, 2, 10), 1))
	e.instReqs = f.counterVec("cohort_instance_requests_total", "Requests by the backend instance that answered (instance_header) and result (ok, failed).", "instance", "result")
	e.journeyTime = f.latency("cohort_journey_duration_seconds", "Whole journeys of the mix, from when due to the end of their last step, pauses between steps included, by journey.", "journey")
	e.journeys = f.counterVec("cohort_journeys_total", "Journeys of the mix, by journey and result (ok; failed: a step ended it).", "journey", "result")
	e.cookieDrops = f.counterVec("cohort_cookies_dropped_total", "Cookies the VUs' jars refused or evicted as a browser would, by reason (too_large, foreign_domain, public_suffix, prefix, insecure, evicted).", "reason")
	for d := metrics.DropNone + 1; d < metrics.NumCookieDrops; d++ {
		e.cookieDrops.WithLabelValues(d.String())
	}
	e.scenarioVUs = f.gaugeVec("cohort_scenario_vus", "Virtual users running, by scenario (profiles with scenarios).", "scenario")
	e.scenarioActive = f.gaugeVec("cohort_scenario_sessions_active", "Sessions logged in, by scenario.", "scenario")
	e.scenarioIters = f.counterVec("cohort_scenario_iterations_total", "Iterations completed, by scenario.", "scenario")
	e.scenarioLogins = f.counterVec("cohort_scenario_logins_total", "Login flows, by scenario and result (ok, failed).", "scenario", "result")
	e.moved = f.counter("cohort_sessions_moved_total", "Requests of a session answered by another backend instance than its previous one.")
	e.movedLost = f.counter("cohort_sessions_lost_after_move_total", "Requests that moved a session to another backend instance and found it gone.")
	r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	e.zero()
	return e
}

// zero makes every series whose labels are known before the run, at 0:
// a counter that first appears at 20 has no rise for rate() to see, so the
// dashboard would read 0 logins per second for a run that logged in 20.
func (e *Exporter) zero() {
	for _, result := range []string{"ok", "failed"} {
		for _, c := range []*prometheus.CounterVec{e.logins, e.refreshes, e.warmLogins, e.warmTouches} {
			c.WithLabelValues(result)
		}
	}
	e.logins.WithLabelValues("interrupted")
	for _, info := range e.series {
		for _, reused := range []string{"true", "false"} {
			e.duration.init(info.Name, reused, info.Scenario)
		}
		for _, r := range metrics.FailureReasons() {
			e.failures.WithLabelValues(info.Name, info.Method, r.String(), info.Scenario)
		}
	}
	for _, p := range phaseHists {
		e.phase.init(p.name)
	}
	for _, h := range []*histVec{e.loginTime, e.firstTime, e.schedulerLag, e.warmTouch, e.cookieBytes} {
		h.init()
	}
}

// Registry returns the exporter's private registry.
func (e *Exporter) Registry() *prometheus.Registry { return e.reg }

type factory struct{ r prometheus.Registerer }

func (f factory) counterVec(name, help string, labels ...string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	f.r.MustRegister(c)
	return c
}

func (f factory) counter(name, help string) prometheus.Counter {
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
	f.r.MustRegister(c)
	return c
}

func (f factory) gauge(name, help string) prometheus.Gauge {
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help})
	f.r.MustRegister(g)
	return g
}

func (f factory) gaugeVec(name, help string, labels ...string) *prometheus.GaugeVec {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
	f.r.MustRegister(g)
	return g
}

// latency registers a latency histogram family: HDR microseconds shown
// in seconds.
func (f factory) latency(name, help string, labels ...string) *histVec {
	return f.hist(newHistVec(name, help, latencyBuckets, 1e-6, labels...))
}

func (f factory) hist(h *histVec) *histVec {
	f.r.MustRegister(h)
	return h
}

// Observe adds a snapshot's interval to the series. It is called once per
// interval, off the VUs' path; its cost is in the number of distinct
// histogram buckets the interval filled, not its request count.
func (e *Exporter) Observe(snap metrics.Snapshot) {
	e.mu.Lock()
	defer e.mu.Unlock()
	a := snap.Interval
	e.vus.Set(float64(snap.VUs))
	e.active.Set(float64(snap.LoggedIn))
	for i := range a.Series {
		if i < len(e.series) {
			e.observeSeries(e.series[i], &a.Series[i])
		}
	}
	s := a.Sessions
	e.logins.WithLabelValues("ok").Add(float64(s.Logins))
	e.logins.WithLabelValues("failed").Add(float64(s.LoginFailures))
	e.logins.WithLabelValues("interrupted").Add(float64(s.LoginsInterrupted))
	e.refreshes.WithLabelValues("ok").Add(float64(s.Refreshes))
	e.refreshes.WithLabelValues("failed").Add(float64(s.RefreshFails))
	e.lost.Add(float64(s.SessionsLost))
	e.relogins.Add(float64(s.Relogins))
	e.rotations.Add(float64(s.Rotations))
	e.issued.Add(float64(s.Issued))
	e.iterations.Add(float64(a.Iterations))
	e.dropped.Add(float64(a.Dropped))
	if opened := snap.Total.Opened; opened > e.lastOpened {
		e.connections.Add(float64(opened - e.lastOpened))
		e.lastOpened = opened
	}
	e.loginTime.add(a.Login)
	e.firstTime.add(a.First)
	e.schedulerLag.add(a.Lag)
	touch := -1
	if snap.Legend != nil {
		touch = snap.Legend.WarmTouch
	}
	if w := snap.Warm; w != nil {
		e.observeWarm(snap.WarmHeld, w, touch)
	}
	e.cookieBytes.add(a.CookieHeader)
	e.moved.Add(float64(s.Moved))
	e.movedLost.Add(float64(s.MovedLost))
	if snap.Legend != nil {
		e.observeJourneys(a, snap.Legend.Journeys)
	}
	for d, n := range s.CookiesDropped {
		if n > 0 {
			e.cookieDrops.WithLabelValues(metrics.CookieDrop(d).String()).Add(float64(n))
		}
	}
	for _, sc := range snap.Scenarios {
		e.scenarioVUs.WithLabelValues(sc.Name).Set(float64(sc.VUs))
		e.scenarioActive.WithLabelValues(sc.Name).Set(float64(sc.LoggedIn))
		if sc.Interval != nil {
			e.scenarioIters.WithLabelValues(sc.Name).Add(float64(sc.Interval.Iterations))
			e.scenarioLogins.WithLabelValues(sc.Name, "ok").Add(float64(sc.Interval.Sessions.Logins))
			e.scenarioLogins.WithLabelValues(sc.Name, "failed").Add(float64(sc.Interval.Sessions.LoginFailures))
		}
	}
	if len(a.Instances) > 0 {
		names := snap.Legend.InstanceNames()
		for i := range a.Instances {
			if i < len(names) {
				ia := &a.Instances[i]
				e.instReqs.WithLabelValues(names[i], "ok").Add(float64(ia.Count - ia.Failures))
				e.instReqs.WithLabelValues(names[i], "failed").Add(float64(ia.Failures))
			}
		}
	}
}

// observeJourneys adds the interval's journeys, by name.
func (e *Exporter) observeJourneys(a *metrics.Aggregate, names []string) {
	for _, n := range names { // every journey's series from the first scrape, at 0 until it runs
		e.journeys.WithLabelValues(n, "ok")
		e.journeys.WithLabelValues(n, "failed")
		e.journeyTime.init(n)
	}
	for i := range a.Journeys {
		if i >= len(names) {
			break
		}
		ja := &a.Journeys[i]
		e.journeys.WithLabelValues(names[i], "ok").Add(float64(ja.Count - ja.Failed))
		e.journeys.WithLabelValues(names[i], "failed").Add(float64(ja.Failed))
		e.journeyTime.add(ja.Latency, names[i])
	}
}

func (e *Exporter) observeWarm(held int, w *metrics.Aggregate, touch int) {
	e.warm.Set(float64(held))
	e.warmLogins.WithLabelValues("ok").Add(float64(w.Sessions.Logins))
	e.warmLogins.WithLabelValues("failed").Add(float64(w.Sessions.LoginFailures))
	e.warmLost.Add(float64(w.Sessions.SessionsLost))
	if touch >= 0 && touch < len(w.Series) {
		t := &w.Series[touch]
		e.warmTouches.WithLabelValues("ok").Add(float64(t.Count - t.Failures))
		e.warmTouches.WithLabelValues("failed").Add(float64(t.Failures))
		e.warmTouch.add(t.Hists[metrics.HistLatency])
	}
}

var connHists = []struct {
	reused string
	h      metrics.Hist
}{{"true", metrics.HistReused}, {"false", metrics.HistNew}}

var phaseHists = []struct {
	name string
	h    metrics.Hist
}{
	{"blocked", metrics.HistBlocked}, {"connect", metrics.HistConnect}, {"tls", metrics.HistTLS},
	{"sending", metrics.HistSending}, {"ttfb", metrics.HistTTFB}, {"receiving", metrics.HistReceiving},
}

func (e *Exporter) observeSeries(info metrics.SeriesInfo, s *metrics.SeriesAgg) {
	for _, c := range s.StatusCounts() {
		e.requests.WithLabelValues(info.Name, info.Method, strconv.Itoa(c.Code), strconv.FormatBool(c.Reused), info.Scenario).Add(float64(c.N))
	}
	for r, n := range s.Reasons {
		if n > 0 {
			e.failures.WithLabelValues(info.Name, info.Method, metrics.Reason(r).String(), info.Scenario).Add(float64(n))
		}
	}
	for _, c := range connHists {
		e.duration.add(s.Hists[c.h], info.Name, c.reused, info.Scenario)
	}
	for _, p := range phaseHists {
		e.phase.add(s.Hists[p.h], p.name)
	}
}
