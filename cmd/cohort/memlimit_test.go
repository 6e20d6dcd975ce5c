package main

import "testing"

func TestMemoryLimit(t *testing.T) {
	const meminfo = "MemTotal:       24576000 kB\nMemFree:        20000000 kB\nMemAvailable:   22000000 kB\n"
	share := func(n int64) int64 { return int64(float64(n) * memoryShare) }
	machine := share(24576000 << 10)
	for _, c := range []struct {
		name, cgroup, meminfo string
		want                  int64
	}{
		{"the machine's memory, no cgroup limit", "max\n", meminfo, machine},
		{"no cgroup file", "", meminfo, machine},
		{"a cgroup limit below the machine's", "4294967296\n", meminfo, share(4 << 30)},
		{"a cgroup limit above it: the machine's", "107374182400\n", meminfo, machine},
		{"a cgroup limit alone", "2147483648", "", share(2 << 30)},
		{"nothing to read", "", "", 0},
		{"a meminfo of another shape", "max", "MemTotal: 1024 MB\n", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := memoryLimit(c.cgroup, c.meminfo); got != c.want {
				t.Errorf("memoryLimit = %d, want %d", got, c.want)
			}
		})
	}
}
