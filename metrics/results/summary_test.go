package results

import "testing"

// TestPercentOf: a share of failures never reads as 0 unless it is.
func TestFormatShare(t *testing.T) {
	for _, c := range []struct {
		k, n int64
		want string
	}{
		{0, 0, "0%"}, {0, 10, "0%"}, {1, 4, "25%"}, {1, 3, "33.33%"}, {1, 100000, "<0.01%"},
		{99999, 100000, ">99.99%"}, {10, 10, "100%"},
	} {
		t.Run(c.want, func(t *testing.T) {
			if got := FormatShare(c.k, c.n); got != c.want {
				t.Fatalf("FormatShare(%d, %d) = %s, want %s", c.k, c.n, got, c.want)
			}
		})
	}
}

// TestByteSize: byte counts read as k6 prints them, in powers of 1000.
func TestFormatBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 999: "999 B", 1000: "1.0 kB", 32345: "32.3 kB", 4_500_000: "4.5 MB", 7_200_000_000_000: "7200.0 GB"} {
		if got := FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
