package target

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cohort-dev/cohort/bench/target/redistest"
)

// TestRedisStoreLayout follows a session through login, a request and
// logout in Redis, where Spring Session Data Redis would keep it.
func TestRedisStoreLayout(t *testing.T) {
	u := redistest.Start(t)
	tt := startTarget(t, Config{Store: u})
	defer tt.Close(context.Background())
	opt, _ := redis.ParseURL(u)
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	ctx := context.Background()
	hash := func(id string) map[string]string {
		t.Helper()
		m, err := rdb.HGetAll(ctx, redisKeyPrefix+id).Result()
		if err != nil {
			t.Fatal(err)
		}
		return m
	}

	b := newBrowser(t, tt.url)
	page := b.get("/login", htmlAccept)
	anon := b.cookie("JSESSIONID")
	if m := hash(anon); m[fieldCreationTime] == "" || m[fieldMaxInactive] != "1800" || m[attrCSRF] == "" || m[attrSecurityContext] != "" {
		t.Fatalf("the login page's session in Redis: %v", m)
	}
	if ttl := rdb.TTL(ctx, redisKeyPrefix+anon).Val(); ttl < 29*time.Minute || ttl > 30*time.Minute {
		t.Fatalf("TTL %v, want the 30 min max-inactive interval", ttl)
	}
	r := b.postForm("/login", url.Values{"username": {"user7"}, "password": {"pass7"}, "_csrf": {csrfFrom(t, page.body)}})
	wantStatus(t, "login", r, http.StatusFound)
	id := b.cookie("JSESSIONID")
	if id == anon || len(hash(anon)) != 0 {
		t.Fatalf("login kept the session id %s (or its hash): fixation protection renames it", anon)
	}
	m := hash(id)
	if m[attrSecurityContext] != "user7" {
		t.Fatalf("the logged-in session in Redis: %v", m)
	}
	before := m[fieldLastAccessed]
	tt.clock.advance(5 * time.Second)
	wantStatus(t, "profile", b.get("/api/profile", jsonAccept), http.StatusOK)
	after := hash(id)[fieldLastAccessed]
	if b, a := parseMillis(t, before), parseMillis(t, after); a-b != 5000 {
		t.Fatalf("lastAccessedTime %s then %s: want 5000 ms later", before, after)
	}
	tok := csrfFrom(t, b.get("/account", htmlAccept).body)
	wantStatus(t, "logout", b.postForm("/logout", url.Values{"_csrf": {tok}}), http.StatusFound)
	if len(hash(id)) != 0 {
		t.Fatal("the session outlived its logout in Redis")
	}
	st := tt.Stats()
	if st.Created != 1 || st.Rotated != 1 || st.Invalidated != 1 || st.LiveSessions != 0 || st.StoreErrors != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// TestRedisStoreSharedByInstances checks that two targets on one Redis
// serve each other's sessions.
func TestRedisStoreSharedByInstances(t *testing.T) {
	u := redistest.Start(t)
	a := startTarget(t, Config{Store: u, Instance: "a"})
	defer a.Close(context.Background())
	bt := startTarget(t, Config{Store: u, Instance: "b"})
	defer bt.Close(context.Background())
	br := newBrowser(t, a.url)
	wantStatus(t, "login on a", br.login("user1", "pass1"), http.StatusFound)
	id := br.cookie("JSESSIONID")
	other := newBrowser(t, bt.url)
	ub, _ := url.Parse(bt.url)
	other.jar.SetCookies(ub, []*http.Cookie{{Name: "JSESSIONID", Value: id}})
	r := other.get("/api/profile", jsonAccept)
	wantStatus(t, "the same session on b", r, http.StatusOK)
	if r.header.Get("X-Instance") != "b" {
		t.Fatalf("answered by %q", r.header.Get("X-Instance"))
	}
	if live := bt.Stats().LiveSessions; live != 1 {
		t.Fatalf("b sees %d live sessions in the shared store, want 1", live)
	}
}

func parseMillis(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("%q is not a number of milliseconds", s)
	}
	return n
}
