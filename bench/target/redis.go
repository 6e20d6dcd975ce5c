package target

import (
	"bufio"
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Spring Session Data Redis's layout (RedisSessionRepository): one hash
// per session under its namespace, with the session's times and one field
// per attribute, and a TTL of the max-inactive interval renewed by every
// save. Spring serializes attribute values with JDK serialization; the
// target writes them as plain strings.
const (
	redisKeyPrefix      = "spring:session:sessions:"
	attrPrefix          = "sessionAttr:"
	attrSecurityContext = attrPrefix + "SPRING_SECURITY_CONTEXT"
	attrCSRF            = attrPrefix + "org.springframework.security.web.csrf.HttpSessionCsrfTokenRepository.CSRF_TOKEN"
	attrSavedRequest    = attrPrefix + "SPRING_SECURITY_SAVED_REQUEST"
	attrCart            = attrPrefix + "shopCart"
	fieldCreationTime   = "creationTime"
	fieldLastAccessed   = "lastAccessedTime"
	fieldMaxInactive    = "maxInactiveInterval"
)

// redisStore keeps sessions in Redis, so that several target instances
// share them as Spring Session instances do. Each request reads its session
// (HGETALL) and then saves its last access time (HSET lastAccessedTime and
// EXPIRE, pipelined): two round trips, as Spring Session makes. Redis
// expires idle sessions itself; eviction is Redis's maxmemory policy.
type redisStore struct {
	rdb         *redis.Client
	maxInactive time.Duration
	newID       func() string

	created, invalidated, rotated, errors atomic.Int64
}

func newRedisStore(c Config, newID func() string) (*redisStore, error) {
	opt, err := redis.ParseURL(c.Store)
	if err != nil {
		return nil, fmt.Errorf("--store: %v", err)
	}
	opt.PoolSize = max(opt.PoolSize, 64) // many handlers wait on Redis at once
	return &redisStore{rdb: redis.NewClient(opt), maxInactive: c.MaxInactive, newID: newID}, nil
}

func redisKey(id string) string { return redisKeyPrefix + id }

// failed counts a Redis error; the request goes on as if the session were
// gone, which is what a client sees of a store that fails.
func (rs *redisStore) failed(err error) {
	if err != nil && err != redis.Nil {
		rs.errors.Add(1)
	}
}

func (rs *redisStore) load(ctx context.Context, id string) (*session, bool) {
	if id == "" {
		return nil, false
	}
	m, err := rs.rdb.HGetAll(ctx, redisKey(id)).Result()
	if err != nil || len(m) == 0 {
		rs.failed(err)
		return nil, false
	}
	last, _ := strconv.ParseInt(m[fieldLastAccessed], 10, 64)
	return &session{id: id, user: m[attrSecurityContext], csrf: m[attrCSRF], saved: m[attrSavedRequest], cart: m[attrCart],
		last: last * int64(time.Millisecond)}, true
}

// save writes s with its access time at now, and extra fields, and renews
// its TTL; whole says to write every field, not only the access time.
func (rs *redisStore) save(ctx context.Context, s *session, now time.Time, whole bool, extra ...any) {
	key := redisKey(s.id)
	ms := strconv.FormatInt(now.UnixMilli(), 10)
	fields := append([]any{fieldLastAccessed, ms}, extra...)
	if whole {
		fields = append(fields, fieldMaxInactive, strconv.Itoa(int(rs.maxInactive/time.Second)),
			attrSecurityContext, s.user, attrCSRF, s.csrf, attrSavedRequest, s.saved, attrCart, s.cart)
	}
	_, err := rs.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, key, fields...)
		p.Expire(ctx, key, rs.maxInactive)
		return nil
	})
	rs.failed(err)
}

func (rs *redisStore) get(ctx context.Context, id string, now time.Time) (sessionView, bool) {
	s, ok := rs.load(ctx, id)
	if !ok {
		return sessionView{}, false
	}
	rs.save(ctx, s, now, false)
	return s.view(), true
}

func (rs *redisStore) create(ctx context.Context, now time.Time, init func(*session)) (sessionView, bool) {
	s := &session{id: rs.newID(), last: now.UnixNano()}
	if init != nil {
		init(s)
	}
	rs.save(ctx, s, now, true, fieldCreationTime, strconv.FormatInt(now.UnixMilli(), 10))
	rs.created.Add(1)
	return s.view(), true
}

func (rs *redisStore) update(ctx context.Context, id string, now time.Time, fn func(*session)) (sessionView, bool) {
	s, ok := rs.load(ctx, id)
	if !ok {
		return sessionView{}, false
	}
	fn(s)
	rs.save(ctx, s, now, true)
	return s.view(), true
}

// rotate renames the session's hash to a new id, as Spring Session does
// when Spring Security changes the session id at login.
func (rs *redisStore) rotate(ctx context.Context, id string, now time.Time, fn func(*session)) (sessionView, bool) {
	s, ok := rs.load(ctx, id)
	if !ok {
		return sessionView{}, false
	}
	s.id = rs.newID()
	if err := rs.rdb.Rename(ctx, redisKey(id), redisKey(s.id)).Err(); err != nil {
		rs.failed(err)
		return sessionView{}, false
	}
	if fn != nil {
		fn(s)
	}
	rs.save(ctx, s, now, true)
	rs.rotated.Add(1)
	return s.view(), true
}

func (rs *redisStore) invalidate(ctx context.Context, id string) bool {
	n, err := rs.rdb.Del(ctx, redisKey(id)).Result()
	rs.failed(err)
	if n > 0 {
		rs.invalidated.Add(1)
	}
	return n > 0
}

// sweep does nothing: Redis expires sessions by their TTL.
func (rs *redisStore) sweep(time.Time) int { return 0 }

// counts reads the live sessions (DBSIZE: give the target a database of its
// own) and Redis's own counts of expired and evicted keys (server-wide).
func (rs *redisStore) counts() storeCounts {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	c := storeCounts{created: rs.created.Load(), invalidated: rs.invalidated.Load(), rotated: rs.rotated.Load(),
		errors: rs.errors.Load()}
	c.live, _ = rs.rdb.DBSize(ctx).Result()
	if info, err := rs.rdb.Info(ctx, "stats").Result(); err == nil {
		c.expired, c.evicted = infoField(info, "expired_keys"), infoField(info, "evicted_keys")
	}
	return c
}

// infoField reads one counter of Redis's INFO output.
func infoField(info, name string) int64 {
	sc := bufio.NewScanner(strings.NewReader(info))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n
		}
	}
	return 0
}

func (rs *redisStore) close() error { return rs.rdb.Close() }
