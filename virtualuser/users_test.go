package virtualuser

import (
	"strings"
	"testing"

	"github.com/cohort-dev/cohort/profiles"
)

func TestReadUsersCSV(t *testing.T) {
	cases := []struct {
		name, csv, err string
		columns        string
		first          []string
	}{
		{name: "plain", csv: "username,password\nu1,p1\n", columns: "username,password", first: []string{"u1", "p1"}},
		{name: "extra columns, BOM, quoted comma", csv: "\ufeffemail,username,password\n\"a,b@x\",u1,p1\n",
			columns: "username,password,email", first: []string{"u1", "p1", "a,b@x"}},
		{name: "empty", csv: "", err: "1: empty file"},
		{name: "no password column", csv: "username,pass\nu,p\n", err: "1: header \"username,pass\": want columns named username and password"},
		{name: "wrong field count", csv: "username,password\nu1\n", err: "2: want as many fields as the header has"},
		{name: "bad quoting", csv: "username,password\n\"u1,p1\n", err: "2:"},
		{name: "header only", csv: "username,password\n", err: "no users after the header"},
		{name: "empty user name", csv: "username,password\n,p\n", err: "2: field username: empty"},
		{name: "a user twice", csv: "username,password\nu1,p1\nu2,p2\nu1,p3\n", err: `4: field username: "u1" is also the user of line 2`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := ReadUsersCSV(strings.NewReader(c.csv), false)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(p.Columns(), ",") != c.columns {
				t.Fatalf("columns %v", p.Columns())
			}
			u, _ := p.Acquire()
			if strings.Join(u.Values, "|") != strings.Join(c.first, "|") {
				t.Fatalf("first user %v", u.Values)
			}
		})
	}
}

// TestSharedUsersMayRepeat: with users.share, a user may stand on
// several lines (the VUs share its sessions by design).
func TestSharedUsersMayRepeat(t *testing.T) {
	if _, err := ReadUsersCSV(strings.NewReader("username,password\nu1,p1\nu1,p1\n"), true); err != nil {
		t.Fatal(err)
	}
}

func TestPoolHandsOutEachUserOnce(t *testing.T) {
	p := NewGeneratedPool(profiles.Generate{Username: "user{{n}}", Password: "pass{{n}}", Start: 1, Count: 3}, false)
	var names []string
	held := map[string]*User{}
	for range 3 {
		u, err := p.Acquire()
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, u.Name()+"/"+u.Values[1])
		held[u.Name()] = u
	}
	if strings.Join(names, ",") != "user1/pass1,user2/pass2,user3/pass3" {
		t.Fatalf("handed out %v", names)
	}
	if _, err := p.Acquire(); err == nil || !strings.Contains(err.Error(), "all 3 users are in use") {
		t.Fatalf("a fourth acquire: %v", err)
	}
	p.Release(held["user2"])
	if u, _ := p.Acquire(); u.Name() != "user2" {
		t.Fatalf("after releasing user2, got %s", u.Name())
	}
}

// TestPoolHandsOutUnusedUsersFirst checks that a user given back waits
// until every user has been handed out once: a VU done early must not
// make a late one log in as the same account while another is never used.
func TestPoolHandsOutUnusedUsersFirst(t *testing.T) {
	p := NewGeneratedPool(profiles.Generate{Username: "user{{n}}", Password: "pass{{n}}", Start: 1, Count: 3}, false)
	var got []string
	take := func() *User {
		t.Helper()
		u, err := p.Acquire()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, u.Name())
		return u
	}
	first := take()
	p.Release(first)
	take()
	take()
	take()
	if strings.Join(got, ",") != "user1,user2,user3,user1" {
		t.Fatalf("handed out %v, want user1,user2,user3,user1", got)
	}
	unbounded := NewGeneratedPool(profiles.Generate{Username: "u{{n}}", Password: "p{{n}}", Start: 1}, false)
	a, _ := unbounded.Acquire()
	unbounded.Release(a)
	if b, _ := unbounded.Acquire(); b.Name() != "u1" {
		t.Errorf("generated users without a count: got %s after u1 was given back, want u1 again", b.Name())
	}
}

func TestSharedPoolCycles(t *testing.T) {
	p, _ := ReadUsersCSV(strings.NewReader("username,password\na,1\nb,2\n"), true)
	var got []string
	for range 5 {
		u, err := p.Acquire()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, u.Name())
	}
	if strings.Join(got, "") != "ababa" {
		t.Fatalf("shared pool handed out %v", got)
	}
}

// TestSegmentPoolsAreDisjointAndComplete splits users between instances:
// no user in two segments, every user in one.
func TestSegmentPoolsAreDisjointAndComplete(t *testing.T) {
	var rows strings.Builder
	rows.WriteString("username,password\n")
	for i := range 10 {
		rows.WriteString("u" + string(rune('a'+i)) + ",p\n")
	}
	csvPool, _ := ReadUsersCSV(strings.NewReader(rows.String()), false)
	pools := map[string]*UserPool{
		"csv":       csvPool,
		"generated": NewGeneratedPool(profiles.Generate{Username: "user{{n}}", Password: "pass{{n}}", Start: 1, Count: 10}, false),
	}
	for name, pool := range pools {
		t.Run(name, func(t *testing.T) {
			seen := map[string]int{}
			for i := 1; i <= 3; i++ {
				seg := pool.Segment(i, 3)
				for range seg.Size() {
					u, err := seg.Acquire()
					if err != nil {
						t.Fatal(err)
					}
					seen[u.Name()]++
				}
				if _, err := seg.Acquire(); err == nil {
					t.Fatalf("segment %d/3 handed out more than its %d users", i, seg.Size())
				}
			}
			if len(seen) != 10 {
				t.Fatalf("%d distinct users over the segments, want all 10: %v", len(seen), seen)
			}
			for u, n := range seen {
				if n != 1 {
					t.Fatalf("%s in %d segments", u, n)
				}
			}
		})
	}
}
