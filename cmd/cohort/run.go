package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/cohort-dev/cohort/bench/target"
	"github.com/cohort-dev/cohort/capacity"
	"github.com/cohort-dev/cohort/clock"
	"github.com/cohort-dev/cohort/engine"
	"github.com/cohort-dev/cohort/findings"
	"github.com/cohort-dev/cohort/metrics"
	"github.com/cohort-dev/cohort/metrics/results"
	"github.com/cohort-dev/cohort/profiles"
	"github.com/cohort-dev/cohort/transport"
	"github.com/cohort-dev/cohort/virtualuser"
)

// runFlags are the flags of "cohort run".
type runFlags struct {
	url, baseURL, stages, users, out, proxy, ca, conn   string
	html, hgrm, junit, hlog, samples, segment, startAt  string
	cpuProfile, memProfile                              string
	vus, iterations, warmSessions                       int
	duration                                            time.Duration
	maxRPS, rate                                        float64
	loginRate                                           string
	tags, thresholdFlags                                []string
	insecure, quiet, noProgress, tlsResume, compareConn bool
	samplesRaw, findings, probeCSRF                     bool
	bare, findCapacity                                  bool
	httpDebug                                           bool
	promListen, promPush, promRemote                    string
	promLinger, promPushEvery, promRemoteEvery          time.Duration
	fs                                                  *pflag.FlagSet
}

func newRunFlags() *runFlags {
	f := &runFlags{fs: pflag.NewFlagSet("run", pflag.ContinueOnError)}
	fs := f.fs
	fs.StringVar(&f.url, "url", "", "quick mode: GET this URL in a loop, no login")
	fs.StringVar(&f.baseURL, "base-url", "", "replace the profile's base_url")
	fs.IntVarP(&f.vus, "vus", "u", 0, "number of VUs (constant-vus)")
	fs.DurationVarP(&f.duration, "duration", "d", 0, "how long to run")
	fs.IntVarP(&f.iterations, "iterations", "i", 0, "total iterations shared by the VUs (without --duration: run until done)")
	fs.StringVar(&f.stages, "stages", "", "ramping stages DURATION:TARGET,... (VUs, or iterations/s with an arrival-rate executor), e.g. 30s:50,1m:50,30s:0")
	fs.Float64Var(&f.rate, "rate", 0, "open model: start this many iterations (requests) per second, whatever the server does")
	fs.StringVar(&f.users, "users", "", "CSV file of users (header username,password,...), replacing the profile's")
	fs.StringVar(&f.out, "out", "", "write the result JSON here (json=FILE, as k6 writes it, is the same)")
	fs.StringVar(&f.html, "html", "", "write the HTML report here (one self-contained file)")
	fs.StringVar(&f.hlog, "hlog", "", "write HdrHistogram interval logs here as the run goes (a tagged histogram per request and interval)")
	fs.StringVar(&f.samples, "samples", "", "write a row per interval and request here as the run goes (.csv, or .jsonl for JSON lines)")
	fs.BoolVar(&f.findings, "findings", true, "report what the wire shows of the application's session security (docs/findings.md); --findings=false turns it off")
	fs.BoolVar(&f.probeCSRF, "probe-csrf", false, "cohort check only: send one unsafe request of the mix without its CSRF token, and report whether the server refused it")
	fs.BoolVar(&f.samplesRaw, "samples-raw", false, "with --samples: a row per request instead, with its time, status, phases and connection")
	fs.StringVar(&f.junit, "junit", "", "write the verdict as JUnit XML here (a test case per threshold, check and the run), for CI")
	fs.StringVar(&f.segment, "segment", "1/1", "run instance i of n of a distributed run (i/n): a disjoint share of the VUs, arrivals, iterations and users")
	fs.StringVar(&f.startAt, "start-at", "", "wait until this time (RFC 3339) to start, so that the instances of a distributed run begin together")
	fs.StringVar(&f.cpuProfile, "cpuprofile", "", "write a Go CPU profile of the run here (for cohort's own performance work)")
	fs.StringVar(&f.memProfile, "memprofile", "", "write a Go heap profile at the end of the run here")
	fs.BoolVar(&f.bare, "bare", false, "no cookie jars, tracing or recording: for measuring their cost (the run has no figures)")
	_ = fs.MarkHidden("bare")
	_ = fs.MarkHidden("cpuprofile")
	_ = fs.MarkHidden("memprofile")
	fs.StringVar(&f.hgrm, "hgrm", "", "write HdrHistogram percentile files (.hgrm), one per series, into this directory")
	fs.Float64Var(&f.maxRPS, "max-rps", 0, "cap requests per second over all VUs (0: no cap)")
	fs.StringVar(&f.loginRate, "login-rate", "", "cap logins per second over all VUs (0: no cap), or auto: start slow and rise while logins stay fast, back off when they slow down or fail")
	fs.IntVar(&f.warmSessions, "warm-sessions", 0, "keep N logged-in sessions alive beside the VUs (profile: sessions.warm)")
	fs.BoolVar(&f.findCapacity, "find-capacity", false, "step the load up (profile: capacity) until a threshold breaks, and report the last passing level")
	fs.StringArrayVar(&f.thresholdFlags, "threshold", nil, `pass/fail criterion, e.g. "http_req_duration{name:login-submit}: p(99)<500" (repeatable); a failure exits 99`)
	fs.StringArrayVar(&f.tags, "tag", nil, "k=v tag recorded in the result (repeatable); testid names the run")
	fs.StringVar(&f.proxy, "proxy", "", "send requests through this proxy (default: HTTP_PROXY/HTTPS_PROXY)")
	fs.StringVar(&f.ca, "ca", "", "PEM file of extra certificate authorities to trust")
	fs.BoolVar(&f.insecure, "insecure", false, "do not verify TLS certificates")
	fs.StringVar(&f.conn, "conn", transport.Shared, "connections: shared (one pool for all VUs), per-user (each VU its own, like separate browsers) or per-request (no keep-alive); quick mode (--url) defaults to per-user")
	fs.StringVar(&f.promListen, "prometheus-listen", "", "serve live metrics on /metrics at this address (a bare port binds 127.0.0.1)")
	fs.DurationVar(&f.promLinger, "prometheus-linger", 15*time.Second, "keep serving /metrics this long after the run, for a last scrape")
	fs.StringVar(&f.promPush, "prometheus-push", "", "push metrics to this Pushgateway URL during the run and at its end")
	fs.DurationVar(&f.promPushEvery, "prometheus-push-interval", 5*time.Second, "how often to push to the Pushgateway")
	fs.StringVar(&f.promRemote, "prometheus-remote-write", "", "send metrics to this Prometheus remote-write URL (such as http://127.0.0.1:9090/api/v1/write) during the run and at its end")
	fs.DurationVar(&f.promRemoteEvery, "prometheus-remote-write-interval", 5*time.Second, "how often to send to the remote-write URL")
	fs.BoolVar(&f.compareConn, "compare-conn", false, "run the profile once per connection mode (shared, per-user, per-request) and print one table; --out X.json writes X.MODE.json")
	fs.BoolVar(&f.tlsResume, "tls-resumption", true, "resume TLS sessions on new connections (false: a full handshake every time)")
	fs.BoolVarP(&f.quiet, "quiet", "q", false, "print nothing but errors")
	fs.BoolVar(&f.httpDebug, "http-debug", false, "log every exchange of the first VU to stderr, secrets masked")
	fs.BoolVar(&f.noProgress, "no-progress", false, "no live progress line")
	return f
}

