package metrics

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// WriteHgrm writes one histogram of the result as an HdrHistogram
// percentile distribution (.hgrm), values in milliseconds: the format
// HdrHistogram's plotter reads.
func (r *Result) WriteHgrm(w io.Writer, key string) error {
	h, err := r.Histogram(key)
	if err != nil {
		return err
	}
	if h == nil {
		return fmt.Errorf("no histogram %q", key)
	}
	_, err = h.PercentilesPrint(w, 5, 1000)
	return err
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
