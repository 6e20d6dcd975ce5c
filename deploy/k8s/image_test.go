package k8s

import (
	"bufio"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// imageTag is the tag docs/distributed.md builds and the manifests run.
const imageTag = "cohort:dev"

// buildBlockMarker precedes, in docs/distributed.md, the block of commands
// that builds the image; TestImageBuildsAsDocumented runs it as it is.
const buildBlockMarker = "<!-- deploy/k8s/image_test.go runs the next block as it is -->"

// docsBuildBlock returns the lines of the docs' image build block.
func docsBuildBlock(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile("../../docs/distributed.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(data), buildBlockMarker+"\n")
	if !ok {
		t.Fatalf("docs/distributed.md has no %s", buildBlockMarker)
	}
	after = strings.TrimLeft(after, " ")
	fence := "```sh\n"
	if !strings.HasPrefix(after, fence) {
		t.Fatalf("the marker in docs/distributed.md is not followed by a %q block", strings.TrimSpace(fence))
	}
	block, _, ok := strings.Cut(after[len(fence):], "```")
	if !ok {
		t.Fatal("the docs' build block is not closed")
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(block), "\n") {
		lines = append(lines, strings.TrimSpace(l))
	}
	return lines
}

// instruction is one line of the Dockerfile.
type instruction struct{ cmd, args string }

// dockerfile reads deploy/Dockerfile: its instructions, and the commands
// its header comment gives (lines indented under a "#").
func dockerfile(t *testing.T) (ins []instruction, commented []string) {
	t.Helper()
	data, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if c, ok := strings.CutPrefix(line, "#   "); ok {
			commented = append(commented, strings.TrimSpace(c))
			continue
		}
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasSuffix(line, "\\") {
			t.Fatalf("the Dockerfile continues a line (%q): the test reads one instruction a line", line)
		}
		cmd, args, _ := strings.Cut(line, " ")
		ins = append(ins, instruction{strings.ToUpper(cmd), strings.TrimSpace(args)})
	}
	return ins, commented
}

// dockerfileUser returns the uid and gid of the Dockerfile's USER.
func dockerfileUser(t *testing.T) (uid, gid int64) {
	t.Helper()
	ins, _ := dockerfile(t)
	var users []string
	for _, in := range ins {
		if in.cmd == "USER" {
			users = append(users, in.args)
		}
	}
	if len(users) != 1 {
		t.Fatalf("the Dockerfile has %d USER lines, want 1", len(users))
	}
	u, g, ok := strings.Cut(users[0], ":")
	uid, err1 := strconv.ParseInt(u, 10, 64)
	gid, err2 := strconv.ParseInt(g, 10, 64)
	if !ok || err1 != nil || err2 != nil || uid == 0 || gid == 0 {
		t.Fatalf("USER %s: want a numeric uid:gid other than root's (Kubernetes checks runAsNonRoot by number)", users[0])
	}
	return uid, gid
}

// contextFiles returns the names of the files the docs' block puts into
// the build context folder, and that folder.
func contextFiles(t *testing.T, block []string) (files []string, dir string) {
	t.Helper()
	build := regexp.MustCompile(`^CGO_ENABLED=0 go build -trimpath -ldflags=-s -o (\S+) \./cmd/cohort$`)
	image := regexp.MustCompile(`^buildah build -f deploy/Dockerfile -t (\S+) (\S+)$`)
	var built, tag string
	for _, l := range block {
		if m := build.FindStringSubmatch(l); m != nil {
			built = m[1]
		}
		if m := image.FindStringSubmatch(l); m != nil {
			tag, dir = m[1], m[2]
		}
	}
	if built == "" || dir == "" {
		t.Fatalf("the docs' block %q lacks the static build of cmd/cohort or the buildah build", block)
	}
	if tag != imageTag {
		t.Errorf("the docs build %s, the manifests run %s", tag, imageTag)
	}
	if filepath.Dir(built) != dir {
		t.Errorf("the docs build cohort to %s, outside the build context %s", built, dir)
	}
	files = append(files, filepath.Base(built))
	for _, l := range block {
		w := strings.Fields(l)
		if len(w) > 2 && w[0] == "cp" {
			if strings.TrimSuffix(w[len(w)-1], "/") != dir {
				t.Errorf("%q copies outside the build context %s", l, dir)
			}
			for _, src := range w[1 : len(w)-1] {
				files = append(files, filepath.Base(src))
			}
		}
	}
	sort.Strings(files)
	return files, dir
}

func TestDockerfileMatchesTheDocsAndTheJob(t *testing.T) {
	ins, commented := dockerfile(t)
	block := docsBuildBlock(t)
	if !slices.Equal(commented, block) {
		t.Errorf("the Dockerfile's comment gives\n%q\nthe docs\n%q", commented, block)
	}
	if len(ins) == 0 || ins[0] != (instruction{"FROM", "scratch"}) {
		t.Fatalf("the Dockerfile starts %v, want FROM scratch: nothing to pull, nothing but what is copied in", ins[:min(1, len(ins))])
	}
	copies := map[string]string{}
	var sources []string
	var entrypoint, env, runs []string
	for _, in := range ins[1:] {
		switch in.cmd {
		case "FROM":
			t.Errorf("a second FROM %s: the image builds from the context alone", in.args)
		case "COPY":
			w := strings.Fields(in.args)
			if len(w) != 2 {
				t.Fatalf("COPY %s: want one source and its destination", in.args)
			}
			copies[w[0]] = w[1]
			sources = append(sources, w[0])
		case "ENTRYPOINT":
			if err := json.Unmarshal([]byte(in.args), &entrypoint); err != nil {
				t.Fatalf("ENTRYPOINT %s: want the exec form: %v", in.args, err)
			}
		case "ENV":
			env = append(env, in.args)
		case "RUN":
			runs = append(runs, in.args)
		}
	}
	sort.Strings(sources)
	files, _ := contextFiles(t, block)
	if !slices.Equal(sources, files) {
		t.Errorf("the Dockerfile copies %q, the docs put %q in the build context", sources, files)
	}
	_, c := jobContainer(t)
	cohortPath := jobCommand(t, c).argv[1]
	if !slices.Equal(entrypoint, []string{copies["cohort"]}) || copies["cohort"] != cohortPath {
		t.Errorf("ENTRYPOINT %q, cohort copied to %s, the Job runs %s: want one path", entrypoint, copies["cohort"], cohortPath)
	}
	if copies["busybox"] != "/bin/busybox" || !slices.Equal(runs, []string{`["/bin/busybox", "--install", "-s", "/bin"]`}) {
		t.Errorf("busybox at %s, RUN %q: want /bin/busybox and its applets linked in /bin", copies["busybox"], runs)
	}
	if copies["ca-certificates.crt"] != "/etc/ssl/certs/ca-certificates.crt" {
		t.Errorf("the CA certificates go to %s, not where Go looks first", copies["ca-certificates.crt"])
	}
	if !slices.Equal(env, []string{"PATH=/bin"}) {
		t.Errorf("ENV %q, want PATH=/bin: kubectl cp runs tar from the PATH", env)
	}
	for name, spec := range podSpecs(t) {
		for _, c := range spec.Containers {
			if len(c.Command) == 0 || filepath.Dir(c.Command[0]) != "/bin" {
				t.Errorf("%s runs %q: want a busybox applet of /bin", name, c.Command)
			}
		}
	}
	uid, gid := dockerfileUser(t)
	job, _ := jobContainer(t)
	sc := job.Spec.Template.Spec.Containers[0].SecurityContext
	if sc == nil || sc.RunAsUser == nil || sc.RunAsGroup == nil || *sc.RunAsUser != uid || *sc.RunAsGroup != gid {
		t.Errorf("the image runs as %d:%d, the Job as %+v", uid, gid, sc)
	}
}

// isStatic reports whether an ELF executable needs no dynamic loader.
func isStatic(path string) (bool, error) {
	f, err := elf.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return false, nil
		}
	}
	return true, nil
}

