// Package deploy holds cohort's deployment files; its test checks that the
// Grafana dashboard and the Prometheus config parse and are wired as the
// docs say. The Kubernetes manifests are checked by the tests of their own
// module, deploy/k8s, which can import the Kubernetes API types.
package deploy

import (
	"encoding/json"
	"os"
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