// usageError is a problem with what the user asked for: exit code 2.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// runInterval is how often a run is drained: the live figures, the
// timeline and the capacity search's steps follow it.
const runInterval = time.Second

// prepared is a run ready to start: everything checked.
type prepared struct {
	profile    *profiles.Profile
	plan       *virtualuser.Plan
	users      *virtualuser.UserPool
	tags       map[string]string
	thresholds []results.Threshold
	segment    engine.Segment
	demo       *target.Target
	demoCA     []byte            // the demo target's certificate, trusted when it serves TLS
	demoNet    transport.Network // what carries requests to the demo target, when not TCP (env.network)
	// scenarios are the profile's scenarios, when it has some: then plan
	// is the last one's (whose tables name every scenario's figures) and
	// users the first one's.
	scenarios []preparedScenario
}

func runRun(ctx context.Context, e *env, args []string) int {
	f := newRunFlags()
	if code, ok := parseFlags(e, f.fs, args); !ok {
		return code
	}
	if f.url != "" && !f.fs.Changed("conn") {
		// Quick mode measures the server, not a pool: each VU keeps its own
		// connection, as hey's and wrk's connections do.
		f.conn = transport.PerUser
	}
	if err := f.checkPrometheus(); err != nil {
		fmt.Fprintf(e.stderr, "cohort run: %v\n", err)
		return exitUsage
	}
	if f.probeCSRF {
		// A run sends the mix thousands of times: a probe that changes
		// the application's state belongs to the one walk of check.
		fmt.Fprintln(e.stderr, "cohort run: --probe-csrf: only cohort check sends the CSRF probe")
		return exitUsage
	}
	if err := f.checkOutputs(); err != nil {
		fmt.Fprintf(e.stderr, "cohort run: %v\n", err)
		return exitUsage
	}
	if f.conn != transport.Shared && f.conn != transport.PerUser && f.conn != transport.PerRequest {
		fmt.Fprintf(e.stderr, "cohort run: --conn: want shared, per-user or per-request, got %q\n", f.conn)
		return exitUsage
	}
	p, err := f.prepareWith(e, nil)
	if p != nil && p.demo != nil {
		defer p.demo.Close(context.Background())
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "cohort run: %v\n", err)
		return exitCode(err)
	}
	return f.execute(ctx, e, p)
}

// checkOutputs makes sure, before anything starts, that every output the
// run was asked for can be written: a typo in a path must not cost a long
// run its result. It accepts k6's --out json=FILE for --out FILE.
func (f *runFlags) checkOutputs() error {
	if kind, path, ok := strings.Cut(f.out, "="); ok && !strings.ContainsAny(kind, `/\.`) {
		if kind != "json" {
			return fmt.Errorf("--out %s: cohort writes its result as JSON (--out FILE or --out json=FILE)", f.out)
		}
		if path == "" {
			return fmt.Errorf("--out json=: give the file after the =")
		}
		f.out = path
	}
	if f.samplesRaw && f.samples == "" {
		return errors.New("--samples-raw: give --samples FILE too (the file the rows go to)")
	}
	if f.samples != "" {
		if _, err := results.SamplesFormat(f.samples); err != nil {
			return fmt.Errorf("--samples %v", err)
		}
	}
	outputs := f.outputs()
	if err := distinctOutputs(outputs); err != nil {
		return err
	}
	for _, o := range outputs {
		if o.path == "" {
			continue
		}
		paths := []string{o.path}
		if f.compareConn { // one output per connection mode
			paths = nil
			for _, mode := range []string{transport.Shared, transport.PerUser, transport.PerRequest} {
				paths = append(paths, suffixed(o.path, o.ext, mode))
			}
		}
		for _, p := range paths {
			if err := results.CheckWritable(p, o.dir); err != nil {
				return fmt.Errorf("%s: %v", o.flag, err)
			}
		}
	}
	return nil
}

