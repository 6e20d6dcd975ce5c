package results

import (
	"encoding/xml"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"time"
)

// The JUnit XML that CI servers read (Jenkins' junit plugin, GitLab's
// test reports, GitHub actions that publish JUnit files): testsuites of
// testcases, a failed case carrying a <failure> with a message. cohort's
// verdict maps onto it so that a CI page shows which gate broke and by how
// much without opening the result file.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Error     *junitProblem `xml:"error,omitempty"` // before failure, as the format orders them
	Failure   *junitProblem `xml:"failure,omitempty"`
}

// junitProblem is a <failure> (the verdict said no) or an <error> (the
// run could not give a verdict: interrupted, not carried out).
type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes a run's verdict as JUnit XML: one testsuite "cohort"
// whose cases are the run itself (carried out, not interrupted, not
// aborted), each threshold (failing with its value) and each check
// (failing with its count of failures). The testsuite's time is the
// run's duration; its properties are the profile, the segment and the
// run's tags.
func WriteJUnit(w io.Writer, r *Result) error {
	secs := strconv.FormatFloat(r.DurationS, 'f', 3, 64)
	suite := junitSuite{Name: "cohort " + r.Profile, Time: secs, Timestamp: r.StartedAt.UTC().Format(time.RFC3339),
		Properties: junitProperties(r)}
	suite.Cases = append(suite.Cases, junitRunCase(r, secs))
	for _, t := range r.Thresholds {
		c := junitCase{Name: t.Expr, Classname: "cohort.thresholds", Time: secs}
		switch {
		case t.NotJudged != "":
			c.Failure = &junitProblem{Message: "not judged: " + t.NotJudged, Type: "threshold"}
		case !t.OK:
			c.Failure = &junitProblem{Message: fmt.Sprintf("value %g", t.Value), Type: "threshold",
				Text: fmt.Sprintf("%s failed: the run measured %g", t.Expr, t.Value)}
		}
		suite.Cases = append(suite.Cases, c)
	}
	for _, ch := range r.Checks {
		c := junitCase{Name: qualified(ch.Scenario, ch.Name), Classname: "cohort.checks", Time: secs}
		if ch.Fails > 0 {
			c.Failure = &junitProblem{Message: fmt.Sprintf("%d of %d failed", ch.Fails, ch.Passes+ch.Fails), Type: "check"}
		}
		suite.Cases = append(suite.Cases, c)
	}
	for _, c := range suite.Cases {
		suite.Tests++
		if c.Failure != nil {
			suite.Failures++
		}
		if c.Error != nil {
			suite.Errors++
		}
	}
	doc := junitSuites{Name: "cohort", Tests: suite.Tests, Failures: suite.Failures, Errors: suite.Errors, Time: secs,
		Suites: []junitSuite{suite}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// junitRunCase is the run's own case: an error when it gave no verdict
// to trust (interrupted, or it measured nothing), a failure when a
// threshold stopped it early.
func junitRunCase(r *Result, secs string) junitCase {
	c := junitCase{Name: "run", Classname: "cohort.run", Time: secs}
	switch {
	case r.Aborted != "":
		c.Failure = &junitProblem{Message: "stopped early: " + r.Aborted, Type: "abort_on_fail"}
	case r.Interrupted:
		c.Error = &junitProblem{Message: "interrupted: the figures cover only part of the run", Type: "interrupted"}
	case r.NotCarriedOut != "":
		c.Error = &junitProblem{Message: r.NotCarriedOut, Type: "not_carried_out"}
	}
	return c
}

func junitProperties(r *Result) []junitProperty {
	props := []junitProperty{{"profile", r.Profile}}
	if r.Segment != "" {
		props = append(props, junitProperty{"segment", r.Segment})
	}
	for _, k := range slices.Sorted(maps.Keys(r.Tags)) {
		props = append(props, junitProperty{"tag." + k, r.Tags[k]})
	}
	return props
}
