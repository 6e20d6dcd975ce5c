package deploy

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// panel is the part of a Grafana panel the tests read.
type panel struct {
	Title       string `json:"title"`
	FieldConfig struct {
		Defaults struct {
			Unit string `json:"unit"`
		} `json:"defaults"`
		Overrides []struct {
			Matcher struct {
				ID      string `json:"id"`
				Options string `json:"options"`
			} `json:"matcher"`
			Properties []struct {
				ID    string `json:"id"`
				Value any    `json:"value"`
			} `json:"properties"`
		} `json:"overrides"`
	} `json:"fieldConfig"`
	Targets []struct {
		RefID string `json:"refId"`
		Expr  string `json:"expr"`
	} `json:"targets"`
}

func readDashboard(t *testing.T) []panel {
	t.Helper()
	data, err := os.ReadFile("grafana/cohort.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []panel `json:"panels"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatalf("grafana/cohort.json: %v", err)
	}
	return d.Panels
}

// override is what a panel's override sets for a query (by refId).
func (p panel) override(refID, property string) (any, bool) {
	for _, o := range p.FieldConfig.Overrides {
		if o.Matcher.ID != "byFrameRefID" || o.Matcher.Options != refID {
			continue
		}
		for _, pr := range o.Properties {
			if pr.ID == property {
				return pr.Value, true
			}
		}
	}
	return nil, false
}

// unitsOf are the Grafana units a query may be drawn in, by what it
// computes: a quantile of a seconds or bytes histogram, seconds per
// request, a rate, or a count.
func unitsOf(expr string) (kind string, units []string) {
	switch {
	case strings.Contains(expr, "histogram_quantile(") && strings.Contains(expr, "_seconds_bucket"),
		strings.Contains(expr, "_seconds_sum"):
		return "seconds", []string{"s"}
	case strings.Contains(expr, "histogram_quantile(") && strings.Contains(expr, "_bytes_bucket"):
		return "bytes", []string{"bytes", "decbytes"}
	case strings.Contains(expr, "rate("):
		return "a rate", []string{"reqps", "ops", "cps"}
	}
	return "a count", []string{"short", "none"}
}

// TestDashboardUnits: every query is drawn in a unit that fits what it
// computes; a query whose unit is not the panel's has an override that
// sets it and moves it to the right axis, so that seconds and rates never
// share an axis.
func TestDashboardUnits(t *testing.T) {
	for _, p := range readDashboard(t) {
		t.Run(p.Title, func(t *testing.T) {
			if p.FieldConfig.Defaults.Unit == "" {
				t.Fatal("no unit")
			}
			var refs []string
			for _, tg := range p.Targets {
				if tg.RefID == "" || slices.Contains(refs, tg.RefID) {
					t.Fatalf("query %s: refId %q missing or repeated", tg.Expr, tg.RefID)
				}
				refs = append(refs, tg.RefID)
				unit := p.FieldConfig.Defaults.Unit
				if u, ok := p.override(tg.RefID, "unit"); ok {
					unit, _ = u.(string)
					if axis, _ := p.override(tg.RefID, "custom.axisPlacement"); axis != "right" && unit != p.FieldConfig.Defaults.Unit {
						t.Errorf("query %s: unit %s beside the panel's %s on one axis", tg.RefID, unit, p.FieldConfig.Defaults.Unit)
					}
				}
				if kind, units := unitsOf(tg.Expr); !slices.Contains(units, unit) {
					t.Errorf("query %s computes %s, drawn in %q (want one of %v): %s", tg.RefID, kind, unit, units, tg.Expr)
				}
				if !strings.Contains(tg.Expr, `testid=~"$testid"`) {
					t.Errorf("query %s does not select the run: %s", tg.RefID, tg.Expr)
				}
			}
		})
	}
}

// TestDashboardCoversEveryFamily: every metric family docs/prometheus.md
// documents has a panel.
func TestDashboardCoversEveryFamily(t *testing.T) {
	doc, err := os.ReadFile("../docs/prometheus.md")
	if err != nil {
		t.Fatal(err)
	}
	families := regexp.MustCompile("(?m)^\\| `(cohort_[a-z_]+)` \\|").FindAllStringSubmatch(string(doc), -1)
	if len(families) < 30 {
		t.Fatalf("only %d families in docs/prometheus.md's table", len(families))
	}
	var exprs []string
	for _, p := range readDashboard(t) {
		for _, tg := range p.Targets {
			exprs = append(exprs, tg.Expr)
		}
	}
	all := strings.Join(exprs, "\n")
	name := regexp.MustCompile(`cohort_[a-z_]+`)
	used := map[string]bool{}
	for _, m := range name.FindAllString(all, -1) {
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			m = strings.TrimSuffix(m, suffix)
		}
		used[m] = true
	}
	for _, f := range families {
		if !used[f[1]] {
			t.Errorf("%s is documented and has no panel", f[1])
		}
	}
}

// TestDataSourceScrapeInterval: the provisioned data source's scrape
// interval is Prometheus's, which $__rate_interval is computed from.
func TestDataSourceScrapeInterval(t *testing.T) {
	var ds struct {
		Datasources []struct {
			Type     string
			JSONData struct {
				TimeInterval string `yaml:"timeInterval"`
			} `yaml:"jsonData"`
		}
	}
	readYAML(t, "grafana/datasource.yaml", &ds)
	var prom struct {
		Global struct {
			ScrapeInterval string `yaml:"scrape_interval"`
		}
	}
	readYAML(t, "prometheus/prometheus.yml", &prom)
	if len(ds.Datasources) != 1 || ds.Datasources[0].Type != "prometheus" ||
		ds.Datasources[0].JSONData.TimeInterval != prom.Global.ScrapeInterval || prom.Global.ScrapeInterval == "" {
		t.Fatalf("data source %+v: its timeInterval must be Prometheus's scrape_interval %q", ds, prom.Global.ScrapeInterval)
	}
}
