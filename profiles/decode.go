package profiles

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Pos is a place in a profile file, 1-based.
type Pos struct{ Line, Col int }

// Error is a problem with a profile (or another file cohort reads, such
// as a HAR recording to import), placed as precisely as cohort can: the
// file, the line and column, and the field's path (e.g. mix[2].extract[0].css).
type Error struct {
	File      string
	Line, Col int
	Field     string
	Msg       string
}

// Error writes FILE:LINE:COL: FIELD: MESSAGE, leaving out what is unknown.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Col > 0 {
			fmt.Fprintf(&b, ":%d", e.Col)
		}
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// ReadFile reads and validates the profile file at path.
func ReadFile(path string) (*Profile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{File: path, Msg: err.Error()}
	}
	return Parse(path, data)
}

// Parse decodes and validates a profile; file names it in errors.
func Parse(file string, data []byte) (*Profile, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, syntaxError(file, err)
	}
	if len(root.Content) == 0 {
		return nil, &Error{File: file, Line: 1, Msg: "empty profile"}
	}
	doc := root.Content[0]
	if doc.Kind != yaml.MappingNode {
		return nil, &Error{File: file, Line: doc.Line, Col: doc.Column, Msg: "a profile is a mapping of fields (name:, base_url:, login:, mix:, ...)"}
	}
	if n := countSteps(doc); n > MaxSteps {
		return nil, &Error{File: file, Line: doc.Line, Col: doc.Column, Field: "mix",
			Msg: fmt.Sprintf("%d steps in all: at most %d (a figure is kept per step)", n, MaxSteps)}
	}
	if err := checkExpansion(file, doc); err != nil {
		return nil, err
	}
	p := &Profile{File: file, pos: map[string]Pos{}, values: map[string]string{}}
	indexPositions(doc, "", p.pos, p.values)
	if err := checkKnownFields(file, doc, reflect.TypeOf(*p), ""); err != nil {
		return nil, err
	}
	if err := doc.Decode(p); err != nil {
		return nil, p.decodeError(err)
	}
	if err := p.validate(); err != nil {
		return nil, err
	}
	return p, nil
}

var lineRE = regexp.MustCompile(`line (\d+): (.*)`)

func syntaxError(file string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if m := lineRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{File: file, Line: line, Msg: m[2]}
	}
	return &Error{File: file, Msg: msg}
}

// decodeError places yaml's "line N: ..." messages on the field at that line.
func (p *Profile) decodeError(err error) error {
	msgs := []string{err.Error()}
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	m := lineRE.FindStringSubmatch(msgs[0])
	if m == nil {
		return &Error{File: p.File, Msg: msgs[0]}
	}
	line, _ := strconv.Atoi(m[1])
	value := ""
	if v := backquoted.FindStringSubmatch(m[2]); v != nil {
		value = v[1]
	}
	field, pos := p.fieldAtLine(line, value)
	msg := strings.Replace(m[2], "cannot unmarshal", "cannot read", 1)
	return &Error{File: p.File, Line: line, Col: pos.Col, Field: field, Msg: msg}
}

var backquoted = regexp.MustCompile("`([^`]*)`")

// fieldAtLine finds the field yaml complained about: the deepest one on the
// line, preferring one whose value is the one quoted in the complaint.
func (p *Profile) fieldAtLine(line int, value string) (string, Pos) {
	best, bestValue := "", false
	for f, pos := range p.pos {
		if pos.Line != line {
			continue
		}
		isValue := value != "" && p.values[f] == value
		if (isValue && !bestValue) || (isValue == bestValue && len(f) > len(best)) {
			best, bestValue = f, isValue
		}
	}
	return best, p.pos[best]
}

// Where returns the position of a field path in the file, or the zero Pos.
func (p *Profile) Where(field string) Pos { return p.pos[field] }

