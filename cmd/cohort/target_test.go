package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestTargetBadFlags(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.csv")
	badCSV := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(badCSV, []byte("name,secret\na,b\n"), 0o644)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"negative duration", []string{"--latency", "-1s"}, "--latency: must not be negative"},
		{"rate above 1", []string{"--error-rate", "1.5"}, "--error-rate: must be between 0 and 1"},
		{"reset rate below 0", []string{"--reset-rate", "-0.5"}, "--reset-rate"},
		{"not a duration", []string{"--max-inactive", "soon"}, "max-inactive"},
		{"unknown flag", []string{"--nope"}, "unknown flag: --nope"},
		{"unreadable users file", []string{"--users", missing}, "--users: open " + missing},
		{"users file without columns", []string{"--users", badCSV}, badCSV + ": line 1"},
		{"stall-for alone", []string{"--stall-for", "1s"}, "give both or neither"},
		{"cert-out without tls", []string{"--cert-out", "x.pem"}, "--cert-out needs --tls"},
		{"stray argument", []string{"extra"}, `unexpected argument "extra"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := dispatch(context.Background(), &env{stdout: &out, stderr: &errOut}, append([]string{"target"}, c.args...))
			if code != exitUsage {
				t.Fatalf("exit %d, want %d; stderr %q", code, exitUsage, errOut.String())
			}
			if !strings.Contains(errOut.String(), c.want) {
				t.Fatalf("stderr %q, want it to contain %q", errOut.String(), c.want)
			}
		})
	}
}

func TestTargetServesUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int)
	go func() {
		code := dispatch(ctx, &env{stdout: pw, stderr: io.Discard},
			[]string{"target", "--listen", "127.0.0.1:0", "--session-cookie", "SESSION", "--instance", "b"})
		pw.Close()
		done <- code
	}()
	lines := bufio.NewScanner(pr)
	if !lines.Scan() {
		t.Fatal("no output from cohort target")
	}
	url := regexp.MustCompile(`http://127\.0\.0\.1:\d+`).FindString(lines.Text())
	if url == "" {
		t.Fatalf("first line %q names no URL", lines.Text())
	}
	resp, err := http.Get(url + "/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !strings.HasPrefix(resp.Header.Get("Set-Cookie"), "SESSION=") || resp.Header.Get("X-Instance") != "b" {
		t.Fatalf("flags not applied: Set-Cookie %q, X-Instance %q", resp.Header.Get("Set-Cookie"), resp.Header.Get("X-Instance"))
	}
	cancel()
	var rest strings.Builder
	for lines.Scan() {
		rest.WriteString(lines.Text())
	}
	if code := <-done; code != exitOK {
		t.Fatalf("exit %d after cancel, want 0", code)
	}
	if !strings.Contains(rest.String(), "stopped: 1 requests") {
		t.Fatalf("closing line %q", rest.String())
	}
}

func TestUnknownCommand(t *testing.T) {
	var errOut bytes.Buffer
	if code := dispatch(context.Background(), &env{stdout: io.Discard, stderr: &errOut}, []string{"frobnicate"}); code != exitUsage {
		t.Fatalf("exit %d, want 2", code)
	}
}

func TestProfilesCommand(t *testing.T) {
	var out bytes.Buffer
	if code := dispatch(context.Background(), &env{stdout: &out, stderr: io.Discard}, []string{"profiles"}); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	for _, name := range []string{"spring-form", "spring-spa", "jwt", "basic", "servlet-form"} {
		if !strings.Contains(out.String(), name+" ") {
			t.Errorf("the list lacks %s:\n%s", name, out.String())
		}
	}
	out.Reset()
	if code := dispatch(context.Background(), &env{stdout: &out, stderr: io.Discard}, []string{"profiles", "jwt"}); code != exitOK || !strings.Contains(out.String(), "name: jwt") {
		t.Fatalf("exit %d, output %q", code, out.String())
	}
	if code := dispatch(context.Background(), &env{stdout: io.Discard, stderr: io.Discard}, []string{"profiles", "nope"}); code != exitUsage {
		t.Fatalf("unknown profile: exit %d, want 2", code)
	}
}
