package engine

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/cohort-dev/cohort/bench/target"
	"github.com/cohort-dev/cohort/bench/target/redistest"
	"github.com/cohort-dev/cohort/profiles"
	"github.com/cohort-dev/cohort/transport"
)

// mover is a load balancer that moves each session to the other instance
// every third request: the session's own count decides, not the order in
// which the VUs' requests happen to arrive, so every run moves sessions
// (a plain round robin, on a busy machine, can interleave the VUs so that
// no login ever completes on separate stores, and no logged-in session is
// ever moved). Requests without a session go to the first instance.
type mover struct {
	mu        sync.Mutex
	seen      map[string]int // requests so far, by session cookie
	instances []http.Handler
}

func (m *mover) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	i := 0
	if c, err := r.Cookie("JSESSIONID"); err == nil {
		m.mu.Lock()
		m.seen[c.Value]++
		i = m.seen[c.Value] / 3 % len(m.instances)
		m.mu.Unlock()
	}
	m.instances[i].ServeHTTP(w, r)
}

// runBalanced runs spring-form with instance_header against two instances
// behind a balancer that moves sessions.
func runBalanced(t *testing.T, a, b http.Handler) (*Outcome, []string) {
	t.Helper()
	base := serve(t, &mover{seen: map[string]int{}, instances: []http.Handler{a, b}})
	cfg := rig(t, base, "spring-form", transport.Shared, 0, func(p *profiles.Profile) {
		p.InstanceHeader = "X-Instance"
		p.Load = profiles.Load{Executor: profiles.ConstantVUs, VUs: 4, Iterations: 40}
	})
	cfg.Interval = 100 * time.Millisecond
	return mustRun(t, cfg), cfg.Collector.InstanceNames()
}

func TestInstancesAndMovedSessions(t *testing.T) {
	shared, _ := target.New(target.Config{Instance: "a"})
	separateA, _ := target.New(target.Config{Instance: "a"})
	separateB, _ := target.New(target.Config{Instance: "b"})
	// Two instances that share a real Redis, as two Spring Session
	// applications would.
	u := redistest.Start(t)
	redisA, _ := target.New(target.Config{Instance: "a", Store: u})
	redisB, _ := target.New(target.Config{Instance: "b", Store: u})
	defer redisA.Close(context.Background())
	defer redisB.Close(context.Background())
	cases := []struct {
		name string
		a, b http.Handler
		// lost says whether a session that moves is lost: the instances
		// do not share their session store.
		lost bool
	}{
		{"shared store", shared, shared.Sibling("b"), false},
		{"a store each", separateA, separateB, true},
		{"one Redis", redisA, redisB, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, names := runBalanced(t, c.a, c.b)
			tot := out.Total
			if len(names) != 2 || len(tot.Instances) != 2 {
				t.Fatalf("instances %v, %d aggregates", names, len(tot.Instances))
			}
			reqs, _ := tot.Requests()
			na, nb := tot.Instances[0].Count, tot.Instances[1].Count
			// Every request is one instance's, and both served some.
			if na+nb != reqs || na == 0 || nb == 0 {
				t.Fatalf("instances served %d and %d of %d requests", na, nb, reqs)
			}
			s := tot.Sessions
			if s.Moved == 0 {
				t.Fatal("no session moved between instances")
			}
			if c.lost != (s.MovedLost > 0) || c.lost != (s.SessionsLost > 0) {
				t.Fatalf("moved %d, lost after a move %d, lost %d", s.Moved, s.MovedLost, s.SessionsLost)
			}
			if s.MovedLost > s.SessionsLost {
				t.Fatalf("%d sessions lost after a move, but only %d lost", s.MovedLost, s.SessionsLost)
			}
		})
	}
}
