package main

import (
	"bytes"

	"github.com/cohort-dev/cohort/metrics"
	"github.com/cohort-dev/cohort/metrics/htmlreport"
)

// writeHTML writes the HTML report of r to path, atomically.
func writeHTML(path string, r *metrics.Result) error {
	var b bytes.Buffer
	if err := htmlreport.Write(&b, r); err != nil {
		return err
	}
	return metrics.WriteFileAtomic(path, b.Bytes())
}
