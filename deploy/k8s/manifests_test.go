package k8s

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// kinds maps "apiVersion kind" to a new value of the type a manifest of
// that kind decodes into. A kind missing here fails the tests.
var kinds = map[string]func() any{
	"v1 ConfigMap":                        func() any { return new(corev1.ConfigMap) },
	"v1 Secret":                           func() any { return new(corev1.Secret) },
	"v1 PersistentVolumeClaim":            func() any { return new(corev1.PersistentVolumeClaim) },
	"v1 Pod":                              func() any { return new(corev1.Pod) },
	"v1 Service":                          func() any { return new(corev1.Service) },
	"batch/v1 Job":                        func() any { return new(batchv1.Job) },
	"monitoring.coreos.com/v1 PodMonitor": func() any { return new(podMonitor) },
}

// podMonitor is the part of prometheus-operator's PodMonitor that
// podmonitor.yaml uses (the kind is not in k8s.io/api). Decoded strictly,
// a misspelt field is refused, and so is a real one this struct leaves
// out: add it here when the manifest starts using it.
type podMonitor struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		Selector            metav1.LabelSelector `json:"selector"`
		PodMetricsEndpoints []struct {
			Port        string `json:"port"`
			Path        string `json:"path"`
			Interval    string `json:"interval"`
			HonorLabels bool   `json:"honorLabels"`
		} `json:"podMetricsEndpoints"`
	} `json:"spec"`
}

// manifest is one YAML document of a file in this folder, decoded.
type manifest struct {
	file  string // base name
	index int    // the document's place in its file, from 0
	obj   any    // a pointer to the kind's type
}

// decodeStrict decodes one YAML document into the type of its apiVersion
// and kind, refusing unknown and duplicate fields.
func decodeStrict(doc []byte) (any, error) {
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(doc, &tm); err != nil {
		return nil, err
	}
	mk, ok := kinds[tm.APIVersion+" "+tm.Kind]
	if !ok {
		return nil, fmt.Errorf("unknown kind %q of apiVersion %q: add its type to kinds", tm.Kind, tm.APIVersion)
	}
	data, err := yaml.YAMLToJSONStrict(doc) // refuses a key given twice
	if err != nil {
		return nil, err
	}
	// The API server's own decoding: field names are case-sensitive, and
	// an unknown field is named by its path.
	obj := mk()
	strict, err := kjson.UnmarshalStrict(data, obj, kjson.DisallowUnknownFields, kjson.DisallowDuplicateFields)
	if err != nil {
		return nil, err
	}
	if len(strict) > 0 {
		return nil, errors.Join(strict...)
	}
	return obj, nil
}

// documentSep is a line that separates YAML documents.
var documentSep = regexp.MustCompile(`(?m)^---[ \t]*$`)

// splitDocuments splits a YAML stream into its documents, leaving out
// those that hold only comments and blank lines.
func splitDocuments(data []byte) [][]byte {
	var docs [][]byte
	for _, d := range documentSep.Split(string(data), -1) {
		for _, line := range strings.Split(d, "\n") {
			if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, "#") {
				docs = append(docs, []byte(d))
				break
			}
		}
	}
	return docs
}

// manifests decodes every document of every *.yaml file in this folder.
func manifests(t *testing.T) []manifest {
	t.Helper()
	files, err := filepath.Glob("*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests here: %v", err)
	}
	var ms []manifest
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range splitDocuments(data) {
			obj, err := decodeStrict(doc)
			if err != nil {
				t.Fatalf("%s, document %d: %v", f, i+1, err)
			}
			ms = append(ms, manifest{f, i, obj})
		}
	}
	return ms
}

