package profiles

import (
	"strconv"
	"strings"
	"testing"
)

// aliasBomb is a profile whose aliases of aliases, levels deep, expand to
// 10^(levels+1) nodes.
func aliasBomb(levels int) string {
	var b strings.Builder
	b.WriteString("name: bomb\nbase_url: http://127.0.0.1:1\nmix: [{name: a, path: /}]\nx0: &x0 [a, a, a, a, a, a, a, a, a, a]\n")
	for i := 1; i <= levels; i++ {
		b.WriteString("x" + strconv.Itoa(i) + ": &x" + strconv.Itoa(i) + " [")
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*x" + strconv.Itoa(i-1))
		}
		b.WriteString("]\n")
	}
	return b.String()
}

// TestAliasBombIsRefused: aliases of aliases (6 levels in 420 bytes once
// took 9 s and 143 MB, 10 levels 14 GB) are refused at once, before
// anything walks the document expanded; a profile with a few plain
// aliases still loads.
func TestAliasBombIsRefused(t *testing.T) {
	for _, levels := range []int{6, 10} {
		// Refused by counting, not by expanding (10 levels expanded
		// would outlast the test's timeout).
		_, err := Parse("bomb.yaml", []byte(aliasBomb(levels)))
		if err == nil || !strings.Contains(err.Error(), "aliases expand to more than") {
			t.Fatalf("%d levels: %v", levels, err)
		}
	}
	ok := "name: ok\nbase_url: http://127.0.0.1:1\nheaders: &h {Accept: text/html}\nmix:\n  - {name: a, path: /, headers: *h}\n  - {name: b, path: /b, headers: *h}\n"
	if _, err := Parse("ok.yaml", []byte(ok)); err != nil {
		t.Fatalf("a profile with plain aliases: %v", err)
	}
}
