package main

import (
	"bufio"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// memoryShare is the part of the memory the process may use that Go's
// collector is told to stay within: what is left is the kernel's (socket
// buffers: a run of 100,000 connections holds hundreds of MB there) and
// the target's, when it runs on the same machine.
const memoryShare = 0.9

// limitMemory gives Go's collector a soft memory limit, unless GOMEMLIMIT
// is set: nine tenths of what the process may use (its cgroup's
// memory.max, else the machine's memory). GOGC alone lets the heap grow
// by a share of what is live, however close to the machine's end that
// is; with the limit, a run that would outgrow the machine collects more
// often instead of being killed, and still writes its figures.
func limitMemory() {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	cg, _ := os.ReadFile("/sys/fs/cgroup/memory.max")
	mi, _ := os.ReadFile("/proc/meminfo")
	if limit := memoryLimit(string(cg), string(mi)); limit > 0 {
		debug.SetMemoryLimit(limit)
	}
}

// memoryLimit is memoryShare of a cgroup v2 memory.max (a number of
// bytes, or "max": none) or, without one, of /proc/meminfo's MemTotal,
// the smaller of the two when both are set; 0 when neither can be read.
func memoryLimit(cgroupMax, meminfo string) int64 {
	var total int64
	sc := bufio.NewScanner(strings.NewReader(meminfo))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 3 && f[0] == "MemTotal:" && f[2] == "kB" {
			if kb, err := strconv.ParseInt(f[1], 10, 64); err == nil && kb > 0 {
				total = kb << 10
			}
		}
	}
	if n, err := strconv.ParseInt(strings.TrimSpace(cgroupMax), 10, 64); err == nil && n > 0 && (total == 0 || n < total) {
		total = n
	}
	return int64(float64(total) * memoryShare)
}
