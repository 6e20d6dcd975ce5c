// Command cohort is a load tester for authenticated web traffic: many
// virtual users, each with its own session, logging in and replaying a
// weighted request mix while HDR histograms measure what sessions and
// connection reuse cost. Run "cohort help" for the commands.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/pflag"

	"github.com/cohort-dev/cohort/clock"
	"github.com/cohort-dev/cohort/transport"
)

// Exit codes, fixed by the CLI contract.
const (
	exitOK          = 0
	exitFailed      = 1
	exitUsage       = 2
	exitThreshold   = 99
	exitInterrupted = 130
)

// command is one subcommand: it returns the process exit code.
type command struct {
	name, usage, summary string
	run                  func(ctx context.Context, env *env, args []string) int
}

// env is what a command may touch of the process, so tests can run
// commands in-process with their own streams.
type env struct {
	stdout, stderr io.Writer
	// clock is the time of runs; nil is the system's.
	clock clock.Clock
	// network, if set, carries runs against the built-in target instead
	// of a loopback port: the tests give a simulated network on a fake
	// clock, and the target then keeps that clock too.
	network func(http.Handler) transport.Network
}

func commands() []command {
	return []command{
		{"run", "cohort run [PROFILE] [flags]", "run a load profile (a file or a built-in name)", runRun},
		{"target", "cohort target [flags]", "serve the built-in Spring-like demo target", runTarget},
		{"check", "cohort check PROFILE", "one user through the login and each mix entry, every step explained", runCheck},
		{"profiles", "cohort profiles [NAME]", "list the built-in profiles, or print one", runProfiles},
		{"report", "cohort report RESULT.json", "print a result again (--format text|json|html|hgrm|junit)", runReport},
		{"merge", "cohort merge PART.json... -o OUT.json", "combine the results of a distributed run's segments, exactly", runMerge},
		{"import", "cohort import REC.har -o PROFILE.yaml", "a recorded browser session (HAR) to a profile, its values correlated", runImport},
		{"compare", "cohort compare A.json B.json", "two results (or A1 A2 ... -- B1 B2 ...) side by side, changes beyond noise marked", runCompare},
		{"version", "cohort version", "print the version", runVersion},
	}
}

func main() {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	ctx, interrupt := context.WithCancel(context.Background())
	go func() {
		<-sigs
		// The default action returns before anything is said: a second
		// Ctrl-C kills the process at once.
		signal.Stop(sigs)
		fmt.Fprintln(os.Stderr, "\ncohort: "+stoppingLine(os.Args[1:]))
		interrupt()
	}()
	code := dispatch(ctx, &env{stdout: os.Stdout, stderr: os.Stderr}, os.Args[1:])
	os.Exit(code)
}

// stoppingLine is what the first Ctrl-C says: only a run has outputs
// to write (the target, say, just stops serving).
func stoppingLine(args []string) string {
	if len(args) > 0 && args[0] == "run" {
		return "stopping, outputs will be written (a second Ctrl-C aborts at once)"
	}
	return "stopping (a second Ctrl-C aborts at once)"
}

func dispatch(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(e.stdout)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, e, args[1:])
		}
	}
	fmt.Fprintf(e.stderr, "cohort: unknown command %q (see cohort help)\n", args[0])
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "cohort: a load tester for authenticated web traffic\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-24s %s\n", c.usage, c.summary)
	}
}

// parseFlags parses args into fs and reports a usage error as an exit code;
// -h prints the flags and exits 0.
func parseFlags(e *env, fs *pflag.FlagSet, args []string) (int, bool) {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	switch {
	case errors.Is(err, pflag.ErrHelp):
		fs.SetOutput(e.stdout)
		fs.PrintDefaults()
		return exitOK, false
	case err != nil:
		fmt.Fprintf(e.stderr, "cohort %s: %v\n", fs.Name(), err)
		return exitUsage, false
	}
	return exitOK, true
}
