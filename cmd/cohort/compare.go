package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/cohort-dev/cohort/compare"
	"github.com/cohort-dev/cohort/metrics/results"
)

const compareUsage = "cohort compare: want A.json B.json, or A1.json A2.json ... -- B1.json B2.json ... [--all] [--format text|json]"

// runCompare prints two results, or two sets of runs, side by side.
func runCompare(_ context.Context, e *env, args []string) int {
	fs := pflag.NewFlagSet("compare", pflag.ContinueOnError)
	format := fs.String("format", "text", "text or json")
	all := fs.Bool("all", false, "show every figure, not only the changed ones")
	if code, ok := parseFlags(e, fs, args); !ok {
		return code
	}
	a, b, ok := compareSides(fs)
	if !ok || (*format != "text" && *format != "json") {
		fmt.Fprintln(e.stderr, compareUsage)
		return exitUsage
	}
	var runs [2][]*results.Result
	for i, paths := range [2][]string{a, b} {
		for _, path := range paths {
			r, err := results.ReadResult(path)
			if err != nil {
				fmt.Fprintf(e.stderr, "cohort compare: %v\n", err)
				return exitUsage
			}
			runs[i] = append(runs[i], r)
		}
	}
	rows, err := compare.Compare(runs[0], runs[1])
	if err != nil {
		fmt.Fprintf(e.stderr, "cohort compare: %v\n", err)
		return exitUsage
	}
	if *format == "json" {
		if !*all {
			rows = compare.Changed(rows)
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rows); err != nil {
			fmt.Fprintf(e.stderr, "cohort compare: %v\n", err)
			return exitFailed
		}
		return exitOK
	}
	compare.WriteText(e.stdout, a, b, rows, *all)
	return exitOK
}

// compareSides splits the arguments into the A and B runs: two files, or
// a list for each side either side of --.
func compareSides(fs *pflag.FlagSet) (a, b []string, ok bool) {
	args := fs.Args()
	dash := fs.ArgsLenAtDash()
	if dash < 0 {
		if len(args) != 2 {
			return nil, nil, false
		}
		return args[:1], args[1:], true
	}
	a, b = args[:dash], args[dash:]
	return a, b, len(a) > 0 && len(b) > 0
}
