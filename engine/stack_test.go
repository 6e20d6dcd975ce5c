package engine

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cohort-dev/cohort/bench/target"
	"github.com/cohort-dev/cohort/profiles"
	"github.com/cohort-dev/cohort/transport"
)

// TestMain runs the test binary as holdTarget's server when asked to.
func TestMain(m *testing.M) {
	if n := os.Getenv("COHORT_HOLD_TARGET"); n != "" {
		os.Exit(serveHeld(n))
	}
	os.Exit(m.Run())
}

// serveHeld serves the built-in target on loopback, printing its address,
// until vus sessions have each sent two API requests; from then on it holds
// every answer, prints "held" once vus answers are held, and lets them go
// when its standard input closes.
func serveHeld(vus string) int {
	want, err := strconv.Atoi(vus)
	if err != nil {
		return 2
	}
	tg, err := target.New(target.Config{})
	if err != nil {
		return 1
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 1
	}
	release := make(chan struct{})
	go func() {
		bufio.NewReader(os.Stdin).ReadByte() // EOF: the test is done looking
		close(release)
	}()
	var mu sync.Mutex
	seen, ready, held := map[string]int{}, 0, 0
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie("JSESSIONID"); err == nil && strings.HasPrefix(r.URL.Path, "/api/") {
			mu.Lock()
			if ready < want {
				if seen[c.Value]++; seen[c.Value] == 2 {
					ready++
				}
				mu.Unlock()
			} else {
				if held++; held == want {
					fmt.Println("held")
				}
				mu.Unlock()
				<-release
			}
		}
		tg.ServeHTTP(w, r)
	})
	fmt.Println(ln.Addr())
	http.Serve(ln, h)
	return 0
}

// holdTarget starts serveHeld in a process of its own (so that its
// goroutines' stacks are not the test's) for vus VUs; it returns the
// target's base URL, a channel closed once every VU has a request held,
// and release, which lets the answers go.
func holdTarget(t *testing.T, vus int) (base string, held <-chan struct{}, release func()) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "COHORT_HOLD_TARGET="+strconv.Itoa(vus))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() {
		t.Fatal("the held target printed no address")
	}
	base = "http://" + lines.Text()
	h := make(chan struct{})
	go func() {
		if lines.Scan() && lines.Text() == "held" {
			close(h)
		}
	}()
	return base, h, func() { stdin.Close() }
}

// stacksInUse is the memory of live goroutines' stacks, and of the few
// that ended and that the runtime keeps for goroutines to come (a VU moved
// to a new goroutine leaves one; a collection frees most).
func stacksInUse() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.StackInuse)
}

// startingStack is the stack the runtime gives a new goroutine: the mean
// of the stacks it scanned in its last collection, rounded up to a power
// of two.
func startingStack() uint64 {
	s := []metrics.Sample{{Name: "/gc/stack/starting-size:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// TestRequestLoopStack checks that a VU in its request loop holds a 4 KiB
// goroutine stack, not 8: at 10,000 VUs, 40 MB. Every VU logs in (a dial,
// an HTML login page: deep work, on a stack that grows to 8 KiB) and sends
// the mix over its kept connection; once each has sent two requests, the
// target holds every answer, and with one request in flight per VU the
// run's stacks are measured. The closed model with the connection's own
// buffers, and the open model with borrowed ones (transport.LeanVUs). Each
// case runs in a process of its own, whose stacks are the run's alone, and
// so does the target.
func TestRequestLoopStack(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector deepens every frame: stack sizes are not the program's")
	}
	for _, c := range []struct {
		name string
		vus  int
		load profiles.Load
	}{
		{"closed", 500, profiles.Load{Executor: profiles.ConstantVUs, VUs: 500, Duration: profiles.Duration(time.Hour)}},
		{"open", transport.LeanVUs, profiles.Load{Executor: profiles.ConstantArrivalRate, Rate: 10000,
			PreAllocatedVUs: transport.LeanVUs, MaxVUs: transport.LeanVUs, Duration: profiles.Duration(time.Hour)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if os.Getenv("COHORT_STACK_CASE") != c.name {
				inChild(t, c.name)
				return
			}
			base, held, release := holdTarget(t, c.vus)
			cfg := rig(t, base, "spring-form", transport.PerUser, 0, func(p *profiles.Profile) {
				p.Load = c.load
				p.Think = profiles.Think{}
			})
			before := stacksInUse()
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan *Outcome)
			go func() {
				out, err := Run(ctx, cfg)
				if err != nil {
					t.Error(err) // and out is nil
				}
				done <- out
			}()
			select {
			case <-held:
			case out := <-done:
				if out == nil {
					t.FailNow()
				}
				t.Fatalf("the run ended before every VU had a request in flight: %+v", out.Total.Sessions)
			}
			during := stacksInUse()
			release()
			cancel()
			out := <-done
			if out == nil {
				t.FailNow()
			}
			perVU := float64(during-before) / float64(c.vus) / 1024
			t.Logf("stacks: %.1f KiB a VU with a request in flight (new goroutines start with %d KiB)", perVU, startingStack()/1024)
			if perVU > 6 {
				t.Errorf("the run's stacks hold %.1f KiB a VU with a request in flight, want 4 (not 8)", perVU)
			}
			if s := out.Total.Sessions; s.Logins != int64(c.vus) || s.LoginFailures != 0 {
				t.Errorf("logins %d (%d failed), want %d (0)", s.Logins, s.LoginFailures, c.vus)
			}
		})
	}
}

// inChild runs the test's case name in a process of its own and reports
// what it found.
func inChild(t *testing.T, name string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()[:strings.IndexByte(t.Name(), '/')]+"$/^"+name+"$", "-test.v")
	cmd.Env = append(os.Environ(), "COHORT_STACK_CASE="+name)
	out, err := cmd.CombinedOutput()
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "stack_test.go") {
			t.Log(strings.TrimSpace(line))
		}
	}
	if err != nil {
		t.Errorf("the case's process: %v\n%s", err, out)
	}
}
