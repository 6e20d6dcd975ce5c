package engine

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cohort-dev/cohort/bench/target"
	"github.com/cohort-dev/cohort/metrics"
	"github.com/cohort-dev/cohort/profiles"
	"github.com/cohort-dev/cohort/transport"
	"github.com/cohort-dev/cohort/virtualuser"
)

func TestShapeVUsAt(t *testing.T) {
	stages := func(s string) []profiles.Stage {
		st, err := profiles.ParseStages(s)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	ramp := Shape{Start: 0, Stages: stages("10s:10,20s:10,10s:0")}
	cases := []struct {
		shape   Shape
		elapsed time.Duration
		want    int
	}{
		{ramp, 0, 0},                      // ramps start from start_vus
		{ramp, 999 * time.Millisecond, 0}, // the first VU waits for its whole share
		{ramp, time.Second, 1},
		{ramp, 5 * time.Second, 5},
		{ramp, 10 * time.Second, 10}, // top of the ramp
		{ramp, 25 * time.Second, 10}, // holding
		{ramp, 35 * time.Second, 5},  // half way down
		{ramp, 40 * time.Second, 0},  // done
		{ramp, time.Hour, 0},         // after the end: the last target
		{Shape{Start: 4, Stages: stages("10s:4")}, 3 * time.Second, 4},         // constant
		{Shape{Start: 4, Stages: []profiles.Stage{{Target: 4}}}, time.Hour, 4}, // constant, bounded by iterations
		{Shape{Start: 2, Stages: stages("0s:8,10s:8")}, time.Millisecond, 8},   // a jump
		{Shape{Start: 10, Stages: stages("10s:0")}, 5 * time.Second, 5},        // ramp down from start
	}
	for _, c := range cases {
		if got := c.shape.VUsAt(c.elapsed); got != c.want {
			t.Errorf("%+v at %v: %d VUs, want %d", c.shape, c.elapsed, got, c.want)
		}
	}
	if ramp.Max() != 10 || ramp.Duration() != 40*time.Second {
		t.Errorf("max %d duration %v", ramp.Max(), ramp.Duration())
	}
}

// serve starts h on a loopback test server for the test's duration.
func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// rig compiles built-in profile name against base, after edit adjusts it
// (load, think, ...), and returns a run's configuration over a pool in
// connection mode mode, sized for the profile's VUs and extra more.
func rig(t *testing.T, base, name, mode string, extra int, edit func(*profiles.Profile)) Config {
	t.Helper()
	return rigOn(t, nil, base, name, mode, extra, edit)
}

// rigOn is rig over network (nil: TCP).
func rigOn(t *testing.T, network transport.Network, base, name, mode string, extra int, edit func(*profiles.Profile)) Config {
	t.Helper()
	p, err := profiles.Builtin(name)
	if err != nil {
		t.Fatal(err)
	}
	p.BaseURL = base
	// The engine's tests count an iteration as one request: the built-in
	// profiles' journeys are left out (a test's edit can add its own).
	p.Mix = slices.DeleteFunc(p.Mix, func(r profiles.Request) bool { return r.Journey() })
	if edit != nil {
		edit(p)
	}
	if p.Load.GracefulStop == 0 {
		p.Load.GracefulStop = profiles.Duration(5 * time.Second) // in-flight work ends, not abandoned
	}
	if err := p.CheckLoad(); err != nil {
		t.Fatal(err)
	}
	users := virtualuser.NewGeneratedPool(*p.Users.Generate, false)
	plan, err := virtualuser.Compile(p, virtualuser.Options{Columns: users.Columns()})
	if err != nil {
		t.Fatal(err)
	}
	pool, err := transport.NewPool(transport.Config{Mode: mode, VUs: p.Load.PeakVUs() + extra, Network: network})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return Config{Plan: plan, Users: users, Load: p.Load, Pool: pool,
		Collector: metrics.NewCollector(plan.Series, 2), Interval: 50 * time.Millisecond}
}

// mustRun runs cfg.
func mustRun(t *testing.T, cfg Config) *Outcome {
	t.Helper()
	out, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// runAgainst runs a built-in profile against an in-process target.
func runAgainst(t *testing.T, name string, tc target.Config, load profiles.Load) (*Outcome, *target.Target) {
	t.Helper()
	tg, err := target.New(tc)
	if err != nil {
		t.Fatal(err)
	}
	cfg := rig(t, serve(t, tg), name, transport.Shared, 0, func(p *profiles.Profile) { p.Load = load })
	cfg.Interval = 100 * time.Millisecond
	return mustRun(t, cfg), tg
}

func TestRunMatchesWhatTheTargetSaw(t *testing.T) {
	out, tg := runAgainst(t, "spring-form", target.Config{},
		profiles.Load{Executor: profiles.ConstantVUs, VUs: 12, Iterations: 240})
	st := tg.Stats()
	reqs, fails := out.Total.Requests()
	if out.Total.Iterations != 240 || fails != 0 || out.MaxVUs != 12 {
		t.Fatalf("iterations %d failures %d max VUs %d", out.Total.Iterations, fails, out.MaxVUs)
	}
	// Every request cohort counted reached the target, and no more.
	if reqs != st.Requests {
		t.Fatalf("cohort counted %d requests, the target served %d", reqs, st.Requests)
	}
	s := out.Total.Sessions
	if s.Logins != st.LoginsOK || s.Rotations != st.Rotated || s.Logouts != st.Invalidated || st.LiveSessions != 0 {
		t.Fatalf("cohort %+v, target %+v", s, st)
	}
}

func TestRampingStartsAndStopsVUs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newSim(t, target.Config{Latency: simLatency})
		st, _ := profiles.ParseStages("300ms:6,300ms:6,300ms:0")
		cfg := s.rig(t, "spring-form", transport.Shared, 0, func(p *profiles.Profile) {
			p.Load = profiles.Load{Executor: profiles.RampingVUs, Stages: st}
		})
		most := 0
		cfg.Tick = func(tk metrics.Snapshot) { most = max(most, tk.VUs) }
		out := s.run(t, cfg)
		if out.MaxVUs != 6 || most != 6 {
			t.Fatalf("max VUs %d, up to %d seen at an interval; want 6", out.MaxVUs, most)
		}
		sess := out.Total.Sessions
		if sess.Logins != 6 || sess.Logouts != 6 || s.target.Stats().LiveSessions != 0 {
			t.Fatalf("sessions %+v, live on the target %d: every VU ramped up must log in and, ramped down, log out", sess, s.target.Stats().LiveSessions)
		}
		// The shape ends at 900 ms; the last VU stopped then finishes the
		// request it is in, if any, and logs out: one request each.
		if end := 900 * time.Millisecond; out.Interrupted || out.Duration < end || out.Duration > end+2*simLatency {
			t.Fatalf("interrupted %v after %v: the run ends with its shape, at 900 ms, and the last logout", out.Interrupted, out.Duration)
		}
	})
}

