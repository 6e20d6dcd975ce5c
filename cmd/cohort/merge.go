package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/cohort-dev/cohort/metrics/results"
)

// runMerge combines the result files of a distributed run's segments.
func runMerge(_ context.Context, e *env, args []string) int {
	fs := pflag.NewFlagSet("merge", pflag.ContinueOnError)
	out := fs.StringP("out", "o", "", "the merged result file to write")
	force := fs.Bool("force", false, "merge parts of different profiles, or with overlapping or missing segments")
	if code, ok := parseFlags(e, fs, args); !ok {
		return code
	}
	if fs.NArg() == 0 || *out == "" {
		fmt.Fprintln(e.stderr, "cohort merge: want PART.json... -o OUT.json")
		return exitUsage
	}
	var parts []*results.Result
	for _, path := range fs.Args() {
		r, err := results.ReadResult(path)
		if err != nil {
			fmt.Fprintf(e.stderr, "cohort merge: %v\n", err)
			return exitUsage
		}
		parts = append(parts, r)
	}
	merged, err := results.Merge(fs.Args(), parts, *force)
	if err != nil {
		fmt.Fprintf(e.stderr, "cohort merge: %v\n", err)
		var me *results.MergeError
		if errors.As(err, &me) {
			return exitUsage
		}
		return exitFailed
	}
	if err := merged.WriteFile(*out); err != nil {
		fmt.Fprintf(e.stderr, "cohort merge: %v\n", err)
		return exitFailed
	}
	fmt.Fprintf(e.stdout, "merged %d parts (segments %v): %d requests, %d iterations -> %s\n",
		len(parts), merged.MergedSegments, merged.Totals.Requests, merged.Totals.Iterations, *out)
	return exitOK
}