// output is one file or directory a run writes.
type output struct {
	flag, what, path, ext string
	dir                   bool
}

// outputs are the run's outputs, in the order they are named; an empty
// path is one not asked for.
func (f *runFlags) outputs() []output {
	return []output{
		{"--out", "result", f.out, ".json", false}, {"--html", "report", f.html, ".html", false},
		{"--hgrm", "hgrm", f.hgrm, "", true}, {"--junit", "junit", f.junit, ".xml", false},
		{"--hlog", "interval log", f.hlog, ".hlog", false}, {"--samples", "samples", f.samples, filepath.Ext(f.samples), false},
	}
}

// destinations says on the plan line where the run's outputs will go
// (suffix: the connection mode's, with --compare-conn), so that a user
// knows before a long run whether it keeps a result.
func (f *runFlags) destinations(suffix string) string {
	var parts []string
	for _, o := range f.outputs() {
		if o.path != "" {
			parts = append(parts, o.what+" to "+suffixed(o.path, o.ext, suffix))
		}
	}
	if len(parts) == 0 {
		return "; no result file (--out FILE keeps one)"
	}
	return "; " + strings.Join(parts, ", ")
}

// distinctOutputs refuses two outputs given one path: the second would
// overwrite the first.
func distinctOutputs(outputs []output) error {
	seen := map[string]string{}
	for _, o := range outputs {
		flag, p := o.flag, o.path
		if p == "" {
			continue
		}
		abs, err := filepath.Abs(p)
		if err != nil {
			abs = p
		}
		if other, dup := seen[abs]; dup {
			return fmt.Errorf("%s and %s: both write %s; give each its own path", other, flag, p)
		}
		seen[abs] = flag
	}
	return nil
}

// suffixed puts suffix before path's extension ext: out.json, shared ->
// out.shared.json.
func suffixed(path, ext, suffix string) string {
	if suffix == "" {
		return path
	}
	return strings.TrimSuffix(path, ext) + "." + suffix + ext
}

// exitCode is 2 for the user's mistakes, 1 for the rest.
func exitCode(err error) int {
	var u usageError
	var pe *profiles.Error
	if errors.As(err, &u) || errors.As(err, &pe) {
		return exitUsage
	}
	return exitFailed
}

// prepareWith resolves the profile, applies the flags (and adjust, if
// given), loads the users, starts the demo target if the profile wants
// it, and compiles the plan.
func (f *runFlags) prepareWith(e *env, adjust func(*profiles.Profile)) (*prepared, error) {
	prof, err := f.profile()
	if err != nil {
		return nil, err
	}
	if len(prof.ScenarioProfiles()) > 0 {
		if err := f.refuseLoadFlags(); err != nil {
			return nil, err
		}
	}
	if err := f.override(prof); err != nil {
		return nil, err
	}
	if adjust != nil {
		adjust(prof)
	}
	if len(prof.ScenarioProfiles()) > 0 {
		return f.prepareScenarios(e, prof)
	}
	if f.findCapacity {
		if f.fs.Changed("segment") || f.compareConn {
			return nil, usagef("--find-capacity: runs in one process, without --segment or --compare-conn")
		}
		if err := capacity.Reshape(prof); err != nil {
			return nil, err
		}
	}
	if err := prof.CheckLoad(); err != nil {
		return nil, err
	}
	seg, tags, ths, err := f.settings(prof)
	if err != nil {
		return nil, err
	}
	prof.Load = seg.Scale(prof.Load)
	if f.findCapacity && len(ths) == 0 {
		return nil, usagef("--find-capacity: give at least one threshold (thresholds in the profile, or --threshold): thresholds judge each step")
	}
	users, err := f.userPool(prof, seg)
	if err != nil {
		return nil, err
	}
	p := &prepared{profile: prof, users: users, tags: tags, thresholds: ths, segment: seg}
	if err := p.startDemoFor(prof, e); err != nil {
		return p, err
	}
	if idp := p.demoIdP(); idp != "" && prof.NeedsIssuer() {
		if err := prof.SetOAuth2Issuer(idp); err != nil {
			return p, err
		}
	}
	p.plan, err = virtualuser.Compile(prof, virtualuser.Options{
		UserAgent: "cohort/" + versionString(), Columns: users.Columns()})
	if err != nil {
		return p, err
	}
	if err := p.plan.CheckUsers(users); err != nil {
		return p, usageError{err}
	}
	return p, checkThresholds(prof, p.plan, ths)
}

func (f *runFlags) profile() (*profiles.Profile, error) {
	args := f.fs.Args()
	if len(args) > 1 {
		return nil, usagef("want one PROFILE, got %d arguments", len(args))
	}
	switch {
	case f.url != "":
		if len(args) > 0 {
			return nil, usagef("--url is quick mode: give it or a PROFILE, not both")
		}
		return profiles.Quick(f.url)
	case len(args) == 0:
		return profiles.Builtin(profiles.DefaultProfile)
	}
	name := args[0]
	if _, err := os.Stat(name); err == nil || strings.ContainsAny(name, "/.") {
		return profiles.ReadFile(name)
	}
	if _, ok := profiles.BuiltinSource(name); ok {
		return profiles.Builtin(name)
	}
	return nil, usagef("%s: no such file, and no built-in profile of that name (built-ins: %s)",
		name, strings.Join(profiles.Builtins(), ", "))
}

