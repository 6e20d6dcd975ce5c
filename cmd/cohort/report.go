package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/pflag"

	"github.com/cohort-dev/cohort/metrics/results"
)

// runReport turns a result file into a report.
func runReport(_ context.Context, e *env, args []string) int {
	fs := pflag.NewFlagSet("report", pflag.ContinueOnError)
	format := fs.String("format", "text", "text (the run's summary), json, html (one self-contained page), hgrm (HdrHistogram percentile files, one per series), or junit (the verdict as JUnit XML, to --out or stdout)")
	out := fs.String("out", "", "html: the file to write (default RESULT.html); hgrm: the directory (default RESULT-hgrm)")
	if code, ok := parseFlags(e, fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(e.stderr, "cohort report: want one RESULT.json")
		return exitUsage
	}
	path := fs.Arg(0)
	r, err := results.ReadResult(path)
	if err != nil {
		fmt.Fprintf(e.stderr, "cohort report: %v\n", err)
		return exitUsage
	}
	switch *format {
	case "text":
		err = results.WriteSummary(e.stdout, r)
	case "json":
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(r)
	case "html":
		dest := *out
		if dest == "" {
			dest = strings.TrimSuffix(path, ".json") + ".html"
		}
		if err = writeHTML(dest, r); err == nil {
			fmt.Fprintln(e.stdout, dest)
		}
	case "hgrm":
		dir := *out
		if dir == "" {
			dir = strings.TrimSuffix(path, ".json") + "-hgrm"
		}
		var paths []string
		paths, err = r.WriteHgrmDir(dir)
		for _, p := range paths {
			fmt.Fprintln(e.stdout, p)
		}
	case "junit":
		if *out == "" {
			err = results.WriteJUnit(e.stdout, r)
		} else {
			err = writeJUnit(*out, r)
		}
	default:
		fmt.Fprintf(e.stderr, "cohort report: --format: want text, json, html, hgrm or junit, got %q\n", *format)
		return exitUsage
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "cohort report: %v\n", err)
		return exitFailed
	}
	return exitOK
}
