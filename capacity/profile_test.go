package capacity

import (
	"strings"
	"testing"
	"time"

	"github.com/cohort-dev/cohort/profiles"
)

// TestJudgedWindowSeesLostWarmSessions: a search whose steps are judged
// for less than touch_every could pass a level whose warm sessions the
// store already dropped (they are found gone only when touched). An unset
// touch_every follows the judged part; a longer one is refused.
func TestJudgedWindowSeesLostWarmSessions(t *testing.T) {
	base, _ := profiles.BuiltinSource("session-store") // touch_every: 5s, steps of 8s settling 3s
	cases := []struct {
		name   string
		edit   func(string) string
		touch  time.Duration
		refuse string
	}{
		{"the built-in: 5 s judged, touched every 5 s", func(s string) string { return s }, 5 * time.Second, ""},
		{"steps of 5 s settling 2 s, touched every 5 s", func(s string) string {
			return strings.Replace(s, "step_duration: 8s, settle: 3s", "step_duration: 5s, settle: 2s", 1)
		}, 0, "sessions.touch_every: 5s is longer than the 3s each capacity step is judged on (capacity.step_duration 5s less settle 2s): " +
			"a warm session lost during a step would go unseen; make touch_every at most 3s, or step_duration at least 7s"},
		{"touch_every unset: follows the judged part", func(s string) string {
			return strings.Replace(s, "touch_every: 5s, ", "", 1)
		}, 5 * time.Second, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := profiles.Parse("session-store.yaml", []byte(c.edit(string(base))))
			if err != nil {
				t.Fatal(err)
			}
			err = Reshape(p)
			switch {
			case c.refuse != "" && (err == nil || !strings.Contains(err.Error(), c.refuse)):
				t.Fatalf("Reshape: %v\nwant %q", err, c.refuse)
			case c.refuse == "" && err != nil:
				t.Fatal(err)
			case c.refuse == "" && p.Sessions.TouchEvery.D() != c.touch:
				t.Fatalf("touch_every %v, want %v", p.Sessions.TouchEvery.D(), c.touch)
			}
		})
	}
}
