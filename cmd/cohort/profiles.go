package main

import (
	"context"
	"fmt"

	"github.com/cohort-dev/cohort/profiles"
)

// runProfiles lists the built-in profiles, or prints one as YAML.
func runProfiles(_ context.Context, e *env, args []string) int {
	switch len(args) {
	case 0:
		for _, name := range profiles.Builtins() {
			p, err := profiles.Builtin(name)
			if err != nil {
				fmt.Fprintf(e.stderr, "cohort profiles: %v\n", err)
				return exitFailed
			}
			fmt.Fprintf(e.stdout, "%-14s %s\n", name, p.Description)
		}
		return exitOK
	case 1:
		src, ok := profiles.BuiltinSource(args[0])
		if !ok {
			fmt.Fprintf(e.stderr, "cohort profiles: no built-in profile %q (see cohort profiles)\n", args[0])
			return exitUsage
		}
		e.stdout.Write(src)
		return exitOK
	}
	fmt.Fprintln(e.stderr, "cohort profiles: want at most one NAME")
	return exitUsage
}
