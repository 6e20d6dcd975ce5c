package main

import (
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// junitSchema is the JUnit XML schema the reports are validated against
// (what Jenkins, GitLab and GitHub's JUnit readers take).
const junitSchema = "../../metrics/results/testdata/junit.xsd"

// validateJUnit checks a file against the schema with a real validator,
// xmllint (Debian's libxml2-utils, which scripts/test installs).
func validateJUnit(t *testing.T, path string) {
	t.Helper()
	xmllint := component(t, "xmllint")
	if out, err := exec.Command(xmllint, "--noout", "--schema", junitSchema, path).CombinedOutput(); err != nil {
		t.Fatalf("xmllint refused %s: %v\n%s", path, err, out)
	}
}

// junitDoc is what a CI server reads of the report.
type junitDoc struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Errors   int `xml:"errors,attr"`
	Suites   []struct {
		Name  string `xml:"name,attr"`
		Props []struct {
			Name  string `xml:"name,attr"`
			Value string `xml:"value,attr"`
		} `xml:"properties>property"`
		Cases []struct {
			Name      string `xml:"name,attr"`
			Classname string `xml:"classname,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
			} `xml:"failure"`
			Error *struct {
				Message string `xml:"message,attr"`
			} `xml:"error"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func readJUnit(t *testing.T, path string) junitDoc {
	t.Helper()
	validateJUnit(t, path)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var d junitDoc
	if err := xml.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Suites) != 1 {
		t.Fatalf("%d test suites, want 1", len(d.Suites))
	}
	return d
}

// TestJUnitReport: --junit writes a test case per threshold (a failing
// one carries its value), per check (a failing one its count) and one for
// the run, valid against the JUnit schema, with counts that add up.
func TestJUnitReport(t *testing.T) {
	path := writeProfile(t, "basic", func(s string) string {
		s = strings.Replace(s, "    expect: {status: [201]}", `    expect: {status: [201]}
    checks:
      - {name: created, status: 201}
      - {name: never, status: 418}`, 1)
		return s + `thresholds:
  - "http_req_failed: rate==0"
  - "http_reqs{name:create-order}: count<1"
`
	})
	report := filepath.Join(t.TempDir(), "verdict.xml")
	code, out, r := runSimulated(t, path, "--vus", "5", "--duration", "4s", "--junit", report, "--tag", "testid=ci-42")
	if code != exitThreshold {
		t.Fatalf("exit %d, want %d\n%s", code, exitThreshold, out)
	}
	if !strings.Contains(out, ", junit to "+report+"\n") {
		t.Fatalf("the plan line does not say where the verdict goes\n%s", out)
	}
	d := readJUnit(t, report)
	if d.Tests != 5 || d.Failures != 2 || d.Errors != 0 {
		t.Fatalf("tests %d, failures %d, errors %d; want 5 cases (run, 2 thresholds, 2 checks), 2 failing", d.Tests, d.Failures, d.Errors)
	}
	s := d.Suites[0]
	creates := request(t, r, "create-order").Count
	want := []struct{ name, class, failure string }{
		{"run", "cohort.run", ""},
		{"http_req_failed: rate==0", "cohort.thresholds", ""},
		{"http_reqs{name:create-order}: count<1", "cohort.thresholds", "value " + strconv.FormatInt(creates, 10)},
		{"created", "cohort.checks", ""},
		{"never", "cohort.checks", strconv.FormatInt(creates, 10) + " of " + strconv.FormatInt(creates, 10) + " failed"},
	}
	for i, w := range want {
		c := s.Cases[i]
		got := ""
		if c.Failure != nil {
			got = c.Failure.Message
		}
		if c.Name != w.name || c.Classname != w.class || got != w.failure {
			t.Errorf("case %d: %s (%s) failure %q; want %s (%s) failure %q", i, c.Name, c.Classname, got, w.name, w.class, w.failure)
		}
	}
	props := map[string]string{}
	for _, p := range s.Props {
		props[p.Name] = p.Value
	}
	if props["profile"] != "basic" || props["tag.testid"] != "ci-42" {
		t.Fatalf("properties %v", props)
	}
	// cohort report writes the same verdict later from the result file
	// (of a merged run, say).
	saved := filepath.Join(t.TempDir(), "r.json")
	if err := r.WriteFile(saved); err != nil {
		t.Fatal(err)
	}
	again := filepath.Join(t.TempDir(), "again.xml")
	var buf strings.Builder
	if code := dispatch(t.Context(), &env{stdout: &buf, stderr: &buf}, []string{"report", saved, "--format", "junit", "--out", again}); code != exitOK {
		t.Fatalf("report: exit %d\n%s", code, buf.String())
	}
	if d2 := readJUnit(t, again); d2.Tests != d.Tests || d2.Failures != d.Failures {
		t.Fatalf("report --format junit: %d tests, %d failures; the run wrote %d and %d", d2.Tests, d2.Failures, d.Tests, d.Failures)
	}
}

// TestJUnitRunNotCarriedOut: a run where nothing succeeded is an error
// of the run's case, saying why, whatever its thresholds say.
func TestJUnitRunNotCarriedOut(t *testing.T) {
	report := filepath.Join(t.TempDir(), "verdict.xml")
	code, out, _ := runCohort(t, "basic", "--base-url", "http://127.0.0.1:1", "-u", "2", "-i", "2", "--junit", report,
		"--threshold", "http_req_duration: p(95)<1000")
	if code != exitFailed {
		t.Fatalf("exit %d, want %d\n%s", code, exitFailed, out)
	}
	d := readJUnit(t, report)
	c := d.Suites[0].Cases[0]
	if !regexp.MustCompile(`\n +all +2 +2 +100% `).MatchString(out) {
		t.Fatalf("the summary's all row does not read 2 failed of 2, 100%%\n%s", out)
	}
	if d.Errors != 1 || c.Name != "run" || c.Error == nil || !strings.Contains(c.Error.Message, "connection_refused") {
		t.Fatalf("errors %d, first case %+v; want the run's case in error for connection_refused", d.Errors, c)
	}
}

// TestJUnitSchemaIsStrict: the schema refuses what the format does not
// have, so a report that passes it is one CI servers read.
func TestJUnitSchemaIsStrict(t *testing.T) {
	xmllint := component(t, "xmllint")
	for name, doc := range map[string]string{
		"unknown element": `<testsuites><testsuite name="a" tests="1"><testcase name="x"><verdict/></testcase></testsuite></testsuites>`,
		"no tests count":  `<testsuites><testsuite name="a"><testcase name="x"/></testsuite></testsuites>`,
		"failure first":   `<testsuites><testsuite name="a" tests="1"><testcase name="x"><failure/><error/></testcase></testsuite></testsuites>`,
		"negative time":   `<testsuites><testsuite name="a" tests="1" time="-1"/></testsuites>`,
	} {
		path := filepath.Join(t.TempDir(), "bad.xml")
		os.WriteFile(path, []byte(doc), 0o644)
		if err := exec.Command(xmllint, "--noout", "--schema", junitSchema, path).Run(); err == nil {
			t.Errorf("%s: the schema took it", name)
		}
	}
}
