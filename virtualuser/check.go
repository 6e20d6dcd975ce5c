package virtualuser

import (
	"bytes"
	"fmt"
	"net/http"

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
	textContains *Template
	bodyRegex    *pattern
	header       string
	headerRE     *pattern
	headerEquals *Template
	jsonPath     string
	jsonEquals   *Template
	// value takes a value as an extractor does (css, regex, cookie);
	// equals, when set, is what it must be.
	value  *extractor
	equals *Template
}

func (c *compiler) compileCheck(field string, pc *profiles.Check) (check, error) {
	ch := check{name: pc.Name, index: uint16(len(c.pl.Checks)), status: pc.Status}
	c.pl.Checks = append(c.pl.Checks, pc.Name)
	if c.p.Scenario != "" {
		c.pl.CheckScenarios = append(c.pl.CheckScenarios, c.p.Scenario)
	}
	var err error
	for _, t := range []struct {
		name, src string
		into      **Template
	}{{"body_contains", pc.BodyContains, &ch.bodyContains}, {"text_contains", pc.TextContains, &ch.textContains}, {"equals", pc.Equals, &ch.equals}} {
		if t.src == "" {
			continue
		}
		if *t.into, err = c.template(field+"."+t.name, t.src); err != nil {
			return ch, err
		}
	}
	if pc.BodyRegex != "" {
		if ch.bodyRegex, err = c.pattern(field+".body_regex", pc.BodyRegex); err != nil {
			return ch, err
		}
	}
	if h := pc.Header; h != nil {
		if err := c.compileHeaderCheck(field+".header", h, &ch); err != nil {
			return ch, err
		}
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
	if pc.CSS != "" || pc.Regex != "" || pc.Cookie != "" {
		ex, err := c.compileExtractor(field, &profiles.Extractor{CSS: pc.CSS, Attr: pc.Attr, Regex: pc.Regex, Cookie: pc.Cookie})
		if err != nil {
			return ch, err
		}
		ch.value = &ex
	}
	return ch, nil
}

func (c *compiler) compileHeaderCheck(field string, h *profiles.HeaderCheck, ch *check) error {
	ch.header = http.CanonicalHeaderKey(h.Name)
	var err error
	if h.Equals != "" {
		ch.headerEquals, err = c.template(field+".equals", h.Equals)
		return err
	}
	ch.headerRE, err = c.pattern(field+".matches", h.Matches)
	return err
}

func (ch *check) needsBody() bool {
	return ch.bodyContains != nil || ch.textContains != nil || ch.bodyRegex != nil || ch.jsonPath != "" ||
		ch.value != nil && ch.value.needsBody()
}

// eval judges the response; the reason is empty when the check passes.
func (ch *check) eval(r *response, v *VU, page *pageDoc) string {
	if ch.status != 0 && r.status != ch.status {
		return fmt.Sprintf("status %d, want %d", r.status, ch.status)
	}
	if ch.bodyContains != nil {
		v.scratch = ch.bodyContains.expand(v.scratch[:0], v)
		if !bytes.Contains(r.body, v.scratch) {
			return fmt.Sprintf("the body does not contain %q", ch.bodyContains)
		}
	}
	if ch.textContains != nil {
		v.scratch = ch.textContains.expand(v.scratch[:0], v)
		if !textContains(page, v.scratch) {
			return fmt.Sprintf("the text of the body does not contain %q", ch.textContains)
		}
	}
	if ch.bodyRegex != nil && !ch.bodyRegex.match(v, r.body) {
		return fmt.Sprintf("the body does not match %s", ch.bodyRegex)
	}
	if why := ch.evalHeader(r, v); why != "" {
		return why
	}
	if why := ch.evalJSON(r, v); why != "" {
		return why
	}
	return ch.evalValue(r, v, page)
}

func (ch *check) evalHeader(r *response, v *VU) string {
	if ch.header == "" {
		return ""
	}
	got := r.header.Get(ch.header)
	if ch.headerEquals != nil {
		if want := ch.headerEquals.expandString(v); got != want {
			return fmt.Sprintf("header %s is %q, want %q", ch.header, got, want)
		}
		return ""
	}
	if !ch.headerRE.matchString(v, got) {
		return fmt.Sprintf("header %s %q does not match %s", ch.header, got, ch.headerRE)
	}
	return ""
}

func (ch *check) evalJSON(r *response, v *VU) string {
	if ch.jsonPath == "" {
		return ""
	}
	res := gjson.GetBytes(r.body, ch.jsonPath)
	if !res.Exists() {
		return fmt.Sprintf("JSON path %s is absent", ch.jsonPath)
	}
	if ch.jsonEquals != nil {
		if want := ch.jsonEquals.expandString(v); res.String() != want {
			return fmt.Sprintf("JSON path %s is %q, want %q", ch.jsonPath, res.String(), want)
		}
	}
	return ""
}

// evalValue takes the check's value as an extractor would and compares it
// with equals; the text of a CSS selection is compared with white space
// collapsed on both sides, as it shows in a browser.
func (ch *check) evalValue(r *response, v *VU, page *pageDoc) string {
	if ch.value == nil {
		return ""
	}
	got, found := ch.value.run(r, page, v.cookieValue)
	if !found {
		return fmt.Sprintf("%s found nothing", ch.value.describe())
	}
	if ch.equals == nil {
		return ""
	}
	want := ch.equals.expandString(v)
	if ch.value.kind == extractCSS && ch.value.attr == "" {
		got = string(collapseSpace(nil, []byte(got)))
		want = string(collapseSpace(nil, []byte(want)))
	}
	if got != want {
		return fmt.Sprintf("%s is %q, want %q", ch.value.describe(), got, want)
	}
	return ""
}

// runChecks records every check of the step on its final response.
func (v *VU) runChecks(st *Step, r *response, page *pageDoc) []CheckResult {
	var out []CheckResult
	for i := range st.checks {
		ch := &st.checks[i]
		why := ""
		if r.err != nil {
			why = "no response"
		} else {
			why = ch.eval(r, v, page)
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
