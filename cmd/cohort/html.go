package main

import (
	"bytes"

	"github.com/cohort-dev/cohort/metrics/htmlreport"
	"github.com/cohort-dev/cohort/metrics/results"
)

// writeHTML writes the HTML report of r to path, atomically.
func writeHTML(path string, r *results.Result) error {
	var b bytes.Buffer
	if err := htmlreport.Write(&b, r); err != nil {
		return err
	}
	return results.WriteFileAtomic(path, b.Bytes())
}

// writeJUnit writes the run's verdict as JUnit XML, whole or not at all.
func writeJUnit(path string, r *results.Result) error {
	var b bytes.Buffer
	if err := results.WriteJUnit(&b, r); err != nil {
		return err
	}
	return results.WriteFileAtomic(path, b.Bytes())
}
