package profiles

import (
	"strings"
	"testing"
)

// TestTooManySteps: a sample names its step in 16 bits; a profile with
// more steps would credit requests to the wrong name, so it is refused.
func TestTooManySteps(t *testing.T) {
	var b strings.Builder
	b.WriteString("name: x\nbase_url: http://127.0.0.1:1\nload: {vus: 1, duration: 1s}\nmix:\n")
	b.WriteString("- &step {name: r, path: /}\n") // one step, then aliases of it: cheap to parse
	for range MaxSteps {
		b.WriteString("- *step\n")
	}
	_, err := Parse("p.yaml", []byte(b.String()))
	if err == nil || !strings.Contains(err.Error(), "65536 steps in all: at most 65535") {
		t.Fatalf("a mix of 65,536 requests: %v", err)
	}
}
