package profiles

import (
	"embed"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

//go:embed builtin/*.yaml
var builtinFS embed.FS

// DefaultProfile is what "cohort run" runs when given nothing.
const DefaultProfile = "spring-form"

// Builtins returns the names of the built-in profiles, sorted.
func Builtins() []string {
	entries, _ := builtinFS.ReadDir("builtin")
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	slices.Sort(names)
	return names
}

// BuiltinSource returns the YAML of a built-in profile.
func BuiltinSource(name string) ([]byte, bool) {
	data, err := builtinFS.ReadFile(path.Join("builtin", name+".yaml"))
	return data, err == nil
}

// Builtin decodes a built-in profile.
func Builtin(name string) (*Profile, error) {
	data, ok := BuiltinSource(name)
	if !ok {
		return nil, fmt.Errorf("no built-in profile %q (built-ins: %s)", name, strings.Join(Builtins(), ", "))
	}
	return Parse("builtin:"+name, data)
}

// ParseStages reads the --stages flag: "30s:50,1m:50,30s:0" ramps to 50 VUs
// (or 50 iterations/s in an open model) over 30 s, holds for a minute, and
// ramps down over 30 s.
func ParseStages(s string) ([]Stage, error) {
	var out []Stage
	for i, part := range strings.Split(s, ",") {
		d, n, ok := strings.Cut(strings.TrimSpace(part), ":")
		if !ok {
			return nil, fmt.Errorf("stage %d %q: want DURATION:VUS, e.g. 30s:50", i+1, part)
		}
		dur, err := time.ParseDuration(d)
		if err != nil || dur < 0 {
			return nil, fmt.Errorf("stage %d %q: %q is not a duration", i+1, part, d)
		}
		target, err := strconv.ParseFloat(n, 64)
		if err != nil || target < 0 {
			return nil, fmt.Errorf("stage %d %q: %q is not a VU count or rate", i+1, part, n)
		}
		out = append(out, Stage{Duration: Duration(dur), Target: target})
	}
	return out, nil
}

// Quick is the profile of quick mode (--url): every VU sends GET url in a
// loop, with no login and no think time.
func Quick(rawURL string) (*Profile, error) {
	if err := checkBaseURL(rawURL); err != nil {
		return nil, &Error{File: "--url", Msg: err.Error()}
	}
	p := &Profile{
		Name: "quick", File: "--url", BaseURL: rawURL, pos: map[string]Pos{}, values: map[string]string{},
		Users: Users{Share: true},
		Mix:   []Request{{Step: Step{Name: "get", Method: "GET", Path: rawURL}, Weight: 1}},
		Load:  Load{VUs: 50, Duration: Duration(10 * time.Second)},
	}
	if err := p.validate(); err != nil {
		return nil, err
	}
	return p, nil
}
