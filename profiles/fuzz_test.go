package profiles

import (
	"testing"
)

// FuzzParse feeds the profile decoder arbitrary YAML: it must return a
// profile or an error, never panic, and an error must be placed.
func FuzzParse(f *testing.F) {
	for _, name := range Builtins() {
		src, _ := BuiltinSource(name)
		f.Add(src)
	}
	f.Add([]byte(minimal))
	f.Add([]byte("name: [\n"))
	f.Add([]byte(aliasBomb(6))) // aliases of aliases: refused, never expanded
	f.Add([]byte(aliasBomb(10)))
	f.Add([]byte("mix: [{name: a, path: /, weight: -1}]"))
	f.Add([]byte("load: {stages: [{duration: 1s, target: 1e400}]}"))
	f.Add([]byte("&a [*a]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse("fuzz.yaml", data)
		if err != nil {
			if e, ok := err.(*Error); !ok || e.File != "fuzz.yaml" {
				t.Fatalf("error %T %v does not name the file", err, err)
			}
			return
		}
		if len(p.Mix) == 0 {
			t.Fatal("a profile without a mix was accepted")
		}
		_ = p.CheckLoad()
	})
}
