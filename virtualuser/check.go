package virtualuser

import (
	"bytes"
	"fmt"
	"net/http"
	"regexp"

	"github.com/tidwall/gjson"

	"github.com/cohort-dev/cohort/metrics"
	"github.com/cohort-dev/cohort/profiles"
)

// check is a compiled named assertion on a response.
type check struct {
	name         string
	index        uint16 // into Plan.Checks
	status       int
	bodyContains *Template
	bodyRegex    *regexp.Regexp
	header       string
	headerRE     *regexp.Regexp
	jsonPath     string
	jsonEquals   *Template
}

func (c *compiler) compileCheck(field string, pc *profiles.Check) (check, error) {
	ch := check{name: pc.Name, index: uint16(len(c.pl.Checks)), status: pc.Status}
	c.pl.Checks = append(c.pl.Checks, pc.Name)
	var err error
	if pc.BodyContains != "" {
		if ch.bodyContains, err = c.template(field+".body_contains", pc.BodyContains); err != nil {
			return ch, err
		}
	}
	if pc.BodyRegex != "" {
		ch.bodyRegex = regexp.MustCompile(pc.BodyRegex)
	}
	if h := pc.Header; h != nil {
		ch.header = http.CanonicalHeaderKey(h.Name)
		ch.headerRE = regexp.MustCompile(h.Matches)
	}
	if j := pc.JSON; j != nil {
		if err := checkJSONPath(j.Path); err != nil {
			return ch, c.p.Errorf(field+".json.path", "bad JSON path %q: %v", j.Path, err)
		}
		ch.jsonPath = j.Path
		if j.Equals != "" {
			if ch.jsonEquals, err = c.template(field+".json.equals", j.Equals); err != nil {
				return ch, err
			}
		}
	}
	return ch, nil
}

func (ch *check) needsBody() bool {
	return ch.bodyContains != nil || ch.bodyRegex != nil || ch.jsonPath != ""
}

// eval judges the response; the reason is empty when the check passes.
func (ch *check) eval(r *response, v *VU) string {
	if ch.status != 0 && r.status != ch.status {
		return fmt.Sprintf("status %d, want %d", r.status, ch.status)
	}
	if ch.bodyContains != nil {
		v.scratch = ch.bodyContains.expand(v.scratch[:0], v)
		if !bytes.Contains(r.body, v.scratch) {
			return fmt.Sprintf("the body does not contain %q", ch.bodyContains)
		}
	}
	if ch.bodyRegex != nil && !ch.bodyRegex.Match(r.body) {
		return fmt.Sprintf("the body does not match %s", ch.bodyRegex)
	}
	if ch.header != "" {
		if got := r.header.Get(ch.header); !ch.headerRE.MatchString(got) {
			return fmt.Sprintf("header %s %q does not match %s", ch.header, got, ch.headerRE)
		}
	}
	if ch.jsonPath != "" {
		res := gjson.GetBytes(r.body, ch.jsonPath)
		if !res.Exists() {
			return fmt.Sprintf("JSON path %s is absent", ch.jsonPath)
		}
		if ch.jsonEquals != nil {
			want := ch.jsonEquals.expandString(v)
			if res.String() != want {
				return fmt.Sprintf("JSON path %s is %q, want %q", ch.jsonPath, res.String(), want)
			}
		}
	}
	return ""
}

// runChecks records every check of the step on its final response.
func (v *VU) runChecks(st *Step, r *response) []CheckResult {
	var out []CheckResult
	for i := range st.checks {
		ch := &st.checks[i]
		why := ""
		if r.err != nil {
			why = "no response"
		} else {
			why = ch.eval(r, v)
		}
		s := metrics.Sample{Kind: metrics.KindCheck, Series: ch.index}
		if why != "" {
			s.Flags = metrics.Failed
		}
		v.rec.Add(s)
		out = append(out, CheckResult{Name: ch.name, Problem: why})
	}
	return out
}

// CheckResult is the outcome of one check on one response.
type CheckResult struct {
	Name    string
	Problem string // empty when it passed
}
