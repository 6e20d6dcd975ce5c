// Package deploy holds cohort's deployment files; its test checks that they
// parse and are wired as the docs say.
package deploy

import (
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func readYAML(t *testing.T, path string, into any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, into); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func TestIndexedJob(t *testing.T) {
	var job struct {
		Kind string
		Spec struct {
			CompletionMode string `yaml:"completionMode"`
			Completions    int
			Parallelism    int
			Template       struct {
				Spec struct {
					Containers []struct {
						Env          []struct{ Name, Value string }
						Command      []string
						Args         []string
						VolumeMounts []struct{ Name, MountPath string } `yaml:"volumeMounts"`
					}
					Volumes []struct {
						Name      string
						ConfigMap struct{ Name string } `yaml:"configMap"`
					}
				}
			}
		}
	}
	readYAML(t, "k8s/job.yaml", &job)
	s := job.Spec
	if job.Kind != "Job" || s.CompletionMode != "Indexed" || s.Completions < 2 || s.Parallelism != s.Completions {
		t.Fatalf("job: kind %s, mode %s, %d completions, parallelism %d", job.Kind, s.CompletionMode, s.Completions, s.Parallelism)
	}
	c := s.Template.Spec.Containers[0]
	script := strings.Join(append(c.Command, c.Args...), " ")
	for _, want := range []string{"JOB_COMPLETION_INDEX + 1", `--segment "$SEG"`, `--start-at "$START_AT"`, "/profile/profile.yaml", "--out"} {
		if !strings.Contains(script, want) {
			t.Errorf("the pod's command lacks %q", want)
		}
	}
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	if env["SEGMENTS"] != strconv.Itoa(s.Completions) || env["START_AT"] == "" {
		t.Fatalf("env %v: SEGMENTS must equal completions (%d), START_AT must be set", env, s.Completions)
	}
	var cm struct {
		Kind     string
		Metadata struct{ Name string }
		Data     map[string]string
	}
	readYAML(t, "k8s/configmap.yaml", &cm)
	mounted := false
	for _, v := range s.Template.Spec.Volumes {
		mounted = mounted || v.ConfigMap.Name == cm.Metadata.Name
	}
	if cm.Kind != "ConfigMap" || cm.Data["profile.yaml"] == "" || cm.Data["users.csv"] == "" || !mounted {
		t.Fatalf("configmap %q (mounted: %v) must hold profile.yaml and users.csv", cm.Metadata.Name, mounted)
	}
}

func TestPrometheusConfig(t *testing.T) {
	var conf struct {
		ScrapeConfigs []struct {
			JobName     string `yaml:"job_name"`
			HonorLabels bool   `yaml:"honor_labels"`
		} `yaml:"scrape_configs"`
	}
	readYAML(t, "prometheus/prometheus.yml", &conf)
	if len(conf.ScrapeConfigs) == 0 || !conf.ScrapeConfigs[0].HonorLabels {
		t.Fatal("the cohort scrape job must honor cohort's testid and segment labels")
	}
}

func TestDashboardParses(t *testing.T) {
	data, err := os.ReadFile("grafana/cohort.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []struct {
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(data, &d); err != nil || len(d.Panels) < 8 {
		t.Fatalf("dashboard: %v, %d panels", err, len(d.Panels))
	}
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			if !strings.Contains(tg.Expr, `testid=~"$testid"`) {
				t.Errorf("query %s does not select the run", tg.Expr)
			}
		}
	}
}
