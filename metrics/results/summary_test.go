package results

import "testing"

// TestPercentOf: a share of failures never reads as 0 unless it is.
func TestPercentOf(t *testing.T) {
	for _, c := range []struct {
		k, n int64
		want string
	}{
		{0, 0, "0%"}, {0, 10, "0%"}, {1, 4, "25%"}, {1, 3, "33.33%"}, {1, 100000, "<0.01%"},
		{99999, 100000, ">99.99%"}, {10, 10, "100%"},
	} {
		t.Run(c.want, func(t *testing.T) {
			if got := percentOf(c.k, c.n); got != c.want {
				t.Fatalf("percentOf(%d, %d) = %s, want %s", c.k, c.n, got, c.want)
			}
		})
	}
}