// override applies the flags that replace profile fields.
func (f *runFlags) override(p *profiles.Profile) error {
	set := func(name string) bool { return f.fs.Changed(name) }
	if set("base-url") {
		if err := profiles.CheckBaseURL(f.baseURL); err != nil {
			return usagef("--base-url: %v", err)
		}
		p.BaseURL = f.baseURL
	}
	l := &p.Load
	if set("rate") && set("stages") {
		return usagef("--rate and --stages: give one (stages set the rates)")
	}
	if set("stages") {
		st, err := profiles.ParseStages(f.stages)
		if err != nil {
			return usagef("--stages: %v", err)
		}
		l.Stages = st
		if !l.Open() {
			l.Executor = profiles.RampingVUs
		} else {
			l.Executor = profiles.RampingArrivalRate
		}
		p.SetByFlag("load.stages")
	}
	pooled := l.Executor == profiles.SessionPool
	if set("rate") {
		// The VUs the profile had become the open model's pool.
		if !l.Open() && !pooled && l.PreAllocatedVUs == 0 {
			l.PreAllocatedVUs = max(l.VUs, 1)
		}
		if !pooled { // session-pool keeps its logins and takes the request rate
			l.Executor = profiles.ConstantArrivalRate
		}
		l.Rate = f.rate
		p.SetByFlag("load.rate")
	}
	if set("vus") {
		switch {
		case set("stages") && !l.Open():
			return usagef("--vus and --stages: give one (stages set the VU counts)")
		case l.Open() || pooled:
			l.PreAllocatedVUs, l.MaxVUs = f.vus, f.vus
		case l.Executor == profiles.PerVUIterations:
			l.VUs = f.vus // each still does its iterations
		default:
			l.Executor, l.VUs = profiles.ConstantVUs, f.vus
		}
		p.SetByFlag("load.vus")
	}
	if set("duration") {
		if f.duration <= 0 {
			return usagef("--duration: must be positive, got %v", f.duration)
		}
		l.Duration = profiles.Duration(f.duration)
	}
	if set("iterations") {
		l.Iterations = f.iterations
		p.SetByFlag("load.iterations")
		if !set("duration") && (l.Executor == profiles.ConstantVUs || l.Executor == profiles.PerVUIterations) {
			l.Duration = 0
		}
	}
	if set("max-rps") {
		l.MaxRPS = f.maxRPS
		p.SetByFlag("load.max_rps")
	}
	if set("login-rate") {
		l.LoginRate, l.LoginRateAuto = 0, f.loginRate == profiles.AutoRate
		if !l.LoginRateAuto {
			v, err := strconv.ParseFloat(f.loginRate, 64)
			if err != nil {
				return usagef("--login-rate: want logins per second, or auto, got %q", f.loginRate)
			}
			l.LoginRate = v
		}
		p.SetByFlag("load.login_rate")
	}
	if set("warm-sessions") {
		p.Sessions.Warm = f.warmSessions
		p.SetByFlag("sessions.warm")
	}
	return nil
}

func parseTags(list []string) (map[string]string, error) {
	tags := map[string]string{}
	for _, t := range list {
		k, v, ok := strings.Cut(t, "=")
		if !ok || k == "" {
			return nil, usagef("--tag %q: want key=value", t)
		}
		tags[k] = v
	}
	if tags["testid"] == "" {
		var b [4]byte
		rand.Read(b[:])
		tags["testid"] = time.Now().UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b[:])
	}
	return tags, nil
}

// userPool builds the users and checks there are enough for the VUs.
func (f *runFlags) userPool(p *profiles.Profile, seg engine.Segment) (*virtualuser.UserPool, error) {
	share := p.Users.Share
	var pool *virtualuser.UserPool
	switch csvPath := p.CSVPath(); {
	case f.users != "":
		csvPath = f.users
		fallthrough
	case csvPath != "":
		var err error
		if pool, err = virtualuser.LoadUsersCSV(csvPath, share); err != nil {
			return nil, usageError{err}
		}
	case p.Users.Generate != nil:
		pool = virtualuser.NewGeneratedPool(*p.Users.Generate, share)
	default:
		pool, share = virtualuser.NewAnonymousPool(), true // one anonymous user, shared by every VU
	}
	if seg.N > 1 {
		pool = pool.Segment(seg.I, seg.N)
	}
	if n, need := pool.Size(), p.Load.PeakVUs(); !share && n >= 0 && n < need {
		return nil, usagef("%d VUs need %d distinct users, the users have %d (add users, or set users.share: true)", need, need, n)
	}
	return pool, nil
}

// settings are what a run takes from its flags beside the profile: its
// segment, its tags and its thresholds (the profile's and --threshold's).
func (f *runFlags) settings(prof *profiles.Profile) (engine.Segment, map[string]string, []results.Threshold, error) {
	seg, err := f.parseSegment()
	if err != nil {
		return seg, nil, nil, err
	}
	tags, err := parseTags(f.tags)
	if err != nil {
		return seg, nil, nil, err
	}
	ths, err := f.thresholds(prof)
	return seg, tags, ths, err
}

