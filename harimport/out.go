package harimport

import (
	"bytes"

	"go.yaml.in/yaml/v3"
)

// The profile an import writes, as YAML: the fields of profiles.Profile it
// sets, in the order docs/profiles.md gives them, and nothing it leaves
// at its default.
type outProfile struct {
	Name        string            `yaml:"name"`
	Description string            `yaml:"description,omitempty"`
	BaseURL     string            `yaml:"base_url"`
	Headers     map[string]string `yaml:"headers,omitempty"`
	Users       *outUsers         `yaml:"users,omitempty"`
	Session     *outSession       `yaml:"session,omitempty"`
	OAuth2      *outOAuth2        `yaml:"oauth2,omitempty"`
	Login       []*outStep        `yaml:"login,omitempty"`
	Mix         []*outMix         `yaml:"mix"`
	Think       *outThink         `yaml:"think,omitempty"`
	Logout      []*outStep        `yaml:"logout,omitempty"`
	Load        outLoad           `yaml:"load"`
}

type outUsers struct {
	CSV string `yaml:"csv"`
}

type outSession struct {
	Cookie string   `yaml:"cookie,omitempty"`
	Basic  bool     `yaml:"basic,omitempty"`
	Lost   *outLost `yaml:"lost,omitempty"`
}

type outLost struct {
	Status       []int  `yaml:"status,omitempty,flow"`
	RedirectTo   string `yaml:"redirect_to,omitempty"`
	BodyContains string `yaml:"body_contains,omitempty"`
}

type outOAuth2 struct {
	Start string `yaml:"start"`
}

type outStep struct {
	Name      string            `yaml:"name"`
	Method    string            `yaml:"method,omitempty"`
	Path      string            `yaml:"path"`
	Headers   map[string]string `yaml:"headers,omitempty,flow"`
	Form      *yaml.Node        `yaml:"form,omitempty"`
	JSON      any               `yaml:"json,omitempty,flow"`
	Body      string            `yaml:"body,omitempty"`
	Redirects *int              `yaml:"redirects,omitempty"`
	Extract   []*outExtract     `yaml:"extract,omitempty"`
	Expect    outExpect         `yaml:"expect,flow"`
	Think     *outThink         `yaml:"think,omitempty,flow"`
}

type outMix struct {
	Name   string     `yaml:"name"`
	Weight int        `yaml:"weight"`
	Steps  []*outStep `yaml:"steps"`
}

type outExtract struct {
	Name   string `yaml:"name"`
	CSS    string `yaml:"css,omitempty"`
	Attr   string `yaml:"attr,omitempty"`
	JSON   string `yaml:"json,omitempty"`
	Header string `yaml:"header,omitempty"`
	All    bool   `yaml:"all,omitempty"`
	Secret bool   `yaml:"secret,omitempty"`
}

type outExpect struct {
	Status       []int  `yaml:"status,flow"`
	BodyContains string `yaml:"body_contains,omitempty"`
	Location     string `yaml:"location,omitempty"`
	LocationNot  string `yaml:"location_not,omitempty"`
}

type outThink struct {
	Type     string `yaml:"type"`
	Duration string `yaml:"duration,omitempty"`
}

type outLoad struct {
	Executor   string `yaml:"executor"`
	VUs        int    `yaml:"vus"`
	Iterations int    `yaml:"iterations"`
}

// formNode writes a form's fields in the order the browser sent them.
func formNode(fields []NV) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}
	for _, f := range fields {
		n.Content = append(n.Content,
			&yaml.Node{Kind: yaml.ScalarNode, Value: f.Name, Style: quoteStyle(f.Name)},
			&yaml.Node{Kind: yaml.ScalarNode, Value: f.Value, Style: quoteStyle(f.Value)})
	}
	return n
}

// quoteStyle quotes a value YAML would otherwise read as something else
// than a string ("1", "true", "{{...}}").
func quoteStyle(v string) yaml.Style {
	var s string
	if yaml.Unmarshal([]byte(v), &s) != nil || s != v {
		return yaml.DoubleQuotedStyle
	}
	var any any
	if yaml.Unmarshal([]byte(v), &any) == nil {
		if _, ok := any.(string); !ok {
			return yaml.DoubleQuotedStyle
		}
	}
	return 0
}

// marshal writes the profile with a comment that says where it came from.
func marshal(p *outProfile, comment string) ([]byte, error) {
	var doc yaml.Node
	if err := doc.Encode(p); err != nil {
		return nil, err
	}
	doc.HeadComment = comment
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, err
	}
	return b.Bytes(), enc.Close()
}
