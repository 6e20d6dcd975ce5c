package prom

import (
	"math"
	"slices"
	"strings"
	"sync"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"google.golang.org/protobuf/proto"
)

// latencyBuckets are the classic buckets, in seconds, of every latency
// histogram: 80 from 100 µs to 60 s, each about 18% wider than the last,
// so that Prometheus' histogram_quantile, which interpolates inside a
// bucket, reads a percentile within one bucket (18%) of HDR's; below
// 100 µs, only that it is below 100 µs.
var latencyBuckets = prometheus.ExponentialBucketsRange(0.0001, 60, 80)

// LatencyBucketGrowth is the ratio of one classic latency bucket's upper
// bound to the one before: how far apart a quantile Prometheus estimates
// from the buckets and the exact one can be (both lie in one bucket).
var LatencyBucketGrowth = latencyBuckets[1] / latencyBuckets[0]

// LatencyBucketFloor is the first classic bucket's bound, in seconds:
// every latency below it falls in that one bucket.
var LatencyBucketFloor = latencyBuckets[0]

// nativeSchema is the resolution of the native histograms: schema 3
// buckets are 2^(1/8), about 9%, wide.
const nativeSchema = 3

// histVec is a histogram series family kept as Prometheus buckets, fed
// from HDR histograms: each drain adds an interval's histogram bucket by
// bucket (its cost is the number of buckets, not of requests), and a
// scrape writes classic and native buckets from the counts.
type histVec struct {
	desc    *prometheus.Desc
	bounds  []float64 // classic upper bounds
	scale   float64   // multiplies HDR values: 1e-6 turns µs into s
	mu      sync.Mutex
	members map[string]*bucketed // by label values joined with \xff
	labels  map[string][]string
}

func newHistVec(name, help string, bounds []float64, scale float64, labels ...string) *histVec {
	return &histVec{desc: prometheus.NewDesc(name, help, labels, nil), bounds: bounds, scale: scale,
		members: map[string]*bucketed{}, labels: map[string][]string{}}
}

// bucketed is one series: its count and sum, counts by classic bucket
// (not cumulative; the last is +Inf) and by native bucket index.
type bucketed struct {
	count   uint64
	sum     float64
	classic []uint64
	native  map[int]int64
	zero    uint64 // values of 0
}

// with returns the series of the label values, made (empty) on first use:
// a series known before the run is made then, so it reads 0 from the
// first scrape on.
func (v *histVec) with(values ...string) *bucketed {
	key := strings.Join(values, "\xff")
	b := v.members[key]
	if b == nil {
		b = &bucketed{classic: make([]uint64, len(v.bounds)+1), native: map[int]int64{}}
		v.members[key] = b
		v.labels[key] = slices.Clone(values)
	}
	return b
}

// init makes the series of the label values, empty.
func (v *histVec) init(values ...string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.with(values...)
}

// add adds an HDR histogram's values to the series of the label values.
func (v *histVec) add(h *hdr.Histogram, values ...string) {
	if h == nil || h.TotalCount() == 0 {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	b := v.with(values...)
	for _, bar := range h.Distribution() {
		if bar.Count == 0 {
			continue
		}
		// The middle of an HDR bucket is within 0.1% of every value in it.
		x := float64(bar.From+bar.To) / 2 * v.scale
		n := uint64(bar.Count)
		b.count += n
		b.sum += x * float64(n)
		i, _ := slices.BinarySearch(v.bounds, x)
		b.classic[i] += n
		if x <= 0 {
			b.zero += n
		} else {
			b.native[nativeIndex(x)] += int64(n)
		}
	}
}

// nativeIndex is the schema-3 bucket of x > 0: the i with
// 2^((i-1)/8) < x <= 2^(i/8).
func nativeIndex(x float64) int {
	return int(math.Ceil(math.Log2(x) * (1 << nativeSchema)))
}

func (v *histVec) Describe(ch chan<- *prometheus.Desc) { ch <- v.desc }

func (v *histVec) Collect(ch chan<- prometheus.Metric) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for key, b := range v.members {
		ch <- &histMetric{desc: v.desc, labels: prometheus.MakeLabelPairs(v.desc, v.labels[key]), h: b.dto(v.bounds)}
	}
}

// dto writes the series as one histogram with classic and native buckets.
func (b *bucketed) dto(bounds []float64) *dto.Histogram {
	h := &dto.Histogram{SampleCount: proto.Uint64(b.count), SampleSum: proto.Float64(b.sum),
		Schema: proto.Int32(nativeSchema), ZeroThreshold: proto.Float64(0), ZeroCount: proto.Uint64(b.zero)}
	var cum uint64
	for i, le := range bounds {
		cum += b.classic[i]
		h.Bucket = append(h.Bucket, &dto.Bucket{CumulativeCount: proto.Uint64(cum), UpperBound: proto.Float64(le)})
	}
	idx := make([]int, 0, len(b.native))
	for i := range b.native {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	// Spans of consecutive buckets, each offset from the end of the one
	// before; counts as deltas from the bucket before.
	var prevIdx int
	var prevCount int64
	for k, i := range idx {
		if k == 0 || i != prevIdx+1 {
			offset := i
			if k > 0 {
				offset = i - prevIdx - 1
			}
			h.PositiveSpan = append(h.PositiveSpan, &dto.BucketSpan{Offset: proto.Int32(int32(offset)), Length: proto.Uint32(0)})
		}
		span := h.PositiveSpan[len(h.PositiveSpan)-1]
		*span.Length++
		h.PositiveDelta = append(h.PositiveDelta, b.native[i]-prevCount)
		prevIdx, prevCount = i, b.native[i]
	}
	if len(h.PositiveSpan) == 0 && b.zero == 0 {
		// An empty native histogram still needs a span to be read as one.
		h.PositiveSpan = []*dto.BucketSpan{{Offset: proto.Int32(0), Length: proto.Uint32(0)}}
	}
	return h
}

// histMetric is one series of a histVec, as scraped.
type histMetric struct {
	desc   *prometheus.Desc
	labels []*dto.LabelPair
	h      *dto.Histogram
}

func (m *histMetric) Desc() *prometheus.Desc { return m.desc }

func (m *histMetric) Write(out *dto.Metric) error {
	out.Label, out.Histogram = m.labels, m.h
	return nil
}