// startDemoFor starts the built-in target when the profile wants it (no
// base_url, a demo_target), and points the profile at it.
func (p *prepared) startDemoFor(prof *profiles.Profile, e *env) error {
	if prof.BaseURL != "" || prof.DemoTarget == nil {
		return nil
	}
	var err error
	if p.demo, prof.BaseURL, p.demoNet, err = startDemo(prof, e); err != nil {
		return err
	}
	p.demoCA = p.demo.CertificatePEM()
	return nil
}

// demoIdP is the demo target's identity provider's URL ("" without one).
func (p *prepared) demoIdP() string {
	if p.demo == nil {
		return ""
	}
	return p.demo.IdPURL()
}

// startDemo starts the built-in target in-process with the profile's
// demo_target flags, on a free loopback port; or, when e has a network of
// its own, serves it over that network on e's clock.
func startDemo(p *profiles.Profile, e *env) (*target.Target, string, transport.Network, error) {
	fs, tf := newTargetFlags("demo_target")
	fs.SetOutput(io.Discard)
	if err := fs.Parse(p.DemoTarget); err != nil {
		return nil, "", nil, p.Errorf("demo_target", "%v", err)
	}
	if e.network != nil {
		c := clock.Or(e.clock)
		tf.cfg.Now = c.Now
		tf.cfg.Sleep = func(ctx context.Context, d time.Duration) { clock.Sleep(ctx, c, d) }
	}
	t, err := tf.build()
	if err != nil {
		return nil, "", nil, p.Errorf("demo_target", "%v", err)
	}
	if e.network != nil {
		t.Addressed(simulatedBase, simulatedIdP)
		return t, simulatedBase, e.network(t), nil
	}
	url, err := t.Start("127.0.0.1:0")
	if err != nil {
		return nil, "", nil, err
	}
	return t, url, nil, nil
}

// simulatedBase is the demo target's address over a network of env's: no
// packet leaves the process.
const simulatedBase = "http://127.0.0.1:8080"

// simulatedIdP is the demo identity provider's, another host.
const simulatedIdP = "http://127.0.0.2:8080"

// execute runs the prepared plan and reports it.
func (f *runFlags) execute(ctx context.Context, e *env, p *prepared) int {
	if f.compareConn {
		return f.executeEachConn(ctx, e, p)
	}
	if !f.quiet {
		fmt.Fprintf(e.stdout, "cohort %s: profile %s against %s, %s%s\n", versionString(), p.profile.Name,
			p.plan.Base, p.describe(), f.destinations(""))
		if f.findCapacity {
			fmt.Fprintln(e.stdout, capacity.Describe(p.profile.Capacity))
		}
	}
	tuneGC(p.peakVUs() + p.profile.Sessions.Warm)
	limitMemory()
	stop, err := f.startProfiles()
	if err != nil {
		fmt.Fprintf(e.stderr, "cohort run: %v\n", err)
		return exitFailed
	}
	_, code := f.runOnce(ctx, e, p, f.conn, "")
	if err := stop(); err != nil {
		fmt.Fprintf(e.stderr, "cohort run: %v\n", err)
	}
	return code
}

// startProfiles starts the CPU profile asked for; the returned func stops
// it and writes the heap profile.
func (f *runFlags) startProfiles() (func() error, error) {
	var cpu *os.File
	if f.cpuProfile != "" {
		var err error
		if cpu, err = os.Create(f.cpuProfile); err != nil {
			return nil, fmt.Errorf("--cpuprofile: %v", err)
		}
		if err := pprof.StartCPUProfile(cpu); err != nil {
			return nil, fmt.Errorf("--cpuprofile: %v", err)
		}
	}
	return func() error {
		if cpu != nil {
			pprof.StopCPUProfile()
			cpu.Close()
		}
		if f.memProfile == "" {
			return nil
		}
		m, err := os.Create(f.memProfile)
		if err != nil {
			return fmt.Errorf("--memprofile: %v", err)
		}
		defer m.Close()
		return pprof.Lookup("allocs").WriteTo(m, 0)
	}, nil
}

// report prints the summary and writes every requested output; suffix
// goes before the extension of each output's name.
func (f *runFlags) report(e *env, res *results.Result, suffix string, summary bool) error {
	if summary && !f.quiet {
		results.WriteSummary(e.stdout, res)
	}
	named := func(path, ext string) string { return suffixed(path, ext, suffix) }
	if f.out != "" {
		if err := res.WriteFile(named(f.out, ".json")); err != nil {
			return fmt.Errorf("--out: %v", err)
		}
	}
	if f.html != "" {
		if err := writeHTML(named(f.html, ".html"), res); err != nil {
			return fmt.Errorf("--html: %v", err)
		}
	}
	if f.hgrm != "" {
		if _, err := res.WriteHgrmDir(named(f.hgrm, "")); err != nil {
			return fmt.Errorf("--hgrm: %v", err)
		}
	}
	if f.junit != "" {
		if err := writeJUnit(named(f.junit, ".xml"), res); err != nil {
			return fmt.Errorf("--junit: %v", err)
		}
	}
	return nil
}

