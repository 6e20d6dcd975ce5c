package target

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestEvictionAtMaxSessions(t *testing.T) {
	tt := startTarget(t, Config{MaxSessions: 3})
	browsers := make([]*browser, 5)
	for i := range browsers {
		tt.clock.advance(time.Second) // each login is later than the one before
		browsers[i] = newBrowser(t, tt.url)
		wantStatus(t, "login", browsers[i].login(fmt.Sprintf("user%d", i), fmt.Sprintf("pass%d", i)), http.StatusFound)
	}
	// Users 0 and 1 were the least recently used when users 3 and 4 came.
	for i, want := range []int{401, 401, 200, 200, 200} {
		tt.clock.advance(time.Second)
		wantStatus(t, fmt.Sprintf("user%d profile", i), browsers[i].get("/api/profile", jsonAccept), want)
	}
	if st := tt.Stats(); st.Evicted != 2 || st.LiveSessions != 3 || st.Created != 5 {
		t.Fatalf("stats %+v: want 2 evicted, 3 live, 5 created", st)
	}
}

// TestRefusalAtMaxSessions: a store that refuses when full (Tomcat's
// StandardManager with maxActiveSessions) answers 500 to a request that
// needs a new session, keeps every session it holds, and takes new ones
// again once one is gone.
func TestRefusalAtMaxSessions(t *testing.T) {
	for _, servlet := range []bool{false, true} {
		t.Run(map[bool]string{false: "spring form", true: "servlet form"}[servlet], func(t *testing.T) {
			tt := startTarget(t, Config{MaxSessions: 2, WhenFull: WhenFullRefuse, ServletForm: servlet})
			a, b, c := newBrowser(t, tt.url), newBrowser(t, tt.url), newBrowser(t, tt.url)
			page := "/login"
			if servlet {
				page = "/app/"
			}
			wantStatus(t, "a's first page", a.get(page, htmlAccept), http.StatusOK)
			wantStatus(t, "b's first page", b.get(page, htmlAccept), http.StatusOK)
			full := c.get(page, htmlAccept)
			wantStatus(t, "c's first page, the store full", full, http.StatusInternalServerError)
			if !strings.Contains(full.body, "Too many active sessions") || c.cookie("JSESSIONID") != "" {
				t.Fatalf("refused: %q, cookie %q", full.body, c.cookie("JSESSIONID"))
			}
			st := tt.Stats()
			if st.Rejected != 1 || st.Evicted != 0 || st.LiveSessions != 2 {
				t.Fatalf("stats %+v: want 1 rejected, none evicted, 2 live", st)
			}
		})
	}
	// Once a session is gone, a new one is taken.
	tt := startTarget(t, Config{MaxSessions: 1, WhenFull: WhenFullRefuse})
	a, b := newBrowser(t, tt.url), newBrowser(t, tt.url)
	wantStatus(t, "a logs in", a.login("user1", "pass1"), http.StatusFound)
	wantStatus(t, "b refused", b.get("/login", htmlAccept), http.StatusInternalServerError)
	tok := csrfFrom(t, a.get("/", htmlAccept).body)
	wantStatus(t, "a logs out", a.postForm("/logout", url.Values{"_csrf": {tok}}), http.StatusFound)
	wantStatus(t, "b after a left", b.get("/login", htmlAccept), http.StatusOK)
}

func TestEvictionFollowsUse(t *testing.T) {
	// Touching the oldest session makes the next one the victim.
	tt := startTarget(t, Config{MaxSessions: 2})
	a, b, c := newBrowser(t, tt.url), newBrowser(t, tt.url), newBrowser(t, tt.url)
	a.login("user1", "pass1")
	tt.clock.advance(time.Second)
	b.login("user2", "pass2")
	tt.clock.advance(time.Second)
	wantStatus(t, "a touches its session", a.get("/api/profile", jsonAccept), http.StatusOK)
	tt.clock.advance(time.Second)
	c.login("user3", "pass3")
	wantStatus(t, "a", a.get("/api/profile", jsonAccept), http.StatusOK)
	wantStatus(t, "b (evicted)", b.get("/api/profile", jsonAccept), http.StatusUnauthorized)
}

func TestMaxInactiveExpiry(t *testing.T) {
	tt := startTarget(t, Config{MaxInactive: 10 * time.Minute})
	active, idle := newBrowser(t, tt.url), newBrowser(t, tt.url)
	active.login("user1", "pass1")
	idle.login("user2", "pass2")
	for range 3 { // the active user keeps its session alive past 10 minutes
		tt.clock.advance(6 * time.Minute)
		wantStatus(t, "active user", active.get("/api/profile", jsonAccept), http.StatusOK)
	}
	wantStatus(t, "idle user", idle.get("/api/profile", jsonAccept), http.StatusUnauthorized)
	if st := tt.Stats(); st.Expired != 1 || st.LiveSessions != 1 {
		t.Fatalf("stats %+v: want 1 expired, 1 live", st)
	}
}

func TestSweepExpiresIdleSessions(t *testing.T) {
	tt := startTarget(t, Config{MaxInactive: time.Minute})
	for i := range 4 {
		newBrowser(t, tt.url).login(fmt.Sprintf("user%d", i), fmt.Sprintf("pass%d", i))
		tt.clock.advance(20 * time.Second)
	}
	// Logins happened at 0, 20, 40 and 60 s; at 80 s + 1 ns the first two are idle over a minute.
	if n := tt.Sweep(tt.clock.now().Add(time.Nanosecond)); n != 2 {
		t.Fatalf("sweep expired %d sessions, want 2", n)
	}
	if st := tt.Stats(); st.Expired != 2 || st.LiveSessions != 2 {
		t.Fatalf("stats %+v", st)
	}
}

func TestStoreLatencyPerReadAndWrite(t *testing.T) {
	tt := startTarget(t, Config{StoreLatency: 3 * time.Millisecond})
	b := newBrowser(t, tt.url)
	b.login("user1", "pass1") // GET /login: create; POST /login: read + rotate
	if got := len(tt.clock.slept()); got != 3 {
		t.Fatalf("login did %d store round trips, want 3 (create, read, rotate)", got)
	}
	b.get("/api/profile", jsonAccept)
	slept := tt.clock.slept()
	if len(slept) != 4 || slept[3] != 3*time.Millisecond {
		t.Fatalf("store round trips %v, want a 4th of 3ms for the profile read", slept)
	}
}

func TestStoreEvictsGlobalOldest(t *testing.T) {
	// Many sessions over all shards: the evicted ones are exactly the oldest.
	clock := newFakeClock()
	n := 0
	st := newStore(Config{MaxSessions: 100, MaxInactive: time.Hour}.Defaults(), func() string { n++; return fmt.Sprintf("id-%d", n) })
	ctx := context.Background()
	for range 300 {
		clock.advance(time.Millisecond)
		st.create(ctx, clock.now(), nil)
	}
	if st.live.Load() != 100 || st.evicted.Load() != 200 {
		t.Fatalf("live %d evicted %d", st.live.Load(), st.evicted.Load())
	}
	for i := 1; i <= 300; i++ {
		_, ok := st.get(ctx, fmt.Sprintf("id-%d", i), clock.now())
		if want := i > 200; ok != want {
			t.Fatalf("session id-%d live = %v, want %v", i, ok, want)
		}
	}
}
