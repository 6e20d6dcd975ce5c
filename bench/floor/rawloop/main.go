// Command rawloop is the floor of a Go load generator on the authenticated
// loop, for scripts/bench floor: one goroutine per connection writing the
// same logged-in GET /api/profile and reading each answer with no parsing
// beyond finding its end (the header's end and Content-Length), no
// cookie jar, no timing, no recording. What cohort costs beyond it is
// cohort's own work; what it costs beyond wrk is Go's (goroutines parked
// and woken by the runtime's poller, system calls through the runtime).
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "the target's address (loopback only)")
	conns := flag.Int("c", 50, "connections, one goroutine each")
	dur := flag.Duration("d", 10*time.Second, "how long to run")
	cookie := flag.String("cookie", "", "the session cookie (NAME=VALUE)")
	flag.Parse()
	if host, _, err := net.SplitHostPort(*addr); err != nil || !net.ParseIP(host).IsLoopback() {
		fmt.Fprintln(os.Stderr, "rawloop: -addr must be a loopback address with a port")
		os.Exit(2)
	}
	req := []byte("GET /api/profile HTTP/1.1\r\nHost: " + *addr + "\r\nUser-Agent: rawloop\r\nAccept: application/json\r\nCookie: " + *cookie + "\r\n\r\n")
	var total atomic.Int64
	stop := time.Now().Add(*dur)
	var wg sync.WaitGroup
	for range *conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := loop(*addr, req, stop)
			total.Add(n)
			if err != nil {
				fmt.Fprintln(os.Stderr, "rawloop:", err)
			}
		}()
	}
	wg.Wait()
	fmt.Println(total.Load())
}

// loop sends req and reads its answer until stop; it returns the answers.
func loop(addr string, req []byte, stop time.Time) (int64, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	br := bufio.NewReaderSize(c, 4<<10)
	var n int64
	for time.Now().Before(stop) {
		if _, err := c.Write(req); err != nil {
			return n, err
		}
		if err := answer(br); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// answer reads one answer with a Content-Length body.
func answer(br *bufio.Reader) error {
	length := -1
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return err
		}
		if len(line) <= 2 {
			break
		}
		if k, v, ok := bytes.Cut(line, []byte(":")); ok && bytes.EqualFold(k, []byte("Content-Length")) {
			length, _ = strconv.Atoi(string(bytes.TrimSpace(v)))
		}
	}
	if length < 0 {
		return fmt.Errorf("an answer without Content-Length")
	}
	_, err := br.Discard(length)
	return err
}
