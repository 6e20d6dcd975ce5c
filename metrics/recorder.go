package metrics

import (
	"slices"
	"sync"
	"sync/atomic"
)

// recorderBuffer is how many samples a VU holds before flushing: enough to
// make the shard lock rare, small enough that 100k VUs stay cheap.
const recorderBuffer = 8

// shard is one lock's worth of aggregation. cur fills; the collector swaps
// it with spare when it drains, so draining never allocates.
type shard struct {
	mu   sync.Mutex
	cur  *Aggregate
	_    [56]byte // keep shards' locks on separate cache lines
	next *Aggregate
}

// Collector gathers the samples of every VU of a run.
type Collector struct {
	series []SeriesInfo
	shards []*shard
	next   atomic.Uint32
	inst   *instanceTable
	raw    bool
}

// KeepRaw makes the collector keep every request one by one, with when it
// ended, besides the figures (Aggregate.Raw): for --samples-raw. Call it
// before the first NewRecorder; a recorder made before keeps no end times.
func (c *Collector) KeepRaw() {
	c.raw = true
	for _, sh := range c.shards {
		sh.cur.KeepRaw()
		sh.next.KeepRaw()
	}
}

// instanceTable numbers backend instances; the collectors of a run's
// scenarios share one, so that their samples number instances alike.
type instanceTable struct {
	mu    sync.Mutex
	names []string // by index less one
}

// MaxInstances is how many backend instances are told apart; answers of
// any further one are counted under the name "other".
const MaxInstances = 64

// InstanceIndex numbers a backend instance by its name (from 1), so that a
// sample carries it in a byte. VUs call it only when the instance that
// answers them changes.
func (c *Collector) InstanceIndex(name string) uint8 {
	t := c.inst
	t.mu.Lock()
	defer t.mu.Unlock()
	for i, n := range t.names {
		if n == name {
			return uint8(i + 1)
		}
	}
	if len(t.names) == MaxInstances-1 {
		t.names = append(t.names, "other")
	}
	if len(t.names) == MaxInstances {
		return MaxInstances
	}
	t.names = append(t.names, name)
	return uint8(len(t.names))
}

// InstanceNames returns the backend instances seen so far, by index less
// one.
func (c *Collector) InstanceNames() []string {
	c.inst.mu.Lock()
	defer c.inst.mu.Unlock()
	return slices.Clone(c.inst.names)
}

// NewCollector returns a collector for the given request series with n
// shards (at least 1); a shard per core keeps flushes from meeting.
func NewCollector(series []SeriesInfo, n int) *Collector {
	c := &Collector{series: series, shards: make([]*shard, max(n, 1)), inst: &instanceTable{}}
	for i := range c.shards {
		c.shards[i] = &shard{cur: NewAggregate(len(series)), next: NewAggregate(len(series))}
	}
	return c
}

// Sibling returns another collector of c's series, with n shards, that
// numbers backend instances as c does: one scenario's, beside another's,
// whose aggregates merge.
func (c *Collector) Sibling(n int) *Collector {
	s := NewCollector(c.series, n)
	s.inst = c.inst
	return s
}

// Series returns the series the collector was made for.
func (c *Collector) Series() []SeriesInfo { return c.series }

// NewRecorder returns a recorder for one VU.
func (c *Collector) NewRecorder() *Recorder {
	i := c.next.Add(1) % uint32(len(c.shards))
	r := &Recorder{sink: c.shards[i], buf: new([recorderBuffer]Sample), col: c}
	if c.raw {
		r.ends = new([recorderBuffer]int64)
	}
	return r
}

// Drain moves everything flushed since the last drain into into, and
// empties the shards.
func (c *Collector) Drain(into *Aggregate) {
	for _, sh := range c.shards {
		sh.mu.Lock()
		full := sh.cur
		sh.cur, sh.next = sh.next, full
		sh.mu.Unlock()
		// full is now only reachable from sh.next, which flushes never touch.
		into.Merge(full)
		full.Reset()
	}
}

// Recorder is one VU's sample buffer. It is not safe for concurrent use:
// each VU owns its own.
type Recorder struct {
	buf  *[recorderBuffer]Sample // nil while parked
	ends *[recorderBuffer]int64  // when buf's samples ended; nil unless the collector keeps requests
	n    int
	sink *shard
	col  *Collector
	off  bool
}

// Instance numbers a backend instance (Collector.InstanceIndex); 0 for a
// recorder that keeps nothing.
func (r *Recorder) Instance(name string) uint8 {
	if r.col == nil {
		return 0
	}
	return r.col.InstanceIndex(name)
}

// NewDiscard returns a recorder that keeps nothing: for measuring what
// recording costs (scripts/bench overhead).
func NewDiscard() *Recorder { return &Recorder{off: true} }

// Add records a sample; it neither allocates nor locks, except when the
// buffer is full and is flushed.
func (r *Recorder) Add(s Sample) { r.add(s, 0) }

// AddEnded records a request that ended at end (Unix nanoseconds on the
// run's clock): its end is kept only if the collector keeps requests one
// by one (KeepRaw); otherwise it is Add.
func (r *Recorder) AddEnded(s Sample, end int64) { r.add(s, end) }

func (r *Recorder) add(s Sample, end int64) {
	if r.off {
		return
	}
	if r.buf == nil {
		r.buf = buffers.Get().(*[recorderBuffer]Sample)
	}
	r.buf[r.n] = s
	if r.ends != nil {
		r.ends[r.n] = end
	}
	r.n++
	if r.n == len(r.buf) {
		r.Flush()
	}
}

// Flush hands the buffered samples to the collector. A VU flushes before it
// thinks or stops, so that figures are not held back by an idle VU.
func (r *Recorder) Flush() {
	if r.n == 0 {
		return
	}
	r.sink.mu.Lock()
	a := r.sink.cur
	if r.ends != nil {
		for i := range r.buf[:r.n] {
			a.AddEnded(&r.buf[i], r.ends[i])
		}
	} else {
		for i := range r.buf[:r.n] {
			a.Add(&r.buf[i])
		}
	}
	r.sink.mu.Unlock()
	r.n = 0
}

// buffers holds the sample buffers of parked recorders, for the next VU
// that wakes.
var buffers = sync.Pool{New: func() any { return new([recorderBuffer]Sample) }}

// Park flushes the recorder and lets its buffer go: a VU that will be idle
// for long should hold no more than its session. The next Add takes a
// buffer again.
func (r *Recorder) Park() {
	r.Flush()
	if r.buf != nil {
		buffers.Put(r.buf)
		r.buf = nil
	}
}