// TestCancelInterrupts cancels a run whose 3 VUs each wait on a request
// that never gets an answer: the hung iterations are abandoned at the end
// of the graceful stop, counted as interrupted, not as requests.
func TestCancelInterrupts(t *testing.T) {
	release := make(chan struct{})
	arrived := make(chan struct{}, 3)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-release // every request hangs until the test ends
	}))
	defer srv.Close()
	defer close(release)
	cfg := rig(t, srv.URL, "basic", transport.Shared, 0, func(p *profiles.Profile) {
		p.Load = profiles.Load{Executor: profiles.ConstantVUs, VUs: 3, Duration: profiles.Duration(time.Hour),
			GracefulStop: profiles.Duration(100 * time.Millisecond)}
	})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for range 3 {
			<-arrived
		}
		cancel() // every VU is in its first request
	}()
	out, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !out.Interrupted || out.Total.Interrupted != 3 {
		t.Fatalf("interrupted %v, interrupted iterations %d; want the 3 hung iterations abandoned", out.Interrupted, out.Total.Interrupted)
	}
	if reqs, _ := out.Total.Requests(); reqs != 0 {
		t.Fatalf("%d abandoned requests were recorded as requests", reqs)
	}
}

func TestArrivalsAt(t *testing.T) {
	ms := func(n float64) time.Duration { return time.Duration(n * float64(time.Millisecond)) }
	constant := Arrivals{Start: 100, Stages: []RateStage{{Duration: time.Second, Target: 100}}}
	ramp := Arrivals{Start: 0, Stages: []RateStage{{Duration: 10 * time.Second, Target: 10}, {Duration: time.Second, Target: 10}}}
	cases := []struct {
		name string
		a    Arrivals
		n    int64
		want time.Duration
		ok   bool
	}{
		{"first arrival at the start", constant, 0, 0, true},
		{"every 10 ms at 100/s", constant, 1, ms(10), true},
		{"the 100th", constant, 99, ms(990), true},
		{"past the end", constant, 100, 0, false},
		// Rate t/s over 10 s: the integral t^2/2 reaches n at sqrt(2n).
		{"ramp from 0: n=2 at 2 s", ramp, 2, 2 * time.Second, true},
		{"ramp from 0: n=32 at 8 s", ramp, 32, 8 * time.Second, true},
		{"ramp done: 50 by 10 s, then 10/s", ramp, 55, 10*time.Second + ms(500), true},
		{"after the last stage", ramp, 61, 0, false},
	}
	for _, c := range cases {
		got, ok := c.a.At(c.n)
		if ok != c.ok || (ok && (got-c.want).Abs() > time.Microsecond) {
			t.Errorf("%s: At(%d) = %v, %v; want %v, %v", c.name, c.n, got, ok, c.want, c.ok)
		}
	}
}

