package virtualuser

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/cohort-dev/cohort/profiles"
)

// User is one set of credentials, with the columns of its CSV row.
type User struct {
	// Values are aligned with the pool's Columns; 0 is username, 1 password.
	Values []string
	index  int
}

// Name returns the user name.
func (u *User) Name() string { return u.Values[0] }

// UserPool hands out users to VUs. Unless sharing is allowed, a user is
// held by at most one live VU at a time.
type UserPool struct {
	columns []string
	share   bool

	// Either rows (CSV) or a generator.
	rows []User
	gen  *profiles.Generate

	// offset and stride pick this instance's users when a run is split
	// into segments: user offset, offset+stride, ... (stride 0 means 1).
	offset, stride int

	mu   sync.Mutex
	free []int // indexes released (lowest first): reused once none is left never used (see Acquire)
	next int   // next never-used index
}

// Segment returns the pool of instance i (from 1) of n: every n-th user,
// starting with the i-th, so that the instances of a distributed run never
// share a user and together use all of them.
func (p *UserPool) Segment(i, n int) *UserPool {
	return &UserPool{columns: p.columns, share: p.share, rows: p.rows, gen: p.gen, offset: i - 1, stride: n}
}

// Columns returns the column names; username and password come first.
func (p *UserPool) Columns() []string { return p.columns }

// Size returns how many distinct users the pool has (-1: unbounded).
func (p *UserPool) Size() int {
	total := len(p.rows)
	if p.gen != nil {
		total = p.gen.Count
		if total <= 0 {
			return -1
		}
	}
	stride := max(p.stride, 1)
	if total <= p.offset {
		return 0
	}
	return (total - p.offset + stride - 1) / stride
}

// NewGeneratedPool makes users from the patterns of g.
func NewGeneratedPool(g profiles.Generate, share bool) *UserPool {
	return &UserPool{columns: []string{"username", "password"}, share: share, gen: &g}
}

// NewAnonymousPool is the pool of a profile without users (quick mode):
// one user with empty credentials, shared.
func NewAnonymousPool() *UserPool {
	return &UserPool{columns: []string{"username", "password"}, share: true, rows: []User{{Values: []string{"", ""}}}}
}

// LoadUsersCSV reads a users file. The header must name username and
// password; other columns become {{user.NAME}}. Errors name the file, the
// line and the field.
func LoadUsersCSV(path string, share bool) (*UserPool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	pool, err := ReadUsersCSV(f, share)
	if err != nil {
		return nil, fmt.Errorf("%s:%w", path, err)
	}
	return pool, nil
}

// ReadUsersCSV is LoadUsersCSV over a reader; errors start with the line.
func ReadUsersCSV(r io.Reader, share bool) (*UserPool, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err == io.EOF {
		return nil, errors.New("1: empty file, want a header such as username,password")
	}
	if err != nil {
		return nil, csvError(err)
	}
	for i := range header {
		header[i] = strings.TrimSpace(strings.TrimPrefix(header[i], "\ufeff"))
	}
	ucol, pcol := slices.Index(header, "username"), slices.Index(header, "password")
	if ucol < 0 || pcol < 0 {
		return nil, fmt.Errorf("1: header %q: want columns named username and password", strings.Join(header, ","))
	}
	order := []int{ucol, pcol}
	columns := []string{"username", "password"}
	for i, h := range header {
		if i == ucol || i == pcol {
			continue
		}
		if h == "" || slices.Contains(columns, h) {
			return nil, fmt.Errorf("1: field %d: column name %q is empty or repeated", i+1, h)
		}
		order = append(order, i)
		columns = append(columns, h)
	}
	pool := &UserPool{columns: columns, share: share}
	// Without sharing, each user is one VU's: the same name twice would
	// log one account in from two VUs at once.
	firstLine := map[string]int{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvError(err)
		}
		line, _ := cr.FieldPos(0)
		vals := make([]string, len(order))
		for j, col := range order {
			vals[j] = rec[col]
		}
		if vals[0] == "" {
			return nil, fmt.Errorf("%d: field username: empty", line)
		}
		if at, dup := firstLine[vals[0]]; dup && !share {
			return nil, fmt.Errorf("%d: field username: %q is also the user of line %d (two VUs would share its session; remove one, or set users.share: true)", line, vals[0], at)
		}
		firstLine[vals[0]] = line
		pool.rows = append(pool.rows, User{Values: vals, index: len(pool.rows)})
	}
	if len(pool.rows) == 0 {
		return nil, errors.New("2: no users after the header")
	}
	return pool, nil
}

func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		if errors.Is(pe.Err, csv.ErrFieldCount) {
			return fmt.Errorf("%d: want as many fields as the header has", pe.Line)
		}
		return fmt.Errorf("%d:%d: %v", pe.Line, pe.Column, pe.Err)
	}
	return err
}

// Acquire hands out a user. Without sharing, it fails when every user is
// held. Of a list of users, one never handed out goes before one given
// back: with as many users as VUs, each user logs in once, even when a VU
// is done before another has started. Generated users without a count are
// without end: one given back is used again.
func (p *UserPool) Acquire() (*User, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.Size() == 0 {
		return nil, fmt.Errorf("no users for this segment (%d segments, fewer users)", p.stride)
	}
	var i int
	switch {
	case p.Size() > 0 && p.next < p.Size():
		i = p.next
		p.next++
	case len(p.free) > 0:
		i, p.free = p.free[0], p.free[1:]
	case p.Size() < 0:
		i = p.next
		p.next++
	case p.share:
		i = p.next % p.Size()
		p.next++
	default:
		return nil, fmt.Errorf("all %d users are in use by live VUs (allow sharing with users.share: true, or give more users)", p.Size())
	}
	if p.share && p.Size() > 0 {
		i %= p.Size()
	}
	return p.user(i), nil
}

func (p *UserPool) user(i int) *User {
	phys := p.offset + i*max(p.stride, 1)
	if p.gen == nil {
		u := p.rows[phys]
		u.index = i
		return &u
	}
	n := strconv.Itoa(p.gen.Start + phys)
	return &User{index: i, Values: []string{
		strings.ReplaceAll(p.gen.Username, "{{n}}", n),
		strings.ReplaceAll(p.gen.Password, "{{n}}", n),
	}}
}

// Release returns a user to the pool.
func (p *UserPool) Release(u *User) {
	if p.share || u == nil {
		return
	}
	i := u.index
	p.mu.Lock()
	defer p.mu.Unlock()
	at, _ := slices.BinarySearch(p.free, i)
	p.free = slices.Insert(p.free, at, i)
}
