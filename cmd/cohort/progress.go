package main

import (
	"fmt"
	"os"
	"time"

	"github.com/cohort-dev/cohort/metrics"
	"github.com/cohort-dev/cohort/metrics/results"
)

// progress draws the live progress line on a terminal's stderr.
type progress struct {
	e     *env
	on    bool
	total time.Duration
	drawn bool
}

func newProgress(e *env, off bool, total time.Duration) *progress {
	return &progress{e: e, on: !off && isTerminal(e.stderr), total: total}
}

func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func (p *progress) tick(t metrics.Snapshot) {
	if !p.on {
		return
	}
	reqs, fails := t.Total.Requests()
	n, _ := t.Interval.Requests()
	p95 := metrics.Percentile(t.Total.AllLatency(nil), 95)
	line := results.ProgressLine(results.Progress{
		Elapsed: t.Elapsed, Total: p.total, VUs: t.VUs, LoggedIn: t.LoggedIn,
		Requests: reqs, Failures: fails, RPS: float64(n), P95: time.Duration(p95) * time.Microsecond,
	})
	if t.Warm != nil {
		line += fmt.Sprintf("  warm %d", t.WarmHeld)
	}
	fmt.Fprintf(p.e.stderr, "\r\033[K%s", line)
	p.drawn = true
}

func (p *progress) done() {
	if p.drawn {
		fmt.Fprint(p.e.stderr, "\r\033[K")
	}
}
