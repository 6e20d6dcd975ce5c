package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cohort-dev/cohort/bench/target"
	"github.com/cohort-dev/cohort/metrics/results"
)

// TestMain lets the test binary stand in for cohort in subprocess tests.
func TestMain(m *testing.M) {
	if os.Getenv("COHORT_TEST_AS_MAIN") == "1" {
		os.Args = append([]string{"cohort"}, os.Args[1:]...)
		main()
	}
	os.Exit(m.Run())
}

// cohortProcess starts the test binary as cohort with args.
func cohortProcess(t *testing.T, args ...string) (*exec.Cmd, *bufio.Scanner) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "COHORT_TEST_AS_MAIN=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd, bufio.NewScanner(out)
}

func TestInterruptWritesResultsAndExits130(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "r.json")
			logins := make(chan struct{}, 100)
			tg, err := target.New(target.Config{OnLogin: func() {
				select {
				case logins <- struct{}{}:
				default:
				}
			}})
			if err != nil {
				t.Fatal(err)
			}
			base, err := tg.Start("127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer tg.Close(context.Background())
			cmd, lines := cohortProcess(t, "run", "spring-form", "--base-url", base, "--vus", "5", "--duration", "1h", "--out", path,
				"--html", filepath.Join(dir, "r.html"), "--hgrm", filepath.Join(dir, "hgrm"), "--no-progress")
			if !lines.Scan() { // the banner: the run has started
				t.Fatal("no banner")
			}
			// Interrupt a run that has done some work: every VU logged in.
			deadline := time.NewTimer(time.Minute)
			defer deadline.Stop()
			for i := range 5 {
				select {
				case <-logins:
				case <-deadline.C:
					t.Fatalf("only %d of 5 VUs logged in after a minute", i)
				}
			}
			cmd.Process.Signal(sig)
			for lines.Scan() {
			}
			err = cmd.Wait()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != exitInterrupted {
				t.Fatalf("wait: %v, want exit code 130", err)
			}
			r, err := results.ReadResult(path)
			if err != nil {
				t.Fatal(err)
			}
			if !r.Interrupted || r.DurationS > 60 {
				t.Fatalf("result: interrupted %v after %.1fs", r.Interrupted, r.DurationS)
			}
			for _, f := range []string{"r.html", "hgrm/all.hgrm"} {
				if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
					t.Fatalf("%s not written: %v", f, err)
				}
			}
			if tmp, _ := filepath.Glob(filepath.Join(dir, ".*.tmp")); len(tmp) != 0 {
				t.Fatalf("temporary files left: %v", tmp)
			}
		})
	}
}

// TestSecondSignalAborts interrupts a run whose VUs cannot finish (every
// request hangs): the first signal starts the graceful stop, the second
// ends the process at once. Each signal waits for the event it needs:
// the first for both VUs' requests to reach the server (a signal before
// that finds no iteration to wait for, and the run simply ends), the
// second for the line that says the graceful stop has begun.
func TestSecondSignalAborts(t *testing.T) {
	arrived := make(chan struct{}, 2)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-release
	}))
	defer srv.Close()
	defer close(release)
	profile := filepath.Join(t.TempDir(), "hang.yaml")
	os.WriteFile(profile, []byte(`name: hang
users: {share: true}
mix: [{name: get, path: /}]
load: {executor: constant-vus, vus: 2, duration: 1h, graceful_stop: 1h}
`), 0o644)
	cmd := exec.Command(os.Args[0], "run", profile, "--base-url", srv.URL, "--no-progress")
	cmd.Env = append(os.Environ(), "COHORT_TEST_AS_MAIN=1")
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	errs := bufio.NewScanner(stderr)
	early := make(chan string, 1)
	go func() { // a run that ends before its requests arrive says why
		var lines []string
		for errs.Scan() && !strings.Contains(errs.Text(), "a second Ctrl-C aborts") {
			lines = append(lines, errs.Text())
		}
		early <- strings.Join(lines, "\n")
	}()
	for range 2 {
		select {
		case <-arrived:
		case msg := <-early:
			t.Fatalf("the run ended before its requests arrived:\n%s", msg)
		}
	}
	cmd.Process.Signal(syscall.SIGINT)
	if msg := <-early; errs.Err() != nil || !strings.Contains(errs.Text(), "a second Ctrl-C aborts") {
		t.Fatalf("the first signal did not start a graceful stop:\n%s", msg)
	}
	cmd.Process.Signal(syscall.SIGINT)
	go io.Copy(io.Discard, stderr)
	err := cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("wait: %v", err)
	}
	if ws, ok := exit.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGINT {
		t.Fatalf("the process ended with %v, want killed by the second SIGINT", exit)
	}
}

// TestNoStoppingLineWithoutASignal: the line that a signal is being
// handled is printed on a signal only, not when a run ends or is refused.
func TestNoStoppingLineWithoutASignal(t *testing.T) {
	for _, args := range [][]string{{"run", "basic", "--vus", "1", "--iterations", "2", "--quiet"}, {"run", "basic", "--vus", "0"}} {
		cmd := exec.Command(os.Args[0], args...)
		cmd.Env = append(os.Environ(), "COHORT_TEST_AS_MAIN=1")
		out, _ := cmd.CombinedOutput()
		if strings.Contains(string(out), "stopping") {
			t.Errorf("cohort %v said it was stopping on no signal:\n%s", args, out)
		}
	}
}

// TestInterruptWhileWaitingToStart: Ctrl-C during --start-at still prints
// the summary and writes --out (an interrupted run that measured nothing),
// and exits 130.
func TestInterruptWhileWaitingToStart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.json")
	at := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	cmd, lines := cohortProcess(t, "run", "basic", "--start-at", at, "--out", path, "--no-progress")
	for lines.Scan() && !strings.HasPrefix(lines.Text(), "waiting ") {
	}
	cmd.Process.Signal(syscall.SIGINT)
	var out strings.Builder
	for lines.Scan() {
		out.WriteString(lines.Text() + "\n")
	}
	err := cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != exitInterrupted {
		t.Fatalf("wait: %v, want exit code 130", err)
	}
	r, err := results.ReadResult(path)
	if err != nil || !r.Interrupted || r.Totals.Requests != 0 {
		t.Fatalf("result %v: %+v", err, r)
	}
	if !strings.Contains(out.String(), "cohort: basic") {
		t.Fatalf("no summary:\n%s", out.String())
	}
}
