package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

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
	a, b, ok, code := compareSides(e, fs, args)
	if code >= 0 {
		return code
	}
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

// compareSides parses the flags and splits the files into the A and B
// runs: two files, or a list for each side either side of --. Flags may
// stand on either side (--all after the B files too). code is an exit
// code when parsing ended the command, else -1.
func compareSides(e *env, fs *pflag.FlagSet, args []string) (a, b []string, ok bool, code int) {
	dash := slices.Index(args, "--")
	if dash < 0 {
		if code, ok := parseFlags(e, fs, args); !ok {
			return nil, nil, false, code
		}
		files := fs.Args()
		return files[:min(1, len(files))], files[min(1, len(files)):], len(files) == 2, -1
	}
	for i, part := range [][]string{args[:dash], args[dash+1:]} {
		if code, ok := parseFlags(e, fs, part); !ok {
			return nil, nil, false, code
		}
		if i == 0 {
			a = fs.Args()
		} else {
			b = fs.Args()
		}
	}
	return a, b, len(a) > 0 && len(b) > 0, -1
}
