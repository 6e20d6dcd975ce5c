package engine

import (
	"context"
	"time"

	"github.com/cohort-dev/cohort/metrics"
	"github.com/cohort-dev/cohort/virtualuser"
)

// The session-pool executor shapes logins and requests apart: new users
// arrive at login_rate and log in (a login storm is a login rate), each
// session that logs in joins a pool, and mix requests arrive at rate, each
// sent by the next idle session of the pool (steady traffic is a request
// rate). Both are open models: what is due is sent when due, whatever the
// server does, measured from when it was due; an arrival that finds no
// worker free, or a request that finds no idle session, is dropped.

// poolSession is a session of the pool between its requests.
type poolSession struct {
	sess    *virtualuser.Session
	born    time.Time
	counted bool // counted in the run's logged-in sessions
}

// poolJob is one arrival handed to a worker: a login when sess is new, a
// mix request otherwise.
type poolJob struct {
	ps    *poolSession
	due   time.Time
	login bool
}

// sessionPool is the state of a session-pool run.
type sessionPool struct {
	r    *run
	jobs chan poolJob
	life time.Duration

	idle fifo[*poolSession] // the session idle the longest goes next

	workers int // started so far (dispatcher only)
}

// driveSessionPool runs the two arrival schedules until the duration is
// over or ctx ends; it reports an interruption.
func (r *run) driveSessionPool(ctx context.Context, out *Outcome, abandon func()) bool {
	l := r.cfg.Load
	sp := &sessionPool{r: r, jobs: make(chan poolJob), life: l.SessionLife.D()}
	for range l.PreAllocatedVUs {
		sp.startWorker(nil)
	}
	r.maxVUs = sp.workers
	interrupted := sp.dispatch(ctx, out)
	close(sp.jobs)
	r.awaitVUs(abandon)
	r.finalDrain(out)
	return interrupted || ctx.Err() != nil
}

// poolArrivals is one evenly spaced arrival stream of a session pool; its
// spacing may change (a capacity search steps the login rate).
type poolArrivals struct {
	every time.Duration // 0: no arrivals
	at    time.Duration // when the next arrival is due
	n     int64         // arrivals so far
}

func (a *poolArrivals) next() time.Duration { return a.at }

func (a *poolArrivals) advance() {
	a.n++
	a.at += a.every
}

func everyOf(perSecond float64) time.Duration {
	if perSecond <= 0 {
		return 0
	}
	return time.Duration(float64(time.Second) / perSecond)
}

// dispatch hands each due login and request to a free worker, in time
// order, until the run's duration is over.
func (sp *sessionPool) dispatch(ctx context.Context, out *Outcome) bool {
	r := sp.r
	l := r.cfg.Load
	rec := r.cfg.Collector.NewRecorder()
	defer rec.Flush()
	logins := poolArrivals{every: everyOf(l.LoginRate)}
	reqs := poolArrivals{every: everyOf(l.Rate / l.TimeUnit.D().Seconds())}
	end := l.Duration.D()
	timer := r.clock.NewTimer(time.Hour)
	defer timer.Stop()
	drainEvery := r.clock.NewTicker(r.cfg.Interval)
	defer drainEvery.Stop()
	for {
		if r.steerDone {
			return false
		}
		if r.steerLogin > 0 {
			logins.every = everyOf(r.steerLogin)
		}
		if r.auto != nil {
			r.auto.judgeNow()
			rate, _, _ := r.auto.stats()
			logins.every = everyOf(rate)
		}
		stream, login := &logins, true
		if reqs.every > 0 && (logins.every == 0 || reqs.next() < logins.next()) {
			stream, login = &reqs, false
		}
		offset := stream.next()
		last := stream.every == 0 || offset >= end
		if last {
			offset = end // no arrival is left: wait for the end
		} else {
			k := stream.n
			stream.advance()
			if !r.cfg.Segment.Owns(k) {
				continue // another instance's arrival
			}
		}
		due := out.Started.Add(offset)
		if !r.sleepDraining(ctx, due, timer, drainEvery, rec, out) {
			return true
		}
		if last {
			return false
		}
		rec.Add(metrics.Sample{Kind: metrics.KindLag, Duration: r.clock.Now().Sub(due)})
		if !sp.hand(login, due) {
			rec.Add(metrics.Sample{Kind: metrics.KindDropped})
		}
	}
}

// hand gives an arrival to a free worker, starting one if there is room;
// false if it must be dropped.
func (sp *sessionPool) hand(login bool, due time.Time) bool {
	j := poolJob{due: due, login: login}
	if login {
		user, err := sp.r.cfg.Users.Acquire()
		if err != nil {
			return false // every user is in a session
		}
		j.ps = &poolSession{sess: virtualuser.NewSession(sp.r.cfg.Plan, user, sp.r.clock)}
	} else if ps, ok := sp.idle.pop(); ok {
		j.ps = ps
	} else {
		return false // no session idle
	}
	select {
	case sp.jobs <- j:
		return true
	default:
	}
	if sp.workers < sp.r.cfg.Load.MaxVUs {
		sp.startWorker(&j)
		sp.r.maxVUs = max(sp.r.maxVUs, sp.workers)
		return true
	}
	sp.giveBack(j)
	return false
}

// giveBack returns what an undelivered job held.
func (sp *sessionPool) giveBack(j poolJob) {
	if j.login {
		sp.r.cfg.Users.Release(j.ps.sess.User)
	} else {
		sp.idle.push(j.ps)
	}
}

func (sp *sessionPool) startWorker(first *poolJob) {
	sp.workers++
	sp.r.nextID++
	sp.r.active.Add(1)
	sp.r.wg.Add(1)
	go sp.work(sp.r.nextID, first)
}

// work runs the jobs handed to one worker: a VU shell bound to each job's
// session in turn.
func (sp *sessionPool) work(id int, first *poolJob) {
	r := sp.r
	defer r.wg.Done()
	defer r.active.Add(-1)
	rt := r.cfg.Pool.ForVU()
	defer r.cfg.Pool.Release(rt)
	v := r.newVU(id, rt, nil)
	defer v.Close()
	if first != nil {
		sp.run(v, *first)
	}
	for j := range sp.jobs {
		if r.hard.Err() != nil {
			sp.giveBack(j)
			continue
		}
		sp.run(v, j)
	}
}

// run carries out one job and puts its session back in the pool, unless
// the session is over: its login failed, it was lost for good, or its
// life is up (its user leaves).
func (sp *sessionPool) run(v *virtualuser.VU, j poolJob) {
	r := sp.r
	v.Bind(j.ps.sess)
	if j.login {
		j.ps.born = j.due
		v.Login(r.hard)
	} else {
		v.Iterate(r.hard, j.due)
	}
	v.Close() // flush: a worker holds nothing back between jobs
	ps := j.ps
	in := ps.sess.LoggedIn && r.hard.Err() == nil
	over := !in || (sp.life > 0 && r.clock.Now().Sub(ps.born) >= sp.life)
	switch {
	case in && !over && !ps.counted:
		r.loggedIn.Add(1)
		ps.counted = true
	case over && ps.counted:
		r.loggedIn.Add(-1)
		ps.counted = false
	}
	if over {
		r.cfg.Users.Release(ps.sess.User)
		return
	}
	sp.idle.push(ps)
}
