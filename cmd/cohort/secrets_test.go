package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var challengeRE = regexp.MustCompile(`code_challenge=[A-Za-z0-9_-]{43}`)

// TestSecretsNeverLeak runs profiles with known passwords and tokens, with
// every output on, and greps all of it: the summary, --http-debug's log,
// the result file, the HTML report, the hgrm files, the Prometheus page,
// and cohort check's explanations.
func TestSecretsNeverLeak(t *testing.T) {
	dir := t.TempDir()
	var csv strings.Builder
	csv.WriteString("username,password\n")
	var passwords []string
	for i := range 4 {
		pw := fmt.Sprintf("Sup3r-S3cret-%d-xyzzy", i)
		passwords = append(passwords, pw)
		fmt.Fprintf(&csv, "user%d,%s\n", i, pw)
	}
	users := filepath.Join(dir, "users.csv")
	os.WriteFile(users, []byte(csv.String()), 0o644)
	leaks := regexp.MustCompile(strings.Join(passwords, "|") + `|eyJhbGciOi|[0-9A-F]{32}|[A-Za-z0-9+/]{40,}={0,2}\b|code=[0-9a-f]{8}-`)

	for _, profile := range []string{"spring-form", "jwt", "spring-oauth2"} {
		t.Run(profile, func(t *testing.T) {
			path := writeProfile(t, profile, func(s string) string {
				s = strings.Replace(s, "demo_target: []", `demo_target: ["--users", "`+users+`"]`, 1)
				s = strings.Replace(s, `demo_target: ["--oauth2"]`, `demo_target: ["--oauth2", "--users", "`+users+`"]`, 1)
				return strings.Replace(s, `demo_target: ["--token-ttl", "5s"]`, `demo_target: ["--token-ttl", "1s", "--users", "`+users+`"]`, 1)
			})
			out := filepath.Join(dir, profile)
			port := freePort(t)
			pr, pw := io.Pipe()
			var stderr bytes.Buffer
			done := make(chan int)
			ctx, stopLinger := context.WithCancel(context.Background())
			defer stopLinger()
			go func() {
				code := dispatch(ctx, &env{stdout: pw, stderr: &stderr}, []string{"run", path,
					"--users", users, "--vus", "4", "--duration", "2s", "--http-debug", "--no-progress",
					"--out", out + ".json", "--html", out + ".html", "--hgrm", out + "-hgrm", "--junit", out + ".xml",
					"--prometheus-listen", "127.0.0.1:" + port, "--prometheus-linger", "1m"})
				pw.Close()
				done <- code
			}()
			var stdout strings.Builder
			var metricsPage []byte
			lines := bufio.NewScanner(pr)
			for lines.Scan() {
				stdout.WriteString(lines.Text() + "\n")
				if strings.HasPrefix(lines.Text(), "serving the final metrics") {
					resp, err := http.Get("http://127.0.0.1:" + port + "/metrics")
					if err != nil {
						t.Fatal(err)
					}
					metricsPage, _ = io.ReadAll(resp.Body)
					resp.Body.Close()
					// The scrape is done: end the linger as Ctrl-C would.
					stopLinger()
				}
			}
			if code := <-done; code != exitOK {
				t.Fatalf("run: exit %d\n%s%s", code, stdout.String(), stderr.String())
			}
			outputs := map[string][]byte{"stdout": []byte(stdout.String()), "metrics": metricsPage}
			for _, f := range []string{out + ".json", out + ".html", out + ".xml"} {
				data, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				outputs[filepath.Base(f)] = data
			}
			hgrms, _ := filepath.Glob(out + "-hgrm/*.hgrm")
			for _, f := range hgrms {
				data, _ := os.ReadFile(f)
				outputs[filepath.Base(f)] = data
			}
			var check bytes.Buffer
			dispatch(context.Background(), &env{stdout: &check, stderr: &check}, []string{"check", path, "--users", users})
			outputs["check"] = check.Bytes()
			if !strings.Contains(stderr.String(), "[http-debug]") || len(hgrms) == 0 || len(metricsPage) == 0 {
				t.Fatalf("an output is missing: debug %d bytes, %d hgrm files, metrics %d bytes", stderr.Len(), len(hgrms), len(metricsPage))
			}
			outputs["stderr"] = stderr.Bytes()
			for name, data := range outputs {
				text := string(data)
				if name != "stderr" && name != "stdout" && name != "check" {
					// Histograms are base64 by nature: judge the rest.
					text = regexp.MustCompile(`HISTFAAA[A-Za-z0-9+/=]*`).ReplaceAllString(text, "")
				}
				// A PKCE challenge is a hash made to travel in the open (the
				// authorization URL); its verifier is the secret, and is
				// judged with the rest.
				text = challengeRE.ReplaceAllString(text, "code_challenge=")
				// The plan line names the outputs' paths, in the test's
				// own directory: long, and no secret.
				text = strings.ReplaceAll(text, dir, "DIR")
				if m := leaks.FindString(text); m != "" {
					t.Errorf("%s leaks %q", name, m)
				}
			}
		})
	}
}
