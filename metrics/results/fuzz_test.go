package results

import (
	"github.com/cohort-dev/cohort/metrics"

	"encoding/json"
	"testing"
	"time"
)

// FuzzDecodeResult feeds the result decoder arbitrary bytes: it must refuse
// or accept them, never panic, and an accepted result's histograms decode.
func FuzzDecodeResult(f *testing.F) {
	a := metrics.NewAggregate(len(testSeries))
	a.Add(&metrics.Sample{Kind: metrics.KindRequest, Series: 1, Status: 200, Duration: time.Millisecond})
	good, _ := json.Marshal(NewResult(Meta{Profile: "p", Duration: time.Second}, testSeries, a))
	f.Add(good)
	f.Add([]byte(`{"schema":"cohort.result/v1","histograms":{"all":"HISTFAAAACh4nJNpmSzMwMDAxQABzFCaEUzOmwQRAAA4LwRd"}}`))
	f.Add([]byte(`{"schema":"cohort.result/v1","histograms":{"all":"HISTFAAA"}}`))
	f.Add([]byte(`{"schema":"k6"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := DecodeResult("fuzz.json", data)
		if err != nil {
			return
		}
		for _, k := range r.HistogramKeys() {
			if _, err := r.Histogram(k); err != nil {
				t.Fatalf("accepted a result whose histogram %s does not decode: %v", k, err)
			}
		}
	})
}