// builder runs buildah on a container store of the test's own.
type builder struct {
	t   *testing.T
	env []string
}

// newBuilder makes a private store (vfs: no overlay mounts needed) and
// chroot isolation, both given through buildah's environment so that the
// docs' commands run unchanged.
func newBuilder(t *testing.T) *builder {
	t.Helper()
	if _, err := exec.LookPath("buildah"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("buildah is not installed: scripts/test installs it")
		}
		t.Skip("buildah is not installed: scripts/test installs it")
	}
	store := t.TempDir()
	conf := filepath.Join(store, "storage.conf")
	text := fmt.Sprintf("[storage]\ndriver = \"vfs\"\ngraphroot = %q\nrunroot = %q\n",
		filepath.Join(store, "graph"), filepath.Join(store, "run"))
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return &builder{t, append(os.Environ(), "CONTAINERS_STORAGE_CONF="+conf, "BUILDAH_ISOLATION=chroot")}
}

// run runs a command with the builder's environment in dir, returning
// its exit status and its output (stdout, then stderr).
func (b *builder) run(dir string, name string, args ...string) (int, string, string) {
	b.t.Helper()
	cmd := exec.CommandContext(b.t.Context(), name, args...)
	cmd.Dir, cmd.Env = dir, b.env
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, stdout.String(), stderr.String()
	case errors.As(err, &exit):
		return exit.ExitCode(), stdout.String(), stderr.String()
	}
	b.t.Fatalf("%s %q: %v", name, args, err)
	return 0, "", ""
}