// runOnce runs the plan with one connection mode, reports it (outputs
// named with suffix), and keeps the metrics endpoint up for its linger; a
// nil result comes with the exit code of what went wrong.
func (f *runFlags) runOnce(ctx context.Context, e *env, p *prepared, mode, suffix string) (*results.Result, int) {
	var search *capacity.Search
	if f.findCapacity {
		search = capacity.New(capacity.PlanOf(p.profile, p.thresholds, runInterval))
	}
	pool, err := f.pool(p, mode)
	if err != nil {
		fmt.Fprintf(e.stderr, "cohort run: %v\n", err)
		return nil, exitUsage
	}
	defer pool.Close()
	tags := p.tags
	if f.compareConn {
		tags = maps.Clone(p.tags)
		tags["conn"] = mode
	}
	live, err := f.startLive(ctx, e, p.plan.Series, tags["testid"], p.segment.String())
	if err != nil {
		fmt.Fprintf(e.stderr, "cohort run: %v\n", err)
		return nil, exitFailed
	}
	if err := f.waitForStart(ctx, e); err != nil {
		// Interrupted before the start: nothing was measured, and the
		// outputs asked for say so, as an interrupted run's do.
		res := results.NewResult(results.Meta{Profile: p.profile.Name, Segment: p.segment.String(), StartedAt: clock.Or(e.clock).Now(),
			Tags: tags, Interrupted: true}, p.plan.Series, metrics.NewAggregate(len(p.plan.Series)))
		if err := f.report(e, res, suffix, !f.compareConn); err != nil {
			fmt.Fprintf(e.stderr, "cohort run: %v\n", err)
		}
		live.finish(ctx, true)
		return res, exitInterrupted
	}
	streams, closeStreams, err := f.openStreams(e, p, suffix)
	if err != nil {
		live.finish(ctx, true)
		fmt.Fprintf(e.stderr, "cohort run: %v\n", err)
		return nil, exitFailed
	}
	r := f.newRun(ctx, e, p, pool, search, live, streams)
	defer r.stop()
	out, err := engine.Run(r.ctx, r.cfg)
	r.prog.done()
	streamsErr := closeStreams()
	if err != nil {
		live.finish(ctx, true)
		fmt.Fprintf(e.stderr, "cohort run: %v\n", err)
		return nil, exitFailed
	}
	res, code := r.verdict(p, out, tags)
	if err := errors.Join(f.report(e, res, suffix, !f.compareConn), streamsErr); err != nil {
		fmt.Fprintf(e.stderr, "cohort run: %v\n", err)
		code = exitFailed
	}
	if why := res.NotCarriedOut; code == exitFailed && why != "" {
		fmt.Fprintf(e.stderr, "cohort run: %s\n", why)
	}
	live.finish(ctx, out.Interrupted)
	return res, code
}

// streamStart begins a streamed output on its file: the sink of the
// run's snapshots, and what writes out what it buffered.
type streamStart func(io.Writer) (sink func(metrics.Snapshot), flush func() error, err error)

// openStreams starts the outputs written as the run goes (--hlog,
// --samples; named with suffix) and returns their sink of snapshots and
// what ends them.
func (f *runFlags) openStreams(e *env, p *prepared, suffix string) (func(metrics.Snapshot), func() error, error) {
	streams := []struct {
		flag, path, ext string
		start           streamStart
	}{
		{"--hlog", f.hlog, ".hlog", func(w io.Writer) (func(metrics.Snapshot), func() error, error) {
			h, err := results.NewHlogWriter(w, p.plan.Series, clock.Or(e.clock).Now())
			if err != nil {
				return nil, nil, err
			}
			return h.Add, h.Flush, nil
		}},
		{"--samples", f.samples, filepath.Ext(f.samples), func(w io.Writer) (func(metrics.Snapshot), func() error, error) {
			format, _ := results.SamplesFormat(f.samples) // checked with the flags
			newWriter := results.NewSamplesWriter
			if f.samplesRaw {
				newWriter = results.NewRawSamplesWriter
			}
			s, err := newWriter(w, format, p.plan.Series)
			if err != nil {
				return nil, nil, err
			}
			return s.Add, s.Flush, nil
		}},
	}
	var sinks []func(metrics.Snapshot)
	var closers []func() error
	closeAll := func() error {
		var errs []error
		for _, c := range closers {
			errs = append(errs, c())
		}
		return errors.Join(errs...)
	}
	for _, st := range streams {
		if st.path == "" {
			continue
		}
		sink, end, err := openStream(st.flag, suffixed(st.path, st.ext, suffix), st.start)
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		sinks, closers = append(sinks, sink), append(closers, end)
	}
	return func(snap metrics.Snapshot) {
		for _, sink := range sinks {
			sink(snap)
		}
	}, closeAll, nil
}

// openStream creates the file of one streamed output and starts it; its
// end flushes and closes the file, errors named by flag.
func openStream(flag, path string, start streamStart) (func(metrics.Snapshot), func() error, error) {
	file, err := os.Create(path)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %v", flag, err)
	}
	sink, flush, err := start(file)
	if err != nil {
		file.Close()
		return nil, nil, fmt.Errorf("%s: %v", flag, err)
	}
	return sink, func() error {
		if err := errors.Join(flush(), file.Close()); err != nil {
			return fmt.Errorf("%s: %v", flag, err)
		}
		return nil
	}, nil
}

// pool makes the connections of a run in connection mode mode.
func (f *runFlags) pool(p *prepared, mode string) (*transport.Pool, error) {
	peak := p.peakVUs()
	if f.findCapacity && p.profile.Capacity.Vary == profiles.VaryVUs {
		peak = int(p.profile.Capacity.Max)
	}
	return transport.NewPool(transport.Config{Mode: mode, VUs: peak + p.warmWorkers(), Insecure: f.insecure,
		CAFile: f.ca, CAPEM: p.demoCA, Proxy: f.proxy, NoTLSResumption: !f.tlsResume, Network: p.demoNet,
		Version: p.profile.HTTP.Version})
}