// Errorf returns an error placed at field.
func (p *Profile) Errorf(field, format string, args ...any) *Error {
	pos := p.posOf(field)
	if p.overridden[topField(field)] {
		field = p.scenarioField + "." + field
	}
	return &Error{File: p.File, Line: pos.Line, Col: pos.Col, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// posOf is where field is in the file; a field the profile leaves out
// (a required one) is placed at the nearest part of it that is there.
func (p *Profile) posOf(field string) Pos {
	for f := field; f != ""; {
		if pos, ok := p.pos[f]; ok {
			return pos
		}
		i := strings.LastIndexAny(f, ".[")
		if i < 0 {
			break
		}
		f = f[:i]
	}
	return Pos{}
}

// maxExpanded bounds how many nodes a profile may have once its aliases
// are expanded. A few aliases (a shared header map, a step used twice)
// add a few nodes; aliases of aliases grow exponentially (a 420-byte
// profile can stand for billions of nodes), and everything that walks
// the document expanded (positions, known fields, decoding) would run
// for minutes and take gigabytes.
const maxExpanded = 1_000_000

// checkExpansion refuses a document whose aliases expand past
// maxExpanded, before anything walks it expanded. Each node's expanded
// size is counted once (memoized), so the check itself is linear.
func checkExpansion(file string, doc *yaml.Node) error {
	sizes := map[*yaml.Node]int{}
	var size func(n *yaml.Node) int
	size = func(n *yaml.Node) int {
		if n.Kind == yaml.AliasNode && n.Alias != nil {
			n = n.Alias
		}
		if s, ok := sizes[n]; ok {
			return s
		}
		sizes[n] = maxExpanded + 1 // a node within itself: a cycle
		total := 1
		for _, c := range n.Content {
			total = min(total+size(c), maxExpanded+1)
		}
		sizes[n] = total
		return total
	}
	if size(doc) > maxExpanded {
		return &Error{File: file, Line: doc.Line, Col: doc.Column,
			Msg: fmt.Sprintf("the profile's aliases expand to more than %d nodes: write it out, or use fewer aliases of aliases", maxExpanded)}
	}
	return nil
}

// countSteps counts the steps of a profile's document (login, mix,
// logout, session.refresh) before it is decoded: a profile with too many
// is refused without the cost of decoding them.
func countSteps(doc *yaml.Node) int {
	n := 0
	for i := 0; i+1 < len(doc.Content); i += 2 {
		k, v := doc.Content[i].Value, doc.Content[i+1]
		switch {
		case (k == "login" || k == "mix" || k == "logout") && v.Kind == yaml.SequenceNode:
			n += len(v.Content)
		case k == "session" && v.Kind == yaml.MappingNode:
			for j := 0; j+1 < len(v.Content); j += 2 {
				if v.Content[j].Value == "refresh" && v.Content[j+1].Kind == yaml.SequenceNode {
					n += len(v.Content[j+1].Content)
				}
			}
		}
	}
	return n
}

// indexPositions records where every field's value starts.
func indexPositions(n *yaml.Node, path string, out map[string]Pos, values map[string]string) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if path != "" {
		out[path] = Pos{n.Line, n.Column}
		if n.Kind == yaml.ScalarNode {
			values[path] = n.Value
		}
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			indexPositions(v, join(path, k.Value), out, values)
			if v.Line > k.Line && (v.Kind == yaml.MappingNode || v.Kind == yaml.SequenceNode) {
				// A block below its key starts on the next line, at
				// its first entry: a field missing from it is placed on
				// the key ("oauth2:"), not on a sibling it has.
				out[join(path, k.Value)] = Pos{k.Line, k.Column}
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			indexPositions(c, fmt.Sprintf("%s[%d]", path, i), out, values)
		}
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

var (
	durationType = reflect.TypeOf(Duration(0))
	anyType      = reflect.TypeOf((*any)(nil)).Elem()
)

// checkKnownFields walks the document along the Go type it decodes into and
// rejects keys that no field takes, naming the ones that would.
func checkKnownFields(file string, n *yaml.Node, t reflect.Type, path string) error {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == durationType || t == anyType {
		return nil
	}
	if isInteger(t.Kind()) && n.Kind == yaml.ScalarNode && n.ShortTag() == "!!float" {
		// yaml would truncate it (vus: 2.9 would run 2 VUs).
		return &Error{File: file, Line: n.Line, Col: n.Column, Field: path, Msg: fmt.Sprintf("want a whole number, got %s", n.Value)}
	}
	switch {
	case t.Kind() == reflect.Struct && n.Kind == yaml.MappingNode:
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			ft, ok := fields[k.Value]
			if !ok {
				names := make([]string, 0, len(fields))
				for name := range fields {
					names = append(names, name)
				}
				slices.Sort(names)
				return &Error{File: file, Line: k.Line, Col: k.Column, Field: join(path, k.Value),
					Msg: fmt.Sprintf("unknown field %q (known here: %s)", k.Value, strings.Join(names, ", "))}
			}
			if err := checkKnownFields(file, n.Content[i+1], ft, join(path, k.Value)); err != nil {
				return err
			}
		}
	case t.Kind() == reflect.Map && n.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if err := checkKnownFields(file, n.Content[i+1], t.Elem(), join(path, n.Content[i].Value)); err != nil {
				return err
			}
		}
	case t.Kind() == reflect.Slice && n.Kind == yaml.SequenceNode:
		for i, c := range n.Content {
			if err := checkKnownFields(file, c, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

func isInteger(k reflect.Kind) bool {
	switch k {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return true
	}
	return false
}

// yamlFields maps the yaml keys of a struct (inline fields included) to
// their types.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		if tag == "-" || !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if opts == "inline" {
			for k, v := range yamlFields(f.Type) {
				out[k] = v
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f.Type
	}
	return out
}