// must runs buildah and fails the test unless it succeeds.
func (b *builder) must(args ...string) string {
	b.t.Helper()
	code, out, errOut := b.run("", "buildah", args...)
	if code != 0 {
		b.t.Fatalf("buildah %q: exit %d\n%s%s", args, code, out, errOut)
	}
	return out
}

func TestImageBuildsAsDocumented(t *testing.T) {
	if testing.Short() {
		t.Skip("builds cohort and its image")
	}
	b := newBuilder(t)
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	block := docsBuildBlock(t)
	if code, out, errOut := b.run(root, "bash", "-euo", "pipefail", "-c", strings.Join(block, "\n")); code != 0 {
		t.Fatalf("the docs' build block failed (exit %d):\n%s%s", code, out, errOut)
	}

	files, dir := contextFiles(t, block)
	for _, f := range files {
		if f == "ca-certificates.crt" {
			continue
		}
		static, err := isStatic(filepath.Join(root, dir, f))
		if err != nil || !static {
			t.Errorf("%s/%s: static %v (%v); the image has no C library", dir, f, static, err)
		}
	}

	var img struct {
		OCIv1 struct {
			Config struct {
				User       string
				Env        []string
				Entrypoint []string
			} `json:"config"`
		}
	}
	if err := json.Unmarshal([]byte(b.must("inspect", "--type", "image", imageTag)), &img); err != nil {
		t.Fatal(err)
	}
	uid, gid := dockerfileUser(t)
	cfg := img.OCIv1.Config
	if cfg.User != fmt.Sprintf("%d:%d", uid, gid) || !slices.Equal(cfg.Entrypoint, []string{"/cohort"}) || !slices.Equal(cfg.Env, []string{"PATH=/bin"}) {
		t.Fatalf("the image's config: user %q, entrypoint %q, env %q", cfg.User, cfg.Entrypoint, cfg.Env)
	}

	ctr := strings.TrimSpace(b.must("from", imageTag))
	t.Cleanup(func() {
		// Not b.run: the test's context is done by now.
		rm := exec.Command("buildah", "rm", ctr)
		rm.Env = b.env
		if out, err := rm.CombinedOutput(); err != nil {
			t.Errorf("buildah rm %s: %v\n%s", ctr, err, out)
		}
	})

	t.Run("what the pods run is there", func(t *testing.T) {
		collector := only[corev1.Pod](t).Spec.Containers[0]
		// kubectl cp runs tar from the PATH (/bin); the collector sleeps.
		script := fmt.Sprintf("set -e; id -u; id -g; test -x /bin/tar; test -x %s; test -s /etc/ssl/certs/ca-certificates.crt; /cohort version", collector.Command[0])
		code, out, errOut := b.run("", "buildah", "run", ctr, "--", "/bin/sh", "-c", script)
		want := fmt.Sprintf("%d\n%d\ncohort ", uid, gid)
		if code != 0 || !strings.HasPrefix(out, want) {
			t.Fatalf("exit %d, output %q (want it to begin %q)\n%s", code, out, want, errOut)
		}
	})

	t.Run("the Job's pods", func(t *testing.T) { testJobPods(t, b, ctr, filepath.Join(root, dir, "cohort")) })
}