// TestOpenModelShowsStalls runs an arrival rate into a target that stalls
// every so often, on a fake clock: each request's latency, counted from
// when it was due, is exactly the stall it met plus the target's latency,
// so the stall shows in the tail and not in the median; and with too few
// VUs the arrivals that find none free are dropped, not delayed.
func TestOpenModelShowsStalls(t *testing.T) {
	const (
		rate    = 100 // arrivals per second: one every 10 ms
		latency = 3 * time.Millisecond
	)
	cases := []struct {
		name         string
		every, stall time.Duration
		run          time.Duration
		maxVUs       int
		// dropped says which arrivals find no VU free: the 10 VUs are all
		// stalled from the 10th arrival of a stall window to its end.
		dropped func(at time.Duration) bool
	}{
		{"enough VUs", 2 * time.Second, 400 * time.Millisecond, 4 * time.Second, 200,
			func(time.Duration) bool { return false }},
		{"too few VUs", time.Second, 300 * time.Millisecond, 2 * time.Second, 10,
			func(at time.Duration) bool {
				into := at % time.Second
				return into >= 100*time.Millisecond && into <= 300*time.Millisecond // free again at 303 ms
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := newSim(t, target.Config{Basic: true, StallEvery: c.every, StallFor: c.stall, Latency: latency})
				cfg := s.rig(t, "basic", transport.Shared, 0, func(p *profiles.Profile) {
					p.Load = profiles.Load{Executor: profiles.ConstantArrivalRate, Rate: rate, TimeUnit: profiles.Duration(time.Second),
						Duration: profiles.Duration(c.run), PreAllocatedVUs: 10, MaxVUs: c.maxVUs}
				})
				out := s.run(t, cfg)
				// What each arrival must have measured: the rest of the
				// stall window it arrived in, plus the latency.
				want := metrics.NewHistogram()
				var dropped int64
				for at := time.Duration(0); at < c.run; at += time.Second / rate {
					if c.dropped(at) {
						dropped++
						continue
					}
					wait := time.Duration(0)
					if into := at % c.every; into < c.stall {
						wait = c.stall - into
					}
					metrics.RecordDuration(want, wait+latency)
				}
				got := out.Total.AllLatency(nil)
				for _, q := range []float64{50, 90, 95, 99, 99.9, 100} {
					if g, w := metrics.Percentile(got, q), metrics.Percentile(want, q); g != w {
						t.Errorf("p%g: %d µs, want %d µs", q, g, w)
					}
				}
				if got.TotalCount() != want.TotalCount() || out.Total.Dropped != dropped || out.Total.Interrupted != 0 {
					t.Errorf("%d requests measured and %d dropped (%d interrupted), want %d and %d",
						got.TotalCount(), out.Total.Dropped, out.Total.Interrupted, want.TotalCount(), dropped)
				}
				if out.Total.Iterations != want.TotalCount() || out.Total.Lag.TotalCount() != int64(c.run.Seconds()*rate) {
					t.Errorf("%d iterations, scheduler lag recorded for %d arrivals", out.Total.Iterations, out.Total.Lag.TotalCount())
				}
				if lag := out.Total.Lag.Max(); lag > 1 { // 0 is recorded as the floor, 1 µs
					t.Errorf("scheduler lag up to %d µs on a fake clock: every arrival is handed out when due", lag)
				}
			})
		})
	}
}