// liveRun is one run under way: the engine's configuration and the sinks
// of its snapshots.
type liveRun struct {
	ctx      context.Context
	stop     func()
	cfg      engine.Config
	prog     *progress
	timeline *results.TimelineRecorder
	search   *capacity.Search
	aborted  string // why an abort_on_fail threshold stopped the run
	server   func() *results.ServerSessions
}

// newRun configures a run whose every snapshot reaches the timeline, the
// progress line, the live metrics and the abort watch (and the capacity
// search, which also steers it).
func (f *runFlags) newRun(ctx context.Context, e *env, p *prepared, pool *transport.Pool, search *capacity.Search, live *live,
	more ...func(metrics.Snapshot)) *liveRun {
	load := p.profile.Load
	r := &liveRun{prog: newProgress(e, f.quiet || f.noProgress, p.length()),
		timeline: results.NewTimelineRecorder(p.plan.Series, p.length()), search: search}
	r.ctx, r.stop = context.WithCancel(ctx)
	watch := abortWatch(p.thresholds, func(t results.Threshold, v float64) {
		r.aborted = fmt.Sprintf("threshold %q failed with %g (abort_on_fail)", t.Source, v)
		r.stop()
	})
	var debug func(*virtualuser.VU, virtualuser.Exchange)
	var debugStep func(*virtualuser.VU, virtualuser.StepResult)
	if f.httpDebug {
		printer := &debugPrinter{w: e.stderr}
		debug, debugStep = printer.exchange, printer.step
	}
	r.cfg = engine.Config{Plan: p.plan, Users: p.users, Load: load, Pool: pool, Debug: debug, DebugStep: debugStep, Segment: p.segment, Bare: f.bare,
		Warm: p.warm(), Collector: metrics.NewCollector(p.plan.Series, runtime.GOMAXPROCS(0)), Interval: runInterval, Clock: e.clock,
		KeepRaw: f.samplesRaw}
	if f.findings {
		r.cfg.Findings = findings.NewObserver()
	}
	if search != nil {
		r.cfg.Steer, r.cfg.Vary = capacity.Steer(search), p.profile.Capacity.Vary
	}
	if len(p.scenarios) > 0 {
		r.cfg.Scenarios, r.cfg.Plan, r.cfg.Users, r.cfg.Collector = p.engineScenarios(), nil, nil, nil
	}
	sinks := append([]func(metrics.Snapshot){r.timeline.Add, r.prog.tick, live.tick, watch}, more...)
	r.cfg.Tick = func(snap metrics.Snapshot) {
		for _, sink := range sinks {
			sink(snap)
		}
	}
	if p.demo != nil {
		r.server = func() *results.ServerSessions {
			st := p.demo.Stats()
			return &results.ServerSessions{Live: st.LiveSessions, Created: st.Created, Expired: st.Expired,
				Evicted: st.Evicted, Invalidated: st.Invalidated, Rejected: st.Rejected}
		}
	}
	return r
}

// journeyNames names the plan's journeys, by index.
func journeyNames(plan *virtualuser.Plan) []string {
	names := make([]string, len(plan.Journeys))
	for i, j := range plan.Journeys {
		names[i] = j.Name
	}
	return names
}

// autoRate is what login_rate: auto found, for the result; nil without it.
func autoRate(a *engine.AutoRate) *results.AutoLoginRate {
	if a == nil {
		return nil
	}
	return &results.AutoLoginRate{Final: a.Final, Peak: a.Peak, Cuts: a.Cuts}
}

// verdict builds the result of a finished run and its exit code.
func (r *liveRun) verdict(p *prepared, out *engine.Outcome, tags map[string]string) (*results.Result, int) {
	res := results.NewResult(results.Meta{Profile: p.profile.Name, Segment: p.segment.String(), StartedAt: out.Started,
		Duration: out.Duration, Tags: tags, VUsMax: out.MaxVUs, Interrupted: out.Interrupted && r.aborted == "",
		Checks: out.Legend.Checks, Instances: out.Legend.InstanceNames(), NeverLoggedIn: out.NeverLoggedIn,
		LoginRate: autoRate(out.LoginRate), Journeys: out.Legend.Journeys, CheckScenarios: out.Legend.CheckScenarios, JourneyScenarios: out.Legend.JourneyScenarios},
		out.Legend.Series, out.Total)
	p.setScenarios(res, out)
	if warm := r.cfg.Warm; warm.Sessions > 0 {
		wanted := warm.Sessions
		if r.search != nil && p.profile.Capacity.Vary == profiles.VaryWarm {
			wanted = int(r.search.Level())
		}
		res.SetWarm(wanted, out.WarmHeld, out.Warm, out.Legend.WarmTouch)
	}
	if r.server != nil {
		res.Server = r.server()
	}
	res.SessionFindings = r.cfg.Findings.Findings()
	tl := r.timeline.Finish(out.Duration, 0, 0)
	res.Timeline = &tl
	var passed bool
	res.Thresholds, passed = judge(p.thresholds, metrics.Snapshot{Elapsed: out.Duration, Total: out.Total,
		WarmTotal: out.Warm, Legend: out.Legend, Scenarios: scenarioSnapshots(out)})
	if r.search != nil {
		res.Capacity = r.search.Finish()
		// The search's verdict is whether some level passed; the whole
		// run's thresholds fail by design once a step breaks them.
		passed = res.Capacity.LastPassing > 0
	}
	res.Aborted = r.aborted
	res.NotCarriedOut = notCarriedOut(res, p.plan.Base.Host, len(p.plan.Login) > 0)
	switch {
	case r.aborted != "":
		return res, exitThreshold
	case out.Interrupted:
		return res, exitInterrupted
	case res.NotCarriedOut != "":
		return res, exitFailed
	case !passed:
		return res, exitThreshold
	}
	return res, exitOK
}

