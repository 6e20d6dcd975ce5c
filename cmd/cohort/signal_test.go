package main

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
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
			path := filepath.Join(t.TempDir(), "r.json")
			cmd, lines := cohortProcess(t, "run", "spring-form", "--vus", "5", "--duration", "1h", "--out", path, "--no-progress")
			if !lines.Scan() { // the banner: the run has started
				t.Fatal("no banner")
			}
			cmd.Process.Signal(sig)
			for lines.Scan() {
			}
			err := cmd.Wait()
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
		})
	}
}