// TestParkedVUsHoldNoGoroutine checks that VUs thinking for long wait as
// data, not as goroutines, and that a ramp-down still wakes each of them
// to log out. On a fake clock, the four VUs are up by 200 ms; every
// interval from then until the ramp-down at 1.2 s must find all four
// parked.
func TestParkedVUsHoldNoGoroutine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newSim(t, target.Config{})
		cfg := s.rig(t, "spring-form", transport.PerUser, 0, func(p *profiles.Profile) {
			p.Think = profiles.Think{Type: "constant", Duration: profiles.Duration(10 * time.Minute)}
			st, _ := profiles.ParseStages("200ms:4,1s:4,200ms:0")
			p.Load = profiles.Load{Executor: profiles.RampingVUs, Stages: st}
		})
		within, parked := 0, 0
		cfg.Interval = 20 * time.Millisecond
		cfg.Tick = func(tk metrics.Snapshot) {
			if tk.Elapsed <= 200*time.Millisecond || tk.Elapsed >= 1200*time.Millisecond {
				return
			}
			within++
			if tk.Total.Iterations == 4 && tk.VUs == 4 && tk.LoggedIn == 4 && runningWorkers() == 0 {
				parked++
			}
		}
		out := s.run(t, cfg)
		if within != 49 || parked != within {
			t.Errorf("%d of %d intervals saw all four thinking VUs parked without a goroutine, want 49 of 49", parked, within)
		}
		sess := out.Total.Sessions
		if out.Total.Iterations != 4 || sess.Logins != 4 || sess.Logouts != 4 || s.target.Stats().LiveSessions != 0 {
			t.Fatalf("iterations %d, sessions %+v, live on the target %d: each VU thinks once and, ramped down, logs out",
				out.Total.Iterations, sess, s.target.Stats().LiveSessions)
		}
	})
}

// runningWorkers counts the goroutines running a closed-model VU.
func runningWorkers() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	return bytes.Count(buf, []byte("engine.(*worker).loop"))
}

// TestVUsAwaitTheirLoginTurnParked checks that, under a login rate cap,
// VUs waiting for their turn to log in hold no goroutine, and that each
// logs in once, on its turn: at 20 logins/s, the k-th at (k-1)·50 ms.
func TestVUsAwaitTheirLoginTurnParked(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newSim(t, target.Config{})
		cfg := s.rig(t, "spring-form", transport.PerUser, 0, func(p *profiles.Profile) {
			p.Think = profiles.Think{Type: "constant", Duration: profiles.Duration(10 * time.Minute)}
			p.Load = profiles.Load{Executor: profiles.ConstantVUs, VUs: 10, Iterations: 10, LoginRate: 20}
		})
		ticks := 0
		cfg.Interval = 33 * time.Millisecond // never at a login's turn
		cfg.Tick = func(tk metrics.Snapshot) {
			if tk.Total.Iterations == 10 {
				return
			}
			ticks++
			want := min(10, int(tk.Elapsed/(50*time.Millisecond))+1)
			if tk.LoggedIn != want || runningWorkers() != 0 {
				t.Errorf("at %v: %d VUs logged in, %d VU goroutines; want %d logged in and every VU awaiting its turn parked",
					tk.Elapsed, tk.LoggedIn, runningWorkers(), want)
			}
		}
		out := s.run(t, cfg)
		st := s.target.Stats()
		if ticks != 13 || out.Total.Sessions.Logins != 10 || st.LoginsOK != 10 || st.Users != 10 {
			t.Fatalf("%d intervals before the last login; cohort logged in %d times, the target saw %d logins by %d users: want 13 intervals, 10 logins by 10 users",
				ticks, out.Total.Sessions.Logins, st.LoginsOK, st.Users)
		}
	})
}

