package target

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		want string // substring of the error; "" for none
	}{
		{"defaults", Config{}, ""},
		{"negative latency", Config{Latency: -time.Second}, "--latency: must not be negative"},
		{"negative max-inactive", Config{MaxInactive: -1}, "--max-inactive"},
		{"error rate above 1", Config{ErrorRate: 1.5}, "--error-rate: must be between 0 and 1"},
		{"negative reset rate", Config{ResetRate: -0.1}, "--reset-rate"},
		{"stall-for alone", Config{StallFor: time.Second}, "give both or neither"},
		{"stall window too long", Config{StallEvery: time.Second, StallFor: time.Second}, "must be shorter"},
		{"unknown csrf mode", Config{CSRF: "header"}, `--csrf: want "session" or "cookie"`},
		{"bad cookie name", Config{SessionCookie: "a b"}, "--session-cookie"},
		{"negative max-sessions", Config{MaxSessions: -2}, "--max-sessions"},
		{"when-full", Config{MaxSessions: 2, WhenFull: "drop"}, "--when-full: want evict or refuse"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := New(c.cfg)
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("unexpected error %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

func TestReadUsers(t *testing.T) {
	cases := []struct {
		name, csv string
		want      map[string]string
		err       string
	}{
		{"plain", "username,password\nalice,secret\nbob,hunter2\n", map[string]string{"alice": "secret", "bob": "hunter2"}, ""},
		{"extra columns and BOM", "\ufeffid,password,username\n1,\"a,b\",carol\n", map[string]string{"carol": "a,b"}, ""},
		{"empty file", "", nil, "line 1: empty file"},
		{"no password column", "username,pass\na,b\n", nil, "lacks a username and a password column"},
		{"short row", "username,password\nalice\n", nil, "line 2: want at least 2 fields"},
		{"duplicate", "username,password\na,1\na,2\n", nil, `line 3, field username: "a" appears twice`},
		{"header only", "username,password\n", nil, "no users"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ReadUsers(strings.NewReader(c.csv))
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want %q", err, c.err)
				}
				return
			}
			if err != nil || len(got) != len(c.want) {
				t.Fatalf("got %v, %v", got, err)
			}
			for k, v := range c.want {
				if got[k] != v {
					t.Fatalf("%s: password %q, want %q", k, got[k], v)
				}
			}
		})
	}
}

func TestUsersFromCSVReplaceDefaults(t *testing.T) {
	tt := startTarget(t, Config{Users: map[string]string{"alice": "s3cret"}})
	b := newBrowser(t, tt.url)
	if loc := b.login("alice", "s3cret").header.Get("Location"); loc != "/" {
		t.Fatalf("alice's login went to %q", loc)
	}
	if loc := newBrowser(t, tt.url).login("user1", "pass1").header.Get("Location"); loc != "/login?error" {
		t.Fatalf("user1 with a users file went to %q, want /login?error", loc)
	}
}

func TestStatsEndpoint(t *testing.T) {
	tt := startTarget(t, Config{})
	newBrowser(t, tt.url).login("user1", "pass1")
	r := newBrowser(t, tt.url).get("/-/stats", nil)
	wantStatus(t, "stats", r, http.StatusOK)
	for _, want := range []string{`"live_sessions":1`, `"created":1`, `"logins_ok":1`, `"requests":2`, `"rotated":1`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("stats %s lacks %s", r.body, want)
		}
	}
}