// testJobPods runs the Job's container command in the image, as pods of
// the Job would run it, against a built-in target on the host (chroot
// isolation shares the host's network).
func testJobPods(t *testing.T, b *builder, ctr, cohort string) {
	_, c := jobContainer(t)
	cm := only[corev1.ConfigMap](t)
	pc := jobCommand(t, c)
	profileFile := filepath.Base(pc.argv[3])

	// The ConfigMap's profile and users, with a short load on the target.
	target := startTarget(t, cohort, cm.Data["users.csv"])
	var profile map[string]any
	if err := yaml.Unmarshal([]byte(cm.Data[profileFile]), &profile); err != nil {
		t.Fatal(err)
	}
	profile["base_url"] = target
	profile["think"] = map[string]any{"type": "none"}
	profile["load"] = map[string]any{"executor": "constant-vus", "vus": 3, "iterations": 6}

	// The script as the Job has it, but for its live metrics: a free port
	// rather than 9464 (the host's own), and no wait for a last scrape.
	script := pc.script
	for old, repl := range map[string]string{
		"--prometheus-listen " + pc.flags["--prometheus-listen"]: "--prometheus-listen 127.0.0.1:0",
		"--prometheus-linger " + pc.flags["--prometheus-linger"]: "--prometheus-linger 0s",
	} {
		if strings.Count(script, old) != 1 {
			t.Fatalf("the script does not hold %q once", old)
		}
		script = strings.Replace(script, old, repl, 1)
	}
	env := envOf(t, c)
	env["START_AT"] = "2020-01-01T00:00:00Z" // passed: the run starts at once
	testid := env["TESTID"]

	tests := []struct {
		name       string
		index      int
		thresholds []string
		earlier    bool // a part of an earlier run with the same TESTID is there
		wantExit   int
	}{
		{name: "segment 2 of 3 writes its part", index: 1, wantExit: 0},
		{name: "a failed threshold fails the pod", index: 0, thresholds: []string{"http_reqs: count<1"}, wantExit: 99},
		{name: "an earlier run's part is kept", index: 2, earlier: true, wantExit: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := tt.index + 1
			delete(profile, "thresholds")
			if tt.thresholds != nil {
				profile["thresholds"] = tt.thresholds
			}
			data, err := yaml.Marshal(profile)
			if err != nil {
				t.Fatal(err)
			}
			dirs := map[string]string{}
			args := []string{"run"}
			for _, m := range c.VolumeMounts {
				d := t.TempDir()
				if err := os.Chmod(d, 0o777); err != nil { // the pod's user is not the test's
					t.Fatal(err)
				}
				dirs[m.MountPath] = d
				opt := m.MountPath
				if m.ReadOnly {
					opt += ":ro"
				}
				args = append(args, "-v", d+":"+opt)
			}
			profDir := dirs[filepath.Dir(pc.argv[3])]
			resDir := dirs[filepath.Dir(filepath.Dir(pc.vars["OUT"]))] // OUT is RESULTS/$TESTID/part-$K.json
			if profDir == "" || resDir == "" {
				t.Fatalf("no mounts for the profile or the results: %v", dirs)
			}
			for key, value := range cm.Data {
				if key != profileFile {
					writeFile(t, filepath.Join(profDir, key), []byte(value))
				}
			}
			writeFile(t, filepath.Join(profDir, profileFile), data)
			part := filepath.Join(resDir, testid, fmt.Sprintf("part-%d.json", k))
			if tt.earlier {
				if err := os.Mkdir(filepath.Dir(part), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(filepath.Dir(part), 0o777); err != nil {
					t.Fatal(err)
				}
				writeFile(t, part, []byte("earlier\n"))
			}
			env["JOB_COMPLETION_INDEX"] = strconv.Itoa(tt.index)
			names := make([]string, 0, len(env))
			for n := range env {
				names = append(names, n)
			}
			sort.Strings(names)
			for _, n := range names {
				args = append(args, "--env", n+"="+env[n])
			}
			args = append(args, ctr, "--")
			args = append(args, c.Command...)
			args = append(args, script)
			code, out, errOut := b.run("", "buildah", args...)
			if code != tt.wantExit {
				t.Fatalf("the pod exited %d, want %d\n%s%s", code, tt.wantExit, out, errOut)
			}
			if tt.earlier {
				if got, _ := os.ReadFile(part); string(got) != "earlier\n" {
					t.Fatalf("the earlier part became %q", got)
				}
				if !strings.Contains(errOut, "give this run a new TESTID") {
					t.Fatalf("the pod did not say why it stopped: %s", errOut)
				}
				return
			}
			if got := listDir(t, resDir); !slices.Equal(got, []string{testid}) {
				t.Fatalf("the results volume holds %q, want only %s/", got, testid)
			}
			if got, want := listDir(t, filepath.Join(resDir, testid)), []string{filepath.Base(part)}; !slices.Equal(got, want) {
				t.Fatalf("the run's folder holds %q, want %q", got, want)
			}
			var res struct {
				Schema, Profile, Segment string
				Tags                     map[string]string
				Totals                   struct{ Iterations int }
				Sessions                 struct{ Logins int }
				Thresholds               []struct{ OK bool }
			}
			raw, err := os.ReadFile(part)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(raw, &res); err != nil {
				t.Fatal(err)
			}
			segment := fmt.Sprintf("%d/%s", k, env["SEGMENTS"])
			// Of 3 VUs and 6 iterations, a segment of 3 runs 1 VU, which
			// logs in once and runs 2 iterations.
			if res.Schema != "cohort.result/v1" || res.Profile != "shop" || res.Segment != segment || res.Tags["testid"] != testid ||
				res.Totals.Iterations != 2 || res.Sessions.Logins != 1 || len(res.Thresholds) != len(tt.thresholds) {
				t.Fatalf("the part: %+v; want segment %s, testid %s, 2 iterations, 1 login, %d thresholds", res, segment, testid, len(tt.thresholds))
			}
			for _, th := range res.Thresholds {
				if th.OK {
					t.Errorf("threshold passed: %+v", res.Thresholds)
				}
			}
		})
	}
}

// startTarget serves cohort's built-in target, which knows the given
// users, on a free port of the host, and returns its URL.
func startTarget(t *testing.T, cohort, users string) string {
	t.Helper()
	csv := filepath.Join(t.TempDir(), "users.csv")
	writeFile(t, csv, []byte(users))
	cmd := exec.Command(cohort, "target", "--listen", "127.0.0.1:0", "--users", csv, "--session-cookie", "SESSION")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	})
	serving := regexp.MustCompile(`serving (http://\S+)`)
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if m := serving.FindStringSubmatch(sc.Text()); m != nil {
			go io.Copy(io.Discard, stdout)
			return m[1]
		}
	}
	t.Fatalf("the target stopped before serving: %v", sc.Err())
	return ""
}

// writeFile writes a file the pod's user can read.
func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// listDir returns the names in a directory.
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}