// only returns the one manifest of type T.
func only[T any](t *testing.T) *T {
	t.Helper()
	var found []*T
	for _, m := range manifests(t) {
		if o, ok := m.obj.(*T); ok {
			found = append(found, o)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one %T among the manifests, found %d", *new(T), len(found))
	}
	return found[0]
}

func TestManifestsDecodeStrictly(t *testing.T) {
	count := map[string]int{}
	for _, m := range manifests(t) {
		t.Run(fmt.Sprintf("%s#%d", m.file, m.index+1), func(t *testing.T) {
			meta, err := metaOf(m.obj)
			if err != nil {
				t.Fatal(err)
			}
			if meta.GetName() == "" {
				t.Errorf("%T has no metadata.name", m.obj)
			}
			count[fmt.Sprintf("%T", m.obj)]++
		})
	}
	for _, kind := range []string{"*v1.ConfigMap", "*v1.PersistentVolumeClaim", "*v1.Job", "*v1.Pod", "*k8s.podMonitor"} {
		if count[kind] != 1 {
			t.Errorf("want one %s, found %d", kind, count[kind])
		}
	}
}

// metaOf returns a decoded manifest's metadata.
func metaOf(obj any) (metav1.Object, error) {
	if o, ok := obj.(metav1.Object); ok {
		return o, nil
	}
	if pm, ok := obj.(*podMonitor); ok {
		return &pm.ObjectMeta, nil
	}
	return nil, fmt.Errorf("%T has no metadata", obj)
}

func TestStrictDecodingRefusesMistakes(t *testing.T) {
	tests := []struct {
		name, file, old, new string
		want                 string // in the error
	}{
		{"a misspelt container field", "job.yaml",
			"imagePullPolicy: IfNotPresent", "imagePullPolcy: IfNotPresent", `unknown field "spec.template.spec.containers[0].imagePullPolcy"`},
		{"a field in the wrong case", "job.yaml",
			"completionMode: Indexed", "CompletionMode: Indexed", `unknown field "spec.CompletionMode"`},
		{"a misspelt Job spec field", "job.yaml",
			"  backoffLimit: 0", "  backofLimit: 0", `unknown field "spec.backofLimit"`},
		{"a field at the wrong level", "job.yaml",
			"  labels: {app: cohort}\nspec:", "  labels: {app: cohort}\n  ttlSecondsAfterFinished: 60\nspec:", `unknown field "metadata.ttlSecondsAfterFinished"`},
		{"a duplicate field", "job.yaml",
			"  parallelism: 3", "  parallelism: 3\n  parallelism: 4", `key "parallelism" already set`},
		{"an unknown kind", "job.yaml",
			"kind: Job", "kind: Jobs", "unknown kind"},
		{"a misspelt ConfigMap field", "configmap.yaml",
			"\ndata:", "\ndta:", `unknown field "dta"`},
		{"a misspelt volume claim field", "pvc.yaml",
			"accessModes:", "accesModes:", `unknown field "spec.accesModes"`},
		{"a misspelt PodMonitor field", "podmonitor.yaml",
			"honorLabels: true", "honorLabel: true", `unknown field "spec.podMetricsEndpoints[0].honorLabel"`},
		{"a PodMonitor field of the wrong type", "podmonitor.yaml",
			"honorLabels: true", `honorLabels: "yes"`, "honorLabels"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := os.ReadFile(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			if n := bytes.Count(data, []byte(tt.old)); n != 1 {
				t.Fatalf("%s holds %q %d times, want once", tt.file, tt.old, n)
			}
			if _, err := decodeStrict(data); err != nil {
				t.Fatalf("%s as it is: %v", tt.file, err)
			}
			bad := bytes.Replace(data, []byte(tt.old), []byte(tt.new), 1)
			_, err = decodeStrict(bad)
			if err == nil {
				t.Fatalf("%s with %q was accepted", tt.file, tt.new)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not name %q", err, tt.want)
			}
		})
	}
}

func TestSplitDocuments(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string // each document's first line that is not blank or a comment
	}{
		{"one", "a: 1\n", []string{"a: 1"}},
		{"two", "a: 1\n---\nb: 2\n", []string{"a: 1", "b: 2"}},
		{"a leading separator and comment-only documents", "---\n# just a comment\n---\na: 1\n--- \nb: 2\n---\n\n", []string{"a: 1", "b: 2"}},
		{"a separator inside a block scalar is not one", "a: |\n  ---\n  x\n", []string{"a: |"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, d := range splitDocuments([]byte(tt.in)) {
				for _, line := range strings.Split(string(d), "\n") {
					if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, "#") {
						got = append(got, l)
						break
					}
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// podCommand is what the Job's container runs, taken apart.
type podCommand struct {
	script string            // the shell script given to /bin/sh -c
	vars   map[string]string // the script's assignments NAME=VALUE, unquoted
	argv   []string          // the exec line's words, unquoted
	flags  map[string]string // the exec line's --flag VALUE pairs ("" for a flag alone)
}

// jobCommand takes the Job container's command apart.
func jobCommand(t *testing.T, c corev1.Container) podCommand {
	t.Helper()
	if !slices.Equal(c.Command, []string{"/bin/sh", "-c"}) || len(c.Args) != 1 {
		t.Fatalf("the container runs %q %q; want /bin/sh -c and one script", c.Command, c.Args)
	}
	pc := podCommand{script: c.Args[0], vars: map[string]string{}, flags: map[string]string{}}
	logical := strings.ReplaceAll(pc.script, "\\\n", " ")
	assign := regexp.MustCompile(`^([A-Z_]+)=(.*)$`)
	for _, line := range strings.Split(logical, "\n") {
		line = strings.TrimSpace(line)
		if m := assign.FindStringSubmatch(line); m != nil {
			pc.vars[m[1]] = strings.Join(shellWords(m[2]), " ")
		}
		if strings.HasPrefix(line, "exec ") {
			if pc.argv != nil {
				t.Fatal("the script has two exec lines")
			}
			pc.argv = shellWords(line)
		}
	}
	if len(pc.argv) < 4 {
		t.Fatalf("the script has no exec /cohort run PROFILE line:\n%s", pc.script)
	}
	for i := 4; i < len(pc.argv); i++ {
		a := pc.argv[i]
		if !strings.HasPrefix(a, "--") {
			t.Fatalf("word %q of the exec line is not a flag", a)
		}
		if _, dup := pc.flags[a]; dup {
			t.Fatalf("flag %s given twice", a)
		}
		pc.flags[a] = ""
		if i+1 < len(pc.argv) && !strings.HasPrefix(pc.argv[i+1], "--") {
			pc.flags[a] = pc.argv[i+1]
			i++
		}
	}
	return pc
}

// shellWords splits a line of shell into words as sh would for words with
// double quotes and no escapes: quotes group and are removed.
func shellWords(s string) []string {
	var words []string
	var w strings.Builder
	inWord, quoted := false, false
	for _, r := range s {
		switch {
		case r == '"':
			quoted = !quoted
			inWord = true
		case !quoted && (r == ' ' || r == '\t'):
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
		default:
			w.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, w.String())
	}
	return words
}

func TestShellWords(t *testing.T) {
	got := shellWords(`exec /cohort run  --tag testid="$TESTID" --out "$OUT" "a b"`)
	want := []string{"exec", "/cohort", "run", "--tag", "testid=$TESTID", "--out", "$OUT", "a b"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// jobContainer returns the Job and its one container.
func jobContainer(t *testing.T) (*batchv1.Job, corev1.Container) {
	t.Helper()
	job := only[batchv1.Job](t)
	if n := len(job.Spec.Template.Spec.Containers); n != 1 {
		t.Fatalf("the Job's pods have %d containers, want 1", n)
	}
	return job, job.Spec.Template.Spec.Containers[0]
}

// envOf returns a container's plain env values.
func envOf(t *testing.T, c corev1.Container) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, e := range c.Env {
		if e.ValueFrom != nil {
			t.Fatalf("env %s comes from elsewhere: the tests expect plain values", e.Name)
		}
		env[e.Name] = e.Value
	}
	return env
}

func TestIndexedJob(t *testing.T) {
	job, c := jobContainer(t)
	s := job.Spec
	env := envOf(t, c)
	segments, err := strconv.Atoi(env["SEGMENTS"])
	if err != nil {
		t.Fatalf("SEGMENTS %q: %v", env["SEGMENTS"], err)
	}
	if s.CompletionMode == nil || *s.CompletionMode != batchv1.IndexedCompletion {
		t.Fatalf("completionMode %v, want Indexed", s.CompletionMode)
	}
	if s.Completions == nil || s.Parallelism == nil || *s.Completions != int32(segments) || *s.Parallelism != int32(segments) || segments < 2 {
		t.Fatalf("completions %v, parallelism %v, SEGMENTS %d: want all equal, at least 2", s.Completions, s.Parallelism, segments)
	}
	if s.BackoffLimit == nil || *s.BackoffLimit != 0 {
		t.Fatalf("backoffLimit %v, want 0: a retried segment runs its load twice", s.BackoffLimit)
	}
	if rp := s.Template.Spec.RestartPolicy; rp != corev1.RestartPolicyNever {
		t.Fatalf("restartPolicy %q, want Never", rp)
	}
	if env["START_AT"] != "__START_AT__" || env["TESTID"] == "" {
		t.Fatalf("START_AT %q (want the __START_AT__ the docs' sed replaces), TESTID %q", env["START_AT"], env["TESTID"])
	}

	pc := jobCommand(t, c)
	if got, want := pc.vars["K"], "$((JOB_COMPLETION_INDEX + 1))"; got != want {
		t.Errorf("K=%s, want %s: segment numbers start at 1, completion indexes at 0", got, want)
	}
	if pc.argv[0] != "exec" || pc.argv[2] != "run" {
		t.Errorf("the exec line %q is not exec COHORT run PROFILE: the pod's exit status must be cohort's", pc.argv)
	}
	wantFlags := map[string]string{
		"--segment":  "$K/$SEGMENTS",
		"--start-at": "$START_AT",
		"--tag":      "testid=$TESTID",
		"--out":      "$OUT",
	}
	for flag, want := range wantFlags {
		if got, ok := pc.flags[flag]; !ok || got != want {
			t.Errorf("%s %q, want %q", flag, got, want)
		}
	}
	if _, ok := pc.flags["--no-progress"]; !ok {
		t.Error("no --no-progress: the progress line would fill the pod's log")
	}
	for _, line := range []string{`set -eu`, `mkdir -p "/results/$TESTID"`, `if [ -e "$OUT" ]; then`} {
		if !strings.Contains(pc.script, line+"\n") {
			t.Errorf("the script lacks the line %q", line)
		}
	}
}

// TestKubernetesLeavesTheScriptAlone checks that Kubernetes' own expansion
// of $(NAME) and $$ in args does not change the script: only the shell
// reads its variables.
func TestKubernetesLeavesTheScriptAlone(t *testing.T) {
	_, c := jobContainer(t)
	script := c.Args[0]
	if strings.Contains(script, "$$") {
		t.Error("the script has $$, which Kubernetes turns into $")
	}
	names := []string{"JOB_COMPLETION_INDEX"}
	for _, e := range c.Env {
		names = append(names, e.Name)
	}
	for _, n := range names {
		if strings.Contains(script, "$("+n+")") {
			t.Errorf("the script has $(%s), which Kubernetes replaces before the shell sees it", n)
		}
	}
}

// mountOf returns the container's mount of the named volume.
func mountOf(t *testing.T, c corev1.Container, volume string) corev1.VolumeMount {
	t.Helper()
	for _, m := range c.VolumeMounts {
		if m.Name == volume {
			return m
		}
	}
	t.Fatalf("container %s does not mount volume %s", c.Name, volume)
	return corev1.VolumeMount{}
}

// volumeOf returns the pod's volume that matches.
func volumeOf(t *testing.T, spec corev1.PodSpec, match func(corev1.Volume) bool, what string) corev1.Volume {
	t.Helper()
	var found []corev1.Volume
	for _, v := range spec.Volumes {
		if match(v) {
			found = append(found, v)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one volume of %s, found %d", what, len(found))
	}
	return found[0]
}

// withinMount reports whether path is at or under a mount point.
func withinMount(path, mount string) bool {
	return path == mount || strings.HasPrefix(path, strings.TrimSuffix(mount, "/")+"/")
}

func TestProfileConfigMap(t *testing.T) {
	job, c := jobContainer(t)
	cm := only[corev1.ConfigMap](t)
	vol := volumeOf(t, job.Spec.Template.Spec, func(v corev1.Volume) bool {
		return v.ConfigMap != nil && v.ConfigMap.Name == cm.Name
	}, "ConfigMap "+cm.Name)
	if len(vol.ConfigMap.Items) != 0 {
		t.Fatalf("the ConfigMap volume picks items %v: the tests expect every key mounted", vol.ConfigMap.Items)
	}
	m := mountOf(t, c, vol.Name)
	if !m.ReadOnly || m.SubPath != "" {
		t.Errorf("the profile mount %+v: want it whole and read-only", m)
	}
	profilePath := jobCommand(t, c).argv[3]
	if filepath.Dir(profilePath) != m.MountPath {
		t.Fatalf("the pods run %s, not a file of the ConfigMap mounted at %s", profilePath, m.MountPath)
	}
	profile, ok := cm.Data[filepath.Base(profilePath)]
	if !ok {
		t.Fatalf("the ConfigMap has no key %s for the pods' %s", filepath.Base(profilePath), profilePath)
	}
	var p struct {
		Users struct {
			CSV   string `json:"csv"`
			Share bool   `json:"share"`
		} `json:"users"`
	}
	if err := yaml.Unmarshal([]byte(profile), &p); err != nil {
		t.Fatalf("the ConfigMap's profile: %v", err)
	}
	if p.Users.CSV == "" || filepath.IsAbs(p.Users.CSV) || strings.Contains(p.Users.CSV, "/") {
		t.Fatalf("the profile's users.csv %q: want a file beside it, in the ConfigMap", p.Users.CSV)
	}
	users, ok := cm.Data[p.Users.CSV]
	if !ok {
		t.Fatalf("the profile reads users from %s, which the ConfigMap lacks", p.Users.CSV)
	}
	rows := strings.Split(strings.TrimSpace(users), "\n")
	if rows[0] != "username,password" {
		t.Fatalf("users.csv header %q, want username,password", rows[0])
	}
	segments, _ := strconv.Atoi(envOf(t, c)["SEGMENTS"])
	if n := len(rows) - 1; n < segments {
		t.Errorf("users.csv has %d users for %d segments: every segment needs one at least", n, segments)
	}
	if !p.Users.Share {
		t.Errorf("users.share is off: then every VU needs a user of its own, more than users.csv lists")
	}
}

func TestResultsVolume(t *testing.T) {
	job, c := jobContainer(t)
	pvc := only[corev1.PersistentVolumeClaim](t)
	collector := only[corev1.Pod](t)
	if !slices.Equal(pvc.Spec.AccessModes, []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany}) {
		t.Errorf("the claim's access modes %v: want ReadWriteMany alone, as pods on several nodes write at once", pvc.Spec.AccessModes)
	}
	if q := pvc.Spec.Resources.Requests[corev1.ResourceStorage]; q.IsZero() {
		t.Error("the claim requests no storage")
	}
	isClaim := func(v corev1.Volume) bool {
		return v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName == pvc.Name
	}
	jobVol := volumeOf(t, job.Spec.Template.Spec, isClaim, "claim "+pvc.Name)
	jobMount := mountOf(t, c, jobVol.Name)
	if jobMount.ReadOnly || jobMount.SubPath != "" || jobMount.SubPathExpr != "" {
		t.Errorf("the Job's results mount %+v: want the whole claim, writable", jobMount)
	}
	pc := jobCommand(t, c)
	if got, want := pc.vars["OUT"], jobMount.MountPath+"/$TESTID/part-$K.json"; got != want {
		t.Errorf("OUT=%s, want %s: a folder per run on the claim, a part per segment", got, want)
	}

	if len(collector.Spec.Containers) != 1 {
		t.Fatalf("the collector has %d containers, want 1", len(collector.Spec.Containers))
	}
	colVol := volumeOf(t, collector.Spec, isClaim, "claim "+pvc.Name)
	colMount := mountOf(t, collector.Spec.Containers[0], colVol.Name)
	if colMount.MountPath != jobMount.MountPath || colMount.SubPath != "" || !colMount.ReadOnly {
		t.Errorf("the collector mounts the claim as %+v; want it whole, read-only, at the Job's %s", colMount, jobMount.MountPath)
	}
	if collector.Spec.ActiveDeadlineSeconds == nil || *collector.Spec.ActiveDeadlineSeconds <= 0 {
		t.Error("the collector has no activeDeadlineSeconds: a collector left behind would run for ever")
	}
	if rp := collector.Spec.RestartPolicy; rp != corev1.RestartPolicyNever {
		t.Errorf("the collector's restartPolicy %q, want Never", rp)
	}
}

// defaultGracefulStop is the graceful_stop a profile has when it gives
// none (profiles.DefaultGracefulStop in cohort's module).
const defaultGracefulStop = 10 * time.Second

// runLength is how long the profile's load lasts, its graceful stop
// included.
func runLength(t *testing.T, profile string) time.Duration {
	t.Helper()
	var p struct {
		Load struct {
			Executor     string `json:"executor"`
			Duration     string `json:"duration"`
			GracefulStop string `json:"graceful_stop"`
			Stages       []struct {
				Duration string `json:"duration"`
			} `json:"stages"`
		} `json:"load"`
	}
	if err := yaml.Unmarshal([]byte(profile), &p); err != nil {
		t.Fatal(err)
	}
	parse := func(what, s string) time.Duration {
		d, err := time.ParseDuration(s)
		if err != nil {
			t.Fatalf("the profile's %s %q: %v", what, s, err)
		}
		return d
	}
	var total time.Duration
	switch {
	case len(p.Load.Stages) > 0:
		for i, s := range p.Load.Stages {
			total += parse(fmt.Sprintf("load.stages[%d].duration", i), s.Duration)
		}
	case p.Load.Duration != "":
		total = parse("load.duration", p.Load.Duration)
	default:
		t.Fatalf("the profile's %s load has neither stages nor a duration: its length is unknown", p.Load.Executor)
	}
	if p.Load.GracefulStop != "" {
		return total + parse("load.graceful_stop", p.Load.GracefulStop)
	}
	return total + defaultGracefulStop
}

// startAtCommand is the line job.yaml and the docs give to set START_AT.
var startAtCommand = regexp.MustCompile(`START_AT=\$\(date -u -d '\+(\d+) min' \+%Y-%m-%dT%H:%M:%SZ\)`)

func TestJobDeadlines(t *testing.T) {
	job, c := jobContainer(t)
	cm := only[corev1.ConfigMap](t)
	data, err := os.ReadFile("job.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m := startAtCommand.FindSubmatch(data)
	if m == nil {
		t.Fatal("job.yaml does not say how far ahead START_AT is")
	}
	mins, _ := strconv.Atoi(string(m[1]))
	startDelay := time.Duration(mins) * time.Minute
	docs, err := os.ReadFile("../../docs/distributed.md")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(docs, m[0]) {
		t.Errorf("docs/distributed.md does not start the Job as job.yaml says: %s", m[0])
	}

	pc := jobCommand(t, c)
	linger, err := time.ParseDuration(pc.flags["--prometheus-linger"])
	if err != nil {
		t.Fatalf("--prometheus-linger %q: %v (give it: cohort serves its final metrics 15s by default)", pc.flags["--prometheus-linger"], err)
	}
	run := runLength(t, cm.Data[filepath.Base(pc.argv[3])])
	need := startDelay + run + linger
	if need != 15*time.Minute+40*time.Second {
		t.Errorf("a pod needs %v (START_AT %v ahead, run %v, final metrics %v): job.yaml's comment says 15 min 40 s", need, startDelay, run, linger)
	}
	s := job.Spec
	if s.ActiveDeadlineSeconds == nil {
		t.Fatal("the Job has no activeDeadlineSeconds")
	}
	deadline := time.Duration(*s.ActiveDeadlineSeconds) * time.Second
	if deadline <= need+5*time.Minute {
		t.Errorf("activeDeadlineSeconds %v: want more than %v, and 5 min to pull the image and schedule the pods", deadline, need)
	}
	if deadline > 2*need {
		t.Errorf("activeDeadlineSeconds %v: more than twice the %v a pod needs, a hung run would hold its nodes long", deadline, need)
	}
	if s.TTLSecondsAfterFinished == nil || *s.TTLSecondsAfterFinished <= 0 {
		t.Errorf("ttlSecondsAfterFinished %v: want it set, so finished Jobs are cleaned up", s.TTLSecondsAfterFinished)
	}
	if g := s.Template.Spec.TerminationGracePeriodSeconds; g == nil || time.Duration(*g)*time.Second < defaultGracefulStop+10*time.Second {
		t.Errorf("terminationGracePeriodSeconds %v: stopped at the deadline, cohort needs time to end its iterations and write its part", g)
	}
}

// podSpecs are the pod specs the manifests run cohort's image in.
func podSpecs(t *testing.T) map[string]corev1.PodSpec {
	t.Helper()
	job := only[batchv1.Job](t)
	collector := only[corev1.Pod](t)
	return map[string]corev1.PodSpec{"job": job.Spec.Template.Spec, "collector": collector.Spec}
}

func TestPodSecurity(t *testing.T) {
	uid, gid := dockerfileUser(t)
	for name, spec := range podSpecs(t) {
		t.Run(name, func(t *testing.T) {
			psc := spec.SecurityContext
			if psc == nil {
				psc = &corev1.PodSecurityContext{}
			}
			if psc.FSGroup == nil || *psc.FSGroup != gid {
				t.Errorf("fsGroup %v, want %d: the results volume must be writable by the pods' group", psc.FSGroup, gid)
			}
			for _, c := range spec.Containers {
				sc := c.SecurityContext
				if sc == nil {
					t.Fatalf("container %s has no securityContext", c.Name)
				}
				// A container's setting wins over its pod's.
				runAsNonRoot, runAsUser, runAsGroup, seccomp := sc.RunAsNonRoot, sc.RunAsUser, sc.RunAsGroup, sc.SeccompProfile
				if runAsNonRoot == nil {
					runAsNonRoot = psc.RunAsNonRoot
				}
				if runAsUser == nil {
					runAsUser = psc.RunAsUser
				}
				if runAsGroup == nil {
					runAsGroup = psc.RunAsGroup
				}
				if seccomp == nil {
					seccomp = psc.SeccompProfile
				}
				if runAsNonRoot == nil || !*runAsNonRoot {
					t.Error("runAsNonRoot is not true")
				}
				if runAsUser == nil || *runAsUser == 0 || *runAsUser != uid {
					t.Errorf("runAsUser %v, want %d, the image's USER", runAsUser, uid)
				}
				if runAsGroup == nil || *runAsGroup != gid {
					t.Errorf("runAsGroup %v, want %d, the image's USER", runAsGroup, gid)
				}
				if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
					t.Error("readOnlyRootFilesystem is not true")
				}
				if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
					t.Error("allowPrivilegeEscalation is not false")
				}
				if sc.Privileged != nil && *sc.Privileged {
					t.Error("privileged")
				}
				if sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) != 0 {
					t.Errorf("capabilities %+v, want drop [ALL] and none added", sc.Capabilities)
				}
				if seccomp == nil || seccomp.Type != corev1.SeccompProfileTypeRuntimeDefault {
					t.Errorf("seccompProfile %+v, want RuntimeDefault", seccomp)
				}
				if c.Image != imageTag {
					t.Errorf("image %q, want %q, the tag docs/distributed.md builds", c.Image, imageTag)
				}
				if p := c.ImagePullPolicy; p != corev1.PullIfNotPresent && p != corev1.PullAlways {
					t.Errorf("imagePullPolicy %q, want IfNotPresent or Always", p)
				}
				for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
					req, lim := c.Resources.Requests[r], c.Resources.Limits[r]
					if req.IsZero() || lim.IsZero() || lim.Cmp(req) < 0 {
						t.Errorf("%s: request %s, limit %s; want both, the limit no lower", r, req.String(), lim.String())
					}
				}
			}
		})
	}
}

func TestJobResources(t *testing.T) {
	_, c := jobContainer(t)
	// Requests equal to the limits make the pods Guaranteed: last to be
	// evicted, and given whole cores by a static CPU manager, so that the
	// load generator is not throttled in the middle of a measurement.
	want := map[corev1.ResourceName]string{corev1.ResourceCPU: "2", corev1.ResourceMemory: "2Gi"}
	for r, w := range want {
		q := resource.MustParse(w)
		req, lim := c.Resources.Requests[r], c.Resources.Limits[r]
		if req.Cmp(q) != 0 || lim.Cmp(q) != 0 {
			t.Errorf("%s: request %s, limit %s; want both %s (docs/distributed.md explains why)", r, req.String(), lim.String(), w)
		}
	}
}

func TestWritablePathsAreVolumes(t *testing.T) {
	_, c := jobContainer(t)
	pc := jobCommand(t, c)
	// The root filesystem is read-only: every path the pod writes must be
	// on a writable mount. cohort writes --out's file and a temporary file
	// beside it; /tmp is for anything that uses the system's temp dir.
	writes := []string{"/results/$TESTID", pc.vars["OUT"], "/tmp"}
	for _, p := range writes {
		ok := false
		for _, m := range c.VolumeMounts {
			ok = ok || (!m.ReadOnly && withinMount(p, m.MountPath))
		}
		if !ok {
			t.Errorf("the pod writes %s, which no writable volume holds", p)
		}
	}
}

func TestPrometheusScrape(t *testing.T) {
	job, c := jobContainer(t)
	ann := job.Spec.Template.Annotations
	pc := jobCommand(t, c)
	listen := pc.flags["--prometheus-listen"]
	host, port, ok := strings.Cut(listen, ":")
	if !ok || host != "0.0.0.0" {
		t.Fatalf("--prometheus-listen %q: want 0.0.0.0:PORT, as a bare port binds 127.0.0.1, out of the scraper's reach", listen)
	}
	var metricsPort *corev1.ContainerPort
	for i, p := range c.Ports {
		if p.Name == "metrics" {
			metricsPort = &c.Ports[i]
		}
	}
	if metricsPort == nil || strconv.Itoa(int(metricsPort.ContainerPort)) != port {
		t.Fatalf("container ports %+v: want one named metrics, %s, the port of --prometheus-listen", c.Ports, port)
	}
	want := map[string]string{"prometheus.io/scrape": "true", "prometheus.io/port": port, "prometheus.io/path": "/metrics"}
	for k, v := range want {
		if ann[k] != v {
			t.Errorf("pod annotation %s = %q, want %q", k, ann[k], v)
		}
	}

	pm := only[podMonitor](t)
	sel, err := metav1.LabelSelectorAsSelector(&pm.Spec.Selector)
	if err != nil {
		t.Fatal(err)
	}
	if sel.Empty() || !sel.Matches(labels.Set(job.Spec.Template.Labels)) {
		t.Errorf("the PodMonitor's selector %v does not pick the Job's pods (labels %v)", sel, job.Spec.Template.Labels)
	}
	if len(pm.Spec.PodMetricsEndpoints) != 1 {
		t.Fatalf("the PodMonitor has %d endpoints, want 1", len(pm.Spec.PodMetricsEndpoints))
	}
	ep := pm.Spec.PodMetricsEndpoints[0]
	if ep.Port != metricsPort.Name || ep.Path != "/metrics" || !ep.HonorLabels {
		t.Errorf("the PodMonitor's endpoint %+v: want port %s, path /metrics, honorLabels", ep, metricsPort.Name)
	}
	if d, err := time.ParseDuration(ep.Interval); err != nil || d <= 0 {
		t.Errorf("the PodMonitor's interval %q: %v", ep.Interval, err)
	} else if l, _ := time.ParseDuration(pc.flags["--prometheus-linger"]); l < 2*d {
		t.Errorf("--prometheus-linger %v: want two scrape intervals (%v) at least, for a last scrape", l, d)
	}
}