// warm is the run's warm population, this segment's share of it.
func (p *prepared) warm() engine.Warm {
	s := p.profile.Sessions
	n := p.segment.Share(s.Warm)
	if n == 0 {
		return engine.Warm{}
	}
	return engine.Warm{Sessions: n, TouchEvery: s.TouchEvery.D(), Touch: p.plan.MixStep(s.Touch),
		Workers: p.warmWorkers(), Collector: metrics.NewCollector(p.plan.Series, 1)}
}

// warmWorkers is how many workers drive this segment's warm population.
func (p *prepared) warmWorkers() int {
	return min(p.profile.Sessions.Workers, p.segment.Share(p.profile.Sessions.Warm))
}

// executeEachConn runs the profile once per connection mode, one after
// another against the same target, and prints them side by side.
func (f *runFlags) executeEachConn(ctx context.Context, e *env, p *prepared) int {
	modes := []string{transport.Shared, transport.PerUser, transport.PerRequest}
	var runs []*results.Result
	for _, mode := range modes {
		if !f.quiet {
			fmt.Fprintf(e.stdout, "cohort %s: profile %s against %s, %s, --conn %s%s\n", versionString(), p.profile.Name,
				p.plan.Base, describeLoad(p.profile.Load, engine.ShapeOf(p.profile.Load)), mode, f.destinations(mode))
		}
		res, code := f.runOnce(ctx, e, p, mode, mode)
		if res == nil {
			return code
		}
		runs = append(runs, res)
		if code != exitOK {
			return code
		}
	}
	if !f.quiet {
		fmt.Fprintln(e.stdout)
		if err := results.WriteConnComparison(e.stdout, modes, runs); err != nil {
			fmt.Fprintf(e.stderr, "cohort run: %v\n", err)
			return exitFailed
		}
	}
	return exitOK
}

func describeLoad(l profiles.Load, s engine.Shape) string {
	var b strings.Builder
	switch {
	case l.Executor == profiles.ConstantArrivalRate:
		fmt.Fprintf(&b, "%g iterations per %v for %v (open model, %d..%d VUs)", l.Rate, l.TimeUnit.D(), l.Duration.D(), l.PreAllocatedVUs, l.MaxVUs)
	case l.Executor == profiles.RampingArrivalRate:
		fmt.Fprintf(&b, "arrival rate ramping over %v (open model, %d..%d VUs)", s.Duration(), l.PreAllocatedVUs, l.MaxVUs)
	case l.Executor == profiles.RampingVUs:
		fmt.Fprintf(&b, "ramping up to %d VUs over %v", s.Max(), s.Duration())
	case l.Executor == profiles.SessionPool:
		logins := fmt.Sprintf("%g logins/s", l.LoginRate)
		if l.LoginRateAuto {
			logins = "logins at a rate found as they go (auto)"
		}
		fmt.Fprintf(&b, "session pool: %s and %g requests per %v for %v (%d..%d workers)",
			logins, l.Rate, l.TimeUnit.D(), l.Duration.D(), l.PreAllocatedVUs, l.MaxVUs)
	default:
		fmt.Fprintf(&b, "%d VUs", l.VUs)
		if l.Duration > 0 {
			fmt.Fprintf(&b, " for %v", l.Duration.D())
		}
	}
	if l.Iterations > 0 {
		fmt.Fprintf(&b, ", %d iterations", l.Iterations)
		if l.Executor == profiles.PerVUIterations {
			b.WriteString(" each")
		}
	}
	return b.String()
}

func (f *runFlags) parseSegment() (engine.Segment, error) {
	seg, err := engine.ParseSegment(f.segment)
	if err != nil {
		return seg, usagef("--segment: %v", err)
	}
	if f.startAt != "" {
		if _, err := time.Parse(time.RFC3339, f.startAt); err != nil {
			return seg, usagef("--start-at: %q is not an RFC 3339 time (e.g. 2026-11-26T15:00:00Z)", f.startAt)
		}
	}
	return seg, nil
}

// waitForStart waits for --start-at, if it is in the future.
func (f *runFlags) waitForStart(ctx context.Context, e *env) error {
	if f.startAt == "" {
		return nil
	}
	at, _ := time.Parse(time.RFC3339, f.startAt)
	c := clock.Or(e.clock)
	wait := at.Sub(c.Now())
	if wait <= 0 {
		return nil
	}
	if !f.quiet {
		fmt.Fprintf(e.stdout, "waiting %v to start at %s\n", wait.Round(time.Second), f.startAt)
	}
	if !clock.Sleep(ctx, c, wait) {
		return ctx.Err()
	}
	return nil
}

// manyVUs is the count of VUs and warm sessions from which cohort trades
// GC work for memory.
const manyVUs = 10_000

// tuneGC lowers the GC target for runs of many VUs or warm sessions,
// unless GOGC is set:
// their memory is mostly idle sessions, and Go's default lets the heap grow
// to twice what is live, which would double the memory per VU for little
// gain in CPU.
func tuneGC(vus int) {
	if vus >= manyVUs && os.Getenv("GOGC") == "" {
		debug.SetGCPercent(25)
	}
}
