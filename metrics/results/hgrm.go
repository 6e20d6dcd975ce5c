package results

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// WriteHgrm writes one histogram of the result as an HdrHistogram
// percentile distribution (.hgrm), the format HdrHistogram's plotter
// reads: durations in milliseconds, sizes (the _bytes series) in bytes.
func (r *Result) WriteHgrm(w io.Writer, key string) error {
	h, err := r.Histogram(key)
	if err != nil {
		return err
	}
	if h == nil {
		return fmt.Errorf("no histogram %q", key)
	}
	_, err = h.PercentilesPrint(w, 5, hgrmScale(key))
	return err
}

// hgrmScale is what a histogram's values are divided by in its .hgrm
// file: durations are kept in microseconds and shown in milliseconds;
// sizes are kept and shown in bytes.
func hgrmScale(key string) float64 {
	if strings.HasSuffix(key, "_bytes") {
		return 1
	}
	return 1000
}

// WriteHgrmDir writes every histogram of the result into dir, one file
// per series (slashes in names become dots), and returns the paths.
func (r *Result) WriteHgrmDir(dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var paths []string
	for _, key := range r.HistogramKeys() {
		var b strings.Builder
		if err := r.WriteHgrm(&b, key); err != nil {
			return paths, err
		}
		path := filepath.Join(dir, strings.ReplaceAll(key, "/", ".")+".hgrm")
		if err := WriteFileAtomic(path, []byte(b.String())); err != nil {
			return paths, err
		}
		paths = append(paths, path)
	}
	return paths, nil
}
