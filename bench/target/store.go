package target

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// nShards spreads sessions over enough locks that 2 cores serving hundreds
// of connections rarely meet on one.
const nShards = 64

// session is one server-side HTTP session. Its fields are guarded by the lock
// of the shard that holds it; handlers only see copies (sessionView).
type session struct {
	id    string // also the cookie value
	user  string // "" until authenticated
	csrf  string // raw CSRF token (session repository mode)
	saved string // request saved by the entry point, absolute URL
	cart  string // the shop's cart: "product:qty,..." in the order added
	last  int64  // last access, Unix nanoseconds
	// prev and next link the shard's LRU list; head is the most recent.
	prev, next *session
}

// sessionView is what a handler learns of a session.
type sessionView struct {
	id, user, csrf, saved, cart string
}

func (s *session) view() sessionView {
	return sessionView{id: s.id, user: s.user, csrf: s.csrf, saved: s.saved, cart: s.cart}
}

type shard struct {
	mu         sync.Mutex
	m          map[string]*session
	head, tail *session
	_          [64]byte // keep neighbouring shard locks off one cache line
}

// sessionStore is where the target keeps its sessions: in memory (store,
// the default) or in Redis (redisStore, laid out as Spring Session Data
// Redis lays them out).
type sessionStore interface {
	// get returns the live session id and marks it accessed at now.
	get(ctx context.Context, id string, now time.Time) (sessionView, bool)
	// create stores a new session, initialised by init; false when the
	// store is full and refuses new sessions.
	create(ctx context.Context, now time.Time, init func(*session)) (sessionView, bool)
	// update applies fn to the live session id.
	update(ctx context.Context, id string, now time.Time, fn func(*session)) (sessionView, bool)
	// rotate gives the live session id a new id and applies fn to it.
	rotate(ctx context.Context, id string, now time.Time, fn func(*session)) (sessionView, bool)
	// invalidate removes the session id; it reports whether it was live.
	invalidate(ctx context.Context, id string) bool
	// sweep expires idle sessions, if the store does not do it itself.
	sweep(now time.Time) int
	// counts returns the store's counters.
	counts() storeCounts
	close() error
}

// storeCounts are a store's session counters.
type storeCounts struct {
	live, created, evicted, expired, invalidated, rotated int64
	rejected                                              int64 // new sessions refused when full
	// bytes and maxBytes are the live sessions' attributes, in all and
	// the largest (the in-memory store only).
	bytes, maxBytes int64
	errors          int64 // failed store operations
}

// store is a sharded in-memory session store with max-inactive expiry and
// least-recently-used eviction over a global cap. Each shard keeps its
// sessions in access order, so the globally oldest session is the oldest of
// the shard tails, and expiry sweeps stop at the first live session.
type store struct {
	shards      [nShards]shard
	maxInactive int64
	maxSessions int64
	refuse      bool // a full store refuses new sessions instead of evicting
	latency     time.Duration
	sleep       func(context.Context, time.Duration)
	newID       func() string

	live, created, evicted, expired, invalidated, rotated, rejected atomic.Int64
}

func newStore(c Config, newID func() string) *store {
	st := &store{
		maxInactive: int64(c.MaxInactive),
		maxSessions: int64(c.MaxSessions),
		refuse:      c.WhenFull == WhenFullRefuse,
		latency:     c.StoreLatency,
		sleep:       c.Sleep,
		newID:       newID,
	}
	for i := range st.shards {
		st.shards[i].m = make(map[string]*session)
	}
	return st
}

func (st *store) shardOf(id string) *shard {
	// FNV-1a, inlined so that a lookup allocates nothing.
	h := uint32(2166136261)
	for i := 0; i < len(id); i++ {
		h ^= uint32(id[i])
		h *= 16777619
	}
	return &st.shards[h%nShards]
}

func (st *store) counts() storeCounts {
	c := storeCounts{live: st.live.Load(), created: st.created.Load(), evicted: st.evicted.Load(),
		expired: st.expired.Load(), invalidated: st.invalidated.Load(), rotated: st.rotated.Load(),
		rejected: st.rejected.Load()}
	c.bytes, c.maxBytes = st.sizes()
	return c
}

// sizes adds up what the live sessions hold (their attributes' bytes, as
// a store serializes them), walking every shard: for /-/stats, not for
// the request path.
func (st *store) sizes() (total, largest int64) {
	for i := range st.shards {
		sh := &st.shards[i]
		sh.mu.Lock()
		for _, s := range sh.m {
			n := int64(len(s.id) + len(s.user) + len(s.csrf) + len(s.saved) + len(s.cart))
			total += n
			largest = max(largest, n)
		}
		sh.mu.Unlock()
	}
	return total, largest
}

func (st *store) close() error { return nil }

// roundTrip imitates the network round trip of a remote session store.
func (st *store) roundTrip(ctx context.Context) {
	if st.latency > 0 {
		st.sleep(ctx, st.latency)
	}
}

// get returns the live session id and marks it accessed at now. An expired
// session is removed and counted.
func (st *store) get(ctx context.Context, id string, now time.Time) (sessionView, bool) {
	if id == "" {
		return sessionView{}, false
	}
	st.roundTrip(ctx)
	sh := st.shardOf(id)
	sh.mu.Lock()
	s := st.lookupLocked(sh, id, now.UnixNano())
	var v sessionView
	if s != nil {
		v = s.view()
	}
	sh.mu.Unlock()
	return v, s != nil
}

