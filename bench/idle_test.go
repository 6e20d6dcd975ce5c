package bench

import (
	"context"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/pprof"
	"testing"
	"time"

	"github.com/cohort-dev/cohort/bench/target"
	"github.com/cohort-dev/cohort/engine"
	"github.com/cohort-dev/cohort/metrics"
	"github.com/cohort-dev/cohort/profiles"
	"github.com/cohort-dev/cohort/transport"
	"github.com/cohort-dev/cohort/virtualuser"
)

const idleProfile = `
name: idle
headers: {Accept: "text/html,application/json"}
users: {generate: {username: "user{{n}}", password: "pass{{n}}", start: 1}}
session: {cookie: JSESSIONID}
login:
  - name: login-page
    path: /login
    extract: [{name: csrf, css: 'input[name="_csrf"]', attr: value}]
  - name: login-submit
    path: /login
    form: {username: "{{user.username}}", password: "{{user.password}}", _csrf: "{{vars.csrf}}"}
    expect: {status: [302], location_not: error}
mix:
  - {name: profile, path: /api/profile, headers: {Accept: application/json}}
think: {type: constant, duration: 10m}
`

// BenchmarkIdleVUMemory logs in VUs that then think for ten minutes, and
// reports what one more idle VU costs: Go heap and goroutine stack in use
// after a collection, at 2,000 and at 6,000 VUs, divided by the 4,000 VUs
// between them (the fixed costs, such as the run's histograms, cancel
// out). This is design.md's budget (10 KiB per idle logged-in VU),
// measured without the noise of RSS.
func BenchmarkIdleVUMemory(b *testing.B) {
	const small, large = 2000, 6000
	if os.Getenv("COHORT_HEAP_PROFILE") != "" {
		runtime.MemProfileRate = 1 // every allocation, for a per-VU breakdown
	}
	for b.Loop() {
		h1, s1 := idleMemory(b, small)
		h2, s2 := idleMemory(b, large)
		heap, stack := (h2-h1)/(large-small), (s2-s1)/(large-small)
		b.ReportMetric(heap, "heapB/VU")
		b.ReportMetric(stack, "stackB/VU")
		b.ReportMetric(heap+stack, "B/VU")
	}
}

func idleMemory(b *testing.B, vus int) (heap, stack float64) {
	tg, _ := target.New(target.Config{})
	srv := httptest.NewServer(tg)
	defer srv.Close()
	p, err := profiles.Parse("idle.yaml", []byte(idleProfile))
	if err != nil {
		b.Fatal(err)
	}
	p.BaseURL = srv.URL
	p.Load = profiles.Load{Executor: profiles.ConstantVUs, VUs: vus, Duration: profiles.Duration(time.Hour),
		LoginRate: 2000, GracefulStop: profiles.Duration(time.Second)}
	if err := p.CheckLoad(); err != nil {
		b.Fatal(err)
	}
	users := virtualuser.NewGeneratedPool(*p.Users.Generate, false)
	plan, err := virtualuser.Compile(p, virtualuser.Options{Columns: users.Columns()})
	if err != nil {
		b.Fatal(err)
	}
	pool, _ := transport.NewPool(transport.Config{Mode: transport.PerUser, VUs: vus})
	defer pool.Close()
	baseHeap, baseStack := inUse()
	ctx, stop := context.WithCancel(context.Background())
	measured := false
	_, err = engine.Run(ctx, engine.Config{Plan: plan, Users: users, Load: p.Load, Pool: pool,
		Collector: metrics.NewCollector(plan.Series, 2), Interval: 200 * time.Millisecond,
		Tick: func(t metrics.Snapshot) {
			if measured || t.Total.Iterations < int64(vus) {
				return
			}
			// Every VU has logged in, sent its request, and is thinking.
			// The target's sessions are in the same process: take its
			// share out by measuring it alone below.
			h, s := inUse()
			heap, stack = h-baseHeap, s-baseStack
			if path := os.Getenv("COHORT_HEAP_PROFILE"); path != "" {
				if f, err := os.Create(path); err == nil {
					pprof.WriteHeapProfile(f)
					f.Close()
				}
			}
			measured = true
			stop()
		}})
	if err != nil || !measured {
		b.Fatalf("run: %v (measured: %v)", err, measured)
	}
	// The target holds one session per VU: subtract what the target alone
	// holds for as many sessions (BenchmarkLiveSessionMemory measures it).
	heap -= float64(vus) * targetSessionBytes
	return heap, stack
}

// targetSessionBytes is the target's heap per live session
// (bench/target BenchmarkLiveSessionMemory, bench/RESULTS.md).
const targetSessionBytes = 355

func inUse() (heap, stack float64) {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapAlloc), float64(m.StackInuse)
}
