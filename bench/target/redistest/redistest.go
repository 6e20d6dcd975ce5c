// Package redistest starts a real Redis server for tests: Debian's
// redis-server on a free loopback port, without persistence, stopped when
// the test ends.
package redistest

import (
	"bufio"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Start runs redis-server with extra arguments (such as "--maxmemory",
// "8mb") and returns its URL, database 0. Without redis-server the test is
// skipped, or fails under CI (CI=true), where scripts/test installs it.
func Start(t testing.TB, args ...string) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("redis-server is not installed (scripts/test installs Debian's redis-server)")
		}
		t.Skip("redis-server is not installed; scripts/test installs it")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	all := append([]string{"--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", t.TempDir()}, args...)
	cmd := exec.Command(bin, all...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	// Await the line Redis logs once it accepts connections.
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "Ready to accept connections") {
				ready <- true
				io.Copy(io.Discard, out)
				return
			}
		}
		ready <- false
	}()
	select {
	case ok := <-ready:
		if !ok {
			t.Fatalf("redis-server on port %s exited before it was ready", port)
		}
	case <-time.After(time.Minute):
		t.Fatalf("redis-server on port %s was not ready after a minute", port)
	}
	return "redis://127.0.0.1:" + port + "/0"
}