// TestCookieSizes checks the sizes recorded of the sessions' cookies: a
// Tomcat JSESSIONID is 32 hex characters, and the Cookie header carries it
// alone.
func TestCookieSizes(t *testing.T) {
	out, _ := runAgainst(t, "spring-form", target.Config{},
		profiles.Load{Executor: profiles.ConstantVUs, VUs: 3, Iterations: 30})
	ch, sc := out.Total.CookieHeader, out.Total.SessionCookie
	if ch == nil || sc == nil {
		t.Fatal("no cookie sizes recorded")
	}
	// "JSESSIONID=" and 32 characters, each time a response set the cookie.
	if ch.Min() != 43 || ch.Max() != 43 || sc.Min() != 32 || sc.Max() != 32 {
		t.Fatalf("Cookie header %d..%d B, session cookie %d..%d B", ch.Min(), ch.Max(), sc.Min(), sc.Max())
	}
	if n := ch.TotalCount(); n != out.Total.Sessions.Issued {
		t.Fatalf("%d sizes taken, %d session ids issued: one per response that set the cookie", n, out.Total.Sessions.Issued)
	}
}

// TestLoginsCutShortAreCounted: logins still under way when the graceful
// stop runs out are counted as interrupted, not lost from every figure nor
// taken for failures.
func TestLoginsCutShortAreCounted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newSim(t, target.Config{Latency: time.Second}) // a login of three steps takes 3 s
		cfg := s.rig(t, "spring-form", transport.Shared, 0, func(p *profiles.Profile) {
			p.Load = profiles.Load{Executor: profiles.ConstantVUs, VUs: 4, Duration: profiles.Duration(500 * time.Millisecond),
				GracefulStop: profiles.Duration(200 * time.Millisecond)}
		})
		out := s.run(t, cfg)
		if sess := out.Total.Sessions; sess.LoginsInterrupted != 4 || sess.Logins != 0 || sess.LoginFailures != 0 {
			t.Fatalf("sessions %+v: want 4 logins interrupted, none passed or failed", sess)
		}
	})
}

// TestPerVUIterationsAreExact: under per-vu-iterations each VU does
// exactly its iterations, however fast the others are, then logs out.
// The target counts each session's mix requests.
func TestPerVUIterationsAreExact(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newSim(t, target.Config{Latency: simLatency})
		var mu sync.Mutex
		perSession := map[string]int{}
		inner := s.net.Handler
		s.net.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, "/api/") {
				if c, err := r.Cookie("JSESSIONID"); err == nil {
					mu.Lock()
					perSession[c.Value]++
					mu.Unlock()
				}
			}
			inner.ServeHTTP(w, r)
		})
		cfg := s.rig(t, "spring-form", transport.Shared, 0, func(p *profiles.Profile) {
			p.Load = profiles.Load{Executor: profiles.PerVUIterations, VUs: 3, Iterations: 4}
			// Think times vary from 10 to 400 ms: shared iterations would
			// go to whichever VU is free first.
			p.Think = profiles.Think{Type: "uniform", Min: profiles.Duration(10 * time.Millisecond), Max: profiles.Duration(400 * time.Millisecond)}
		})
		out := s.run(t, cfg)
		if out.Total.Iterations != 12 || out.Total.Sessions.Logouts != 3 {
			t.Fatalf("%d iterations, %d logouts; want 12 and 3", out.Total.Iterations, out.Total.Sessions.Logouts)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(perSession) != 3 {
			t.Fatalf("%d sessions sent mix requests, want 3: %v", len(perSession), perSession)
		}
		for id, n := range perSession {
			if n != 4 {
				t.Errorf("session %s… sent %d mix requests, want 4", id[:6], n)
			}
		}
	})
}

