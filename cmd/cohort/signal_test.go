package main

import (
	"context"
	"runtime"

	"bufio"
	"errors"
	"github.com/cohort-dev/cohort/bench/target"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/cohort-dev/cohort/metrics"
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
			tg, err := target.New(target.Config{})
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
			for tg.Stats().LoginsOK < 5 {
				runtime.Gosched()
			}
			cmd.Process.Signal(sig)
			for lines.Scan() {
			}
			err = cmd.Wait()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != exitInterrupted {
				t.Fatalf("wait: %v, want exit code 130", err)
			}
			r, err := metrics.ReadResult(path)
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
// ends the process at once.
func TestSecondSignalAborts(t *testing.T) {
	profile := writeProfile(t, "basic", func(s string) string {
		return strings.Replace(s, `demo_target: ["--basic"]`, `demo_target: ["--basic", "--latency", "1h"]`, 1) +
			"" // the load below gives VUs an hour to finish
	})
	profile2 := profile + ".yaml"
	data, _ := os.ReadFile(profile)
	os.WriteFile(profile2, []byte(strings.Replace(string(data), "load: {executor: constant-vus, vus: 50, duration: 10s}",
		"load: {executor: constant-vus, vus: 2, duration: 1h, graceful_stop: 1h}", 1)), 0o644)
	cmd := exec.Command(os.Args[0], "run", profile2, "--no-progress")
	cmd.Env = append(os.Environ(), "COHORT_TEST_AS_MAIN=1")
	stdout, _ := cmd.StdoutPipe()
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	out := bufio.NewScanner(stdout)
	if !out.Scan() {
		t.Fatal("no banner")
	}
	cmd.Process.Signal(syscall.SIGINT)
	errs := bufio.NewScanner(stderr)
	stopping := false
	for !stopping && errs.Scan() {
		stopping = strings.Contains(errs.Text(), "a second Ctrl-C aborts")
	}
	if !stopping {
		t.Fatal("the first signal did not start a graceful stop")
	}
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("wait: %v", err)
	}
	if ws, ok := exit.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGINT {
		t.Fatalf("the process ended with %v, want killed by the second SIGINT", exit)
	}
}