// lookupLocked finds id in sh, expiring it if idle too long, else touching it.
func (st *store) lookupLocked(sh *shard, id string, now int64) *session {
	s := sh.m[id]
	if s == nil {
		return nil
	}
	if now-s.last > st.maxInactive {
		sh.removeLocked(s)
		st.live.Add(-1)
		st.expired.Add(1)
		return nil
	}
	s.last = now
	sh.moveToFrontLocked(s)
	return s
}

// create stores a new session, initialised by init. Past the cap, a
// refusing store creates none, as Tomcat's StandardManager refuses past
// maxActiveSessions (the place is taken atomically, so the cap is exact
// however many requests race for the last one); an evicting one evicts
// the least recently used session.
func (st *store) create(ctx context.Context, now time.Time, init func(*session)) (sessionView, bool) {
	st.roundTrip(ctx)
	if st.refuse && st.maxSessions > 0 && !st.takePlace() {
		st.rejected.Add(1)
		return sessionView{}, false
	}
	s := &session{id: st.newID(), last: now.UnixNano()}
	if init != nil {
		init(s)
	}
	v := s.view()
	st.insert(s)
	st.created.Add(1)
	if st.refuse && st.maxSessions > 0 {
		return v, true // counted by takePlace
	}
	if n := st.live.Add(1); st.maxSessions > 0 && n > st.maxSessions {
		st.evictOldest()
	}
	return v, true
}

// takePlace counts one more live session if the store has room for it.
func (st *store) takePlace() bool {
	for {
		n := st.live.Load()
		if n >= st.maxSessions {
			return false
		}
		if st.live.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

func (st *store) insert(s *session) {
	sh := st.shardOf(s.id)
	sh.mu.Lock()
	sh.m[s.id] = s
	sh.pushFrontLocked(s)
	sh.mu.Unlock()
}

// update applies fn to the live session id; it reports false if there is none.
func (st *store) update(ctx context.Context, id string, now time.Time, fn func(*session)) (sessionView, bool) {
	st.roundTrip(ctx)
	sh := st.shardOf(id)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	s := st.lookupLocked(sh, id, now.UnixNano())
	if s == nil {
		return sessionView{}, false
	}
	fn(s)
	return s.view(), true
}

// rotate gives the live session id a new id (session fixation protection)
// and applies fn to it.
func (st *store) rotate(ctx context.Context, id string, now time.Time, fn func(*session)) (sessionView, bool) {
	st.roundTrip(ctx)
	sh := st.shardOf(id)
	sh.mu.Lock()
	s := st.lookupLocked(sh, id, now.UnixNano())
	if s != nil {
		sh.removeLocked(s)
	}
	sh.mu.Unlock()
	if s == nil {
		return sessionView{}, false
	}
	s.id = st.newID()
	fn(s)
	v := s.view()
	st.insert(s)
	st.rotated.Add(1)
	return v, true
}

// invalidate removes the session id; it reports whether it was live.
func (st *store) invalidate(ctx context.Context, id string) bool {
	st.roundTrip(ctx)
	sh := st.shardOf(id)
	sh.mu.Lock()
	s := sh.m[id]
	if s != nil {
		sh.removeLocked(s)
	}
	sh.mu.Unlock()
	if s == nil {
		return false
	}
	st.live.Add(-1)
	st.invalidated.Add(1)
	return true
}

// evictOldest removes the least recently used session of the whole store.
func (st *store) evictOldest() {
	var oldest *shard
	var at int64
	for i := range st.shards {
		sh := &st.shards[i]
		sh.mu.Lock()
		if sh.tail != nil && (oldest == nil || sh.tail.last < at) {
			oldest, at = sh, sh.tail.last
		}
		sh.mu.Unlock()
	}
	if oldest == nil {
		return
	}
	oldest.mu.Lock()
	s := oldest.tail
	if s != nil {
		oldest.removeLocked(s)
	}
	oldest.mu.Unlock()
	if s != nil {
		st.live.Add(-1)
		st.evicted.Add(1)
	}
}

// sweep expires every session idle longer than the max-inactive interval,
// as a servlet container's background thread or Spring Session's cleanup
// job does, so that idle sessions do not wait for a request to be counted.
func (st *store) sweep(now time.Time) int {
	n := 0
	cutoff := now.UnixNano() - st.maxInactive
	for i := range st.shards {
		sh := &st.shards[i]
		sh.mu.Lock()
		for sh.tail != nil && sh.tail.last < cutoff {
			sh.removeLocked(sh.tail)
			n++
		}
		sh.mu.Unlock()
	}
	st.live.Add(int64(-n))
	st.expired.Add(int64(n))
	return n
}

func (sh *shard) pushFrontLocked(s *session) {
	s.prev, s.next = nil, sh.head
	if sh.head != nil {
		sh.head.prev = s
	}
	sh.head = s
	if sh.tail == nil {
		sh.tail = s
	}
}

func (sh *shard) unlinkLocked(s *session) {
	if s.prev != nil {
		s.prev.next = s.next
	} else {
		sh.head = s.next
	}
	if s.next != nil {
		s.next.prev = s.prev
	} else {
		sh.tail = s.prev
	}
	s.prev, s.next = nil, nil
}

func (sh *shard) moveToFrontLocked(s *session) {
	if sh.head == s {
		return
	}
	sh.unlinkLocked(s)
	sh.pushFrontLocked(s)
}

func (sh *shard) removeLocked(s *session) {
	sh.unlinkLocked(s)
	delete(sh.m, s.id)
}
