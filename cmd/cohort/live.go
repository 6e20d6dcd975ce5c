package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/cohort-dev/cohort/metrics"
	"github.com/cohort-dev/cohort/metrics/prom"
)

// checkPrometheus checks the Prometheus flags before anything starts.
func (f *runFlags) checkPrometheus() error {
	if f.promListen != "" {
		if _, err := prom.ListenAddr(f.promListen); err != nil {
			return fmt.Errorf("--prometheus-listen: %v", err)
		}
	}
	if f.promPush != "" {
		if err := prom.CheckGateway(f.promPush); err != nil {
			return fmt.Errorf("--prometheus-push: %v", err)
		}
		if f.promPushEvery <= 0 {
			return fmt.Errorf("--prometheus-push-interval: must be positive")
		}
	}
	if f.promLinger < 0 {
		return fmt.Errorf("--prometheus-linger: must not be negative")
	}
	return nil
}

// live is a run's Prometheus side: the exporter, its listener and its
// pusher. The zero value (no Prometheus flags) does nothing.
type live struct {
	f          *runFlags
	e          *env
	exp        *prom.Exporter
	srv        *prom.Server
	push       *prom.Pusher
	stopPush   context.CancelFunc
	pushedDone chan struct{}
}

func (f *runFlags) startLive(ctx context.Context, e *env, series []metrics.SeriesInfo, testid, segment string) (*live, error) {
	l := &live{f: f, e: e}
	if f.promListen == "" && f.promPush == "" {
		return l, nil
	}
	l.exp = prom.New(series, testid, segment)
	l.exp.Profiling = os.Getenv("COHORT_PPROF") == "1"
	if f.promListen != "" {
		srv, err := prom.Listen(f.promListen, l.exp)
		if err != nil {
			return nil, fmt.Errorf("--prometheus-listen: %v", err)
		}
		l.srv = srv
		if !f.quiet {
			fmt.Fprintf(e.stdout, "metrics at %s (testid %s)\n", srv.URL, testid)
		}
	}
	if f.promPush != "" {
		p, err := prom.NewPusher(f.promPush, l.exp, testid, segment)
		if err != nil {
			return nil, err
		}
		l.push = p
		pctx, cancel := context.WithCancel(ctx)
		l.stopPush, l.pushedDone = cancel, make(chan struct{})
		go func() {
			defer close(l.pushedDone)
			p.PushEvery(pctx, f.promPushEvery, func(err error) {
				fmt.Fprintf(e.stderr, "cohort run: --prometheus-push: %v\n", err)
			})
		}()
	}
	return l, nil
}

func (l *live) tick(snap metrics.Snapshot) {
	if l.exp != nil {
		l.exp.Observe(snap)
	}
}

// finish pushes the final values and keeps /metrics up for the linger
// period (not after an interruption), so the last values are scraped.
func (l *live) finish(ctx context.Context, interrupted bool) {
	if l.push != nil {
		l.stopPush()
		<-l.pushedDone
		pctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := l.push.Push(pctx); err != nil {
			fmt.Fprintf(l.e.stderr, "cohort run: --prometheus-push: %v\n", err)
		}
		cancel()
	}
	if l.srv == nil {
		return
	}
	if !interrupted && l.f.promLinger > 0 {
		if !l.f.quiet {
			fmt.Fprintf(l.e.stdout, "serving the final metrics for %v (Ctrl-C to stop)\n", l.f.promLinger)
		}
		t := time.NewTimer(l.f.promLinger)
		select {
		case <-t.C:
		case <-ctx.Done():
		}
		t.Stop()
	}
	cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	l.srv.Close(cctx)
}
