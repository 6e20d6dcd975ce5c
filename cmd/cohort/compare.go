package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/cohort-dev/cohort/metrics"
)

// runCompare prints two results side by side.
func runCompare(_ context.Context, e *env, args []string) int {
	fs := pflag.NewFlagSet("compare", pflag.ContinueOnError)
	format := fs.String("format", "text", "text or json")
	if code, ok := parseFlags(e, fs, args); !ok {
		return code
	}
	if fs.NArg() != 2 || (*format != "text" && *format != "json") {
		fmt.Fprintln(e.stderr, "cohort compare: want A.json B.json [--format text|json]")
		return exitUsage
	}
	var res [2]*metrics.Result
	for i, path := range fs.Args() {
		r, err := metrics.ReadResult(path)
		if err != nil {
			fmt.Fprintf(e.stderr, "cohort compare: %v\n", err)
			return exitUsage
		}
		res[i] = r
	}
	rows, err := metrics.Compare(res[0], res[1])
	if err != nil {
		fmt.Fprintf(e.stderr, "cohort compare: %v\n", err)
		return exitUsage
	}
	if *format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rows); err != nil {
			fmt.Fprintf(e.stderr, "cohort compare: %v\n", err)
			return exitFailed
		}
		return exitOK
	}
	metrics.WriteCompare(e.stdout, fs.Arg(0), fs.Arg(1), rows)
	return exitOK
}