// orderJourney is a journey over the built-in target's orders: place one,
// read it back by the id the first step extracted, delete it. bad makes the
// second step ask for an order that is not there.
func orderJourney(bad bool) []profiles.Request {
	read := "/api/orders/{{vars.order_id}}"
	if bad {
		read = "/api/orders/999999"
	}
	step := func(name, method, path string, expect []int) profiles.JourneyStep {
		return profiles.JourneyStep{Step: profiles.Step{Name: name, Method: method, Path: path,
			Headers: map[string]string{"Accept": "application/json", "X-CSRF-TOKEN": "{{vars.csrf}}"},
			Expect:  profiles.Expect{Status: expect}}}
	}
	place := step("place", "POST", "/api/orders", []int{201})
	place.JSON = map[string]any{"item": "book", "qty": 1}
	place.Extract = []profiles.Extractor{{Name: "order_id", JSON: "id"}}
	place.Think = profiles.Think{Type: profiles.ThinkConstant, Duration: profiles.Duration(100 * time.Millisecond)}
	return []profiles.Request{{Step: profiles.Step{Name: "order"}, Weight: 1, Steps: []profiles.JourneyStep{
		place, step("read", "GET", read, []int{200}), step("cancel", "DELETE", "/api/orders/{{vars.order_id}}", []int{204})}}}
}

// TestJourneysRunInOrder: a journey's steps run in order, a value one
// extracts used by the next; each step has its row, the journey its
// duration with its pauses in it; a failed step ends its journey under the
// step's reason, and the steps after it are not sent. On a fake clock.
func TestJourneysRunInOrder(t *testing.T) {
	for _, bad := range []bool{false, true} {
		t.Run(map[bool]string{false: "clean", true: "a step fails"}[bad], func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := newSim(t, target.Config{Latency: simLatency})
				cfg := s.rig(t, "spring-form", transport.Shared, 0, func(p *profiles.Profile) {
					p.Load = profiles.Load{Executor: profiles.ConstantVUs, VUs: 2, Iterations: 6}
					p.Mix = orderJourney(bad)
					p.Think = profiles.Think{Type: profiles.ThinkNone}
				})
				out := s.run(t, cfg)
				steps := map[string]int64{}
				for i, info := range cfg.Plan.Series {
					steps[info.Name] = out.Total.Series[i].Count
				}
				j := out.Total.Journeys[0]
				if out.Total.Iterations != 6 || j.Count != 6 || steps["order/place"] != 6 || steps["order/read"] != 6 {
					t.Fatalf("%d iterations, %d journeys, steps %v; want 6 of each", out.Total.Iterations, j.Count, steps)
				}
				if !bad && (j.Failed != 0 || steps["order/cancel"] != 6) {
					t.Fatalf("%d journeys failed, %d cancels; want none failed, 6 cancels", j.Failed, steps["order/cancel"])
				}
				if bad && (j.Failed != 6 || j.Reasons[metrics.ReasonStatus] != 6 || steps["order/cancel"] != 0) {
					t.Fatalf("%d journeys failed (%d for status), %d cancels; want 6 failed for status, no cancel", j.Failed, j.Reasons[metrics.ReasonStatus], steps["order/cancel"])
				}
				if least := time.Duration(j.Latency.Min()) * time.Microsecond; least < 100*time.Millisecond+simLatency {
					t.Fatalf("the shortest journey took %v: its 100 ms pause and its requests are not in it", least)
				}
			})
		})
	}
}
