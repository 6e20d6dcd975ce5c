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
	if f.promRemote != "" {
		if err := prom.CheckRemoteWrite(f.promRemote); err != nil {
			return fmt.Errorf("--prometheus-remote-write: %v", err)
		}
		if f.promRemoteEvery <= 0 {
			return fmt.Errorf("--prometheus-remote-write-interval: must be positive")
		}
	}
	if f.promLinger < 0 {
		return fmt.Errorf("--prometheus-linger: must not be negative")
	}
	return nil
}

// live is a run's Prometheus side: the exporter, its listener and the
// senders that push its values (Pushgateway, remote write). The zero value
// (no Prometheus flags) does nothing.
type live struct {
	f       *runFlags
	e       *env
	exp     *prom.Exporter
	srv     *prom.Server
	senders []*sender
}

// sender sends the exporter's values somewhere at an interval, and once
// more at the end of the run.
type sender struct {
	flag  string
	send  func(context.Context) error
	every time.Duration
	stop  context.CancelFunc
	done  chan struct{}
}

func (f *runFlags) startLive(ctx context.Context, e *env, series []metrics.SeriesInfo, testid, segment string) (*live, error) {
	l := &live{f: f, e: e}
	if f.promListen == "" && f.promPush == "" && f.promRemote == "" {
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
		l.start(ctx, &sender{flag: "--prometheus-push", send: p.Push, every: f.promPushEvery})
	}
	if f.promRemote != "" {
		w, err := prom.NewRemoteWriter(f.promRemote, l.exp, testid, segment)
		if err != nil {
			return nil, err
		}
		l.start(ctx, &sender{flag: "--prometheus-remote-write", send: w.Write, every: f.promRemoteEvery})
	}
	return l, nil
}

// start sends at s's interval until finish.
func (l *live) start(ctx context.Context, s *sender) {
	sctx, cancel := context.WithCancel(ctx)
	s.stop, s.done = cancel, make(chan struct{})
	l.senders = append(l.senders, s)
	go func() {
		defer close(s.done)
		t := time.NewTicker(s.every)
		defer t.Stop()
		for {
			select {
			case <-sctx.Done():
				return
			case <-t.C:
				if err := s.send(sctx); err != nil && sctx.Err() == nil {
					fmt.Fprintf(l.e.stderr, "cohort run: %s: %v\n", s.flag, err)
				}
			}
		}
	}()
}

func (l *live) tick(snap metrics.Snapshot) {
	if l.exp != nil {
		l.exp.Observe(snap)
	}
}

// finish sends the final values and keeps /metrics up for the linger
// period (not after an interruption), so the last values are scraped.
func (l *live) finish(ctx context.Context, interrupted bool) {
	for _, s := range l.senders {
		s.stop()
		<-s.done
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := s.send(sctx); err != nil {
			fmt.Fprintf(l.e.stderr, "cohort run: %s: %v\n", s.flag, err)
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
