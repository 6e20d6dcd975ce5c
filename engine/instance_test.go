package engine

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cohort-dev/cohort/bench/target"
	"github.com/cohort-dev/cohort/bench/target/redistest"
	"github.com/cohort-dev/cohort/profiles"
)

// roundRobin is a load balancer without stickiness: each request goes to
// the next instance.
type roundRobin struct {
	next      atomic.Uint64
	instances []http.Handler
}

func (rr *roundRobin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rr.instances[(rr.next.Add(1)-1)%uint64(len(rr.instances))].ServeHTTP(w, r)
}

// runBalanced runs spring-form with instance_header against two instances
// behind a round-robin balancer.
func runBalanced(t *testing.T, a, b http.Handler) (*Outcome, []string) {
	t.Helper()
	base := serve(t, &roundRobin{instances: []http.Handler{a, b}})
	cfg := rig(t, base, "spring-form", ConnShared, 0, func(p *profiles.Profile) {
		p.InstanceHeader = "X-Instance"
		p.Load = profiles.Load{Executor: profiles.ConstantVUs, VUs: 4, Duration: profiles.Duration(1500 * time.Millisecond)}
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
			// The balancer alternates: every request is one instance's, and
			// they served the same number, give or take the last one.
			if na+nb != reqs || na-nb > 1 || nb-na > 1 {
				t.Fatalf("instances served %d and %d of %d requests", na, nb, reqs)
			}
			s := tot.Sessions
			if s.Moved == 0 {
				t.Fatal("no session moved between instances under a round-robin balancer")
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
