package k8s

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// fakeKubectl stands in for kubectl: it logs each call's arguments as a
// line of $CALLS and answers cp by copying $PARTS to the destination, as
// kubectl cp copies a pod's folder (nothing when $PARTS is unset: the
// folder is missing).
const fakeKubectl = `#!/usr/bin/env bash
set -eu
echo "kubectl $*" >>"$CALLS"
args=("$@")
if [ "${args[0]}" = -n ]; then args=("${args[@]:2}"); fi
if [ "${args[0]}" = cp ]; then
	[ -n "${PARTS:-}" ] || { echo "tar: no such file" >&2; exit 1; }
	cp -r "$PARTS" "${args[2]}"
fi
`

// fakeCohort stands in for cohort: it logs its arguments and exits
// $MERGE_EXIT (0 unless set).
const fakeCohort = `#!/usr/bin/env bash
echo "cohort $*" >>"$CALLS"
exit "${MERGE_EXIT:-0}"
`

// collectRun is one run of scripts/k8s-collect.
type collectRun struct {
	exit           int
	stdout, stderr string
	calls          []string // kubectl's and cohort's, the temporary folder written TMP
}

// runCollect runs scripts/k8s-collect with the fakes first on PATH, in a
// folder of its own; parts (names) are what the volume holds, nil for no
// folder of the run at all.
func runCollect(t *testing.T, parts []string, env []string, args ...string) collectRun {
	t.Helper()
	script, err := filepath.Abs("../../scripts/k8s-collect")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	tmp := filepath.Join(dir, "tmp")
	for _, d := range []string{bin, tmp} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, text := range map[string]string{"kubectl": fakeKubectl, "cohort": fakeCohort} {
		if err := os.WriteFile(filepath.Join(bin, name), []byte(text), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	calls := filepath.Join(dir, "calls")
	env = append(os.Environ(), append(env, "PATH="+bin+":"+os.Getenv("PATH"), "CALLS="+calls, "TMPDIR="+tmp)...)
	if parts != nil {
		vol := filepath.Join(dir, "volume")
		if err := os.Mkdir(vol, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, p := range parts {
			writeFile(t, filepath.Join(vol, p), []byte("{}"))
		}
		env = append(env, "PARTS="+vol)
	}
	cmd := exec.Command("bash", append([]string{script}, args...)...)
	cmd.Dir, cmd.Env = dir, env
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	r := collectRun{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		r.exit = exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile(calls); err == nil {
		// The script's temporary folder has a random name: call it TMP.
		text := string(data)
		if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
			t.Errorf("the script left %s behind in the temporary folder", entries[0].Name())
		}
		mktemp := regexp.MustCompile(regexp.QuoteMeta(tmp) + `/[^/ ]+`)
		for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
			r.calls = append(r.calls, mktemp.ReplaceAllString(line, "TMP"))
		}
	}
	return r
}

func TestCollect(t *testing.T) {
	manifest, err := filepath.Abs("collector.yaml")
	if err != nil {
		t.Fatal(err)
	}
	collector := only[corev1.Pod](t)
	mount := collector.Spec.Containers[0].VolumeMounts[0].MountPath
	pod := collector.Name
	apply := "kubectl apply -f " + manifest
	wait := "kubectl wait --for=condition=Ready pod/" + pod + " --timeout=2m"
	cp := "kubectl cp " + pod + ":" + mount + "/shop-1 TMP/parts"
	del := "kubectl delete pod " + pod + " --wait=false --ignore-not-found"
	parts := []string{"part-1.json", "part-2.json", "part-3.json"}
	merge := "cohort merge TMP/parts/part-1.json TMP/parts/part-2.json TMP/parts/part-3.json -o "

	tests := []struct {
		name      string
		args      []string
		parts     []string
		env       []string
		wantExit  int
		wantCalls []string
		wantErr   string // in stderr
	}{
		{name: "parts merged into TESTID.json", args: []string{"shop-1"}, parts: parts,
			wantCalls: []string{apply, wait, cp, merge + "shop-1.json", del}},
		{name: "parts merged into OUT", args: []string{"shop-1", "out/all.json"}, parts: parts,
			wantCalls: []string{apply, wait, cp, merge + "out/all.json", del}},
		{name: "a namespace", args: []string{"-n", "load", "shop-1"}, parts: parts,
			wantCalls: []string{
				strings.Replace(apply, "kubectl ", "kubectl -n load ", 1),
				strings.Replace(wait, "kubectl ", "kubectl -n load ", 1),
				strings.Replace(cp, "kubectl ", "kubectl -n load ", 1),
				merge + "shop-1.json",
				strings.Replace(del, "kubectl ", "kubectl -n load ", 1),
			}},
		{name: "merge's refusal is the script's", args: []string{"shop-1"}, parts: parts, env: []string{"MERGE_EXIT=2"},
			wantExit: 2, wantCalls: []string{apply, wait, cp, merge + "shop-1.json", del}},
		{name: "no folder for the run", args: []string{"shop-1"}, wantExit: 1,
			wantCalls: []string{apply, wait, cp, del}, wantErr: "no parts in /results/shop-1"},
		{name: "an empty folder", args: []string{"shop-1"}, parts: []string{}, wantExit: 1,
			wantCalls: []string{apply, wait, cp, del}, wantErr: "no parts in /results/shop-1"},
		{name: "no TESTID", wantExit: 2, wantErr: "usage: scripts/k8s-collect"},
		{name: "too many arguments", args: []string{"a", "b", "c"}, wantExit: 2, wantErr: "usage: scripts/k8s-collect"},
		{name: "an unknown option", args: []string{"-x", "shop-1"}, wantExit: 2, wantErr: "unknown option -x"},
		{name: "-n without its value", args: []string{"-n"}, wantExit: 2, wantErr: "-n needs a value"},
		{name: "a path for a TESTID", args: []string{"../etc"}, wantExit: 2, wantErr: "is not a run's TESTID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCollect(t, tt.parts, tt.env, tt.args...)
			if r.exit != tt.wantExit {
				t.Fatalf("exit %d, want %d\n%s%s", r.exit, tt.wantExit, r.stdout, r.stderr)
			}
			if !slices.Equal(r.calls, tt.wantCalls) {
				t.Errorf("calls:\n%s\nwant:\n%s", strings.Join(r.calls, "\n"), strings.Join(tt.wantCalls, "\n"))
			}
			if !strings.Contains(r.stderr, tt.wantErr) {
				t.Errorf("stderr %q lacks %q", r.stderr, tt.wantErr)
			}
		})
	}

	t.Run("-h", func(t *testing.T) {
		r := runCollect(t, nil, nil, "-h")
		if r.exit != 0 || !strings.HasPrefix(r.stdout, "usage: scripts/k8s-collect [-n NAMESPACE] TESTID [OUT.json]\n") || r.calls != nil {
			t.Fatalf("exit %d, stdout %q, calls %q", r.exit, r.stdout, r.calls)
		}
	})
}
