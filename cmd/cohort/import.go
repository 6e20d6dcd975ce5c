package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/cohort-dev/cohort/harimport"
	"github.com/cohort-dev/cohort/profiles"
	"github.com/cohort-dev/cohort/virtualuser"
)

// importFlags are the flags of cohort import.
type importFlags struct {
	fs                   *pflag.FlagSet
	out, usersOut, base  string
	think, name          string
	keepAssets, validate bool
}

func newImportFlags() *importFlags {
	f := &importFlags{fs: pflag.NewFlagSet("import", pflag.ContinueOnError)}
	f.fs.StringVarP(&f.out, "out", "o", "", "the profile to write (required)")
	f.fs.StringVar(&f.usersOut, "users-out", "", "the users CSV to write, with the recorded user (default: PROFILE's name with .users.csv, beside it)")
	f.fs.StringVar(&f.base, "base-url", "", "the base URL of the profile (default: the application's origin in the recording)")
	f.fs.StringVar(&f.think, "think", "recorded", "think times: recorded (the recording's pauses), none, or a duration after each iteration")
	f.fs.StringVar(&f.name, "name", "", "the profile's name (default: the profile file's name)")
	f.fs.BoolVar(&f.keepAssets, "keep-assets", false, "keep static assets (images, CSS, JS, fonts) and requests to other hosts")
	return f
}

// runImport turns a HAR recording into a profile and a users file.
func runImport(_ context.Context, e *env, args []string) int {
	f := newImportFlags()
	if code, ok := parseFlags(e, f.fs, args); !ok {
		return code
	}
	opts, har, err := f.prepare()
	if err != nil {
		fmt.Fprintf(e.stderr, "cohort import: %v\n", err)
		return exitUsage
	}
	res, err := harimport.Import(har, opts)
	if err != nil {
		fmt.Fprintf(e.stderr, "cohort import: %v\n", err)
		return exitUsage
	}
	if err := validateImport(f.out, res); err != nil {
		// A profile the import wrote that cohort refuses is a bug of the
		// import's, not the user's: say so, and keep nothing.
		fmt.Fprintf(e.stderr, "cohort import: the profile made of %s does not load (please report it): %v\n", f.fs.Arg(0), err)
		return exitFailed
	}
	kept, err := f.write(res)
	if err != nil {
		fmt.Fprintf(e.stderr, "cohort import: %v\n", err)
		return exitFailed
	}
	for _, line := range res.Report {
		fmt.Fprintln(e.stdout, "  "+line)
	}
	switch {
	case res.Username == "" && res.Password == "":
		fmt.Fprintf(e.stdout, "wrote %s; next: cohort check %s\n", f.out, shellQuote(f.out))
		return exitOK
	case kept:
		fmt.Fprintf(e.stdout, "  users: kept %s as it was (it has username and password columns)\n", f.usersOut)
	default:
		fmt.Fprintf(e.stdout, "  users: the recorded user is the first row of %s (its password is written there only); add a row for each user to run\n", f.usersOut)
	}
	fmt.Fprintf(e.stdout, "wrote %s and %s; next: cohort check %s\n", f.out, f.usersOut, shellQuote(f.out))
	return exitOK
}

// prepare checks every input and output before anything is written.
func (f *importFlags) prepare() (harimport.Options, *harimport.HAR, error) {
	var o harimport.Options
	if f.fs.NArg() != 1 {
		return o, nil, usagef("want one RECORDING.har, got %d arguments (cohort import REC.har -o PROFILE.yaml)", f.fs.NArg())
	}
	if f.out == "" {
		return o, nil, usagef("-o PROFILE.yaml: say where to write the profile")
	}
	if f.usersOut == "" {
		f.usersOut = strings.TrimSuffix(f.out, filepath.Ext(f.out)) + ".users.csv"
	}
	for _, out := range [...]struct{ flag, path string }{{"-o", f.out}, {"--users-out", f.usersOut}} { // in order: the first named is the first wrong
		if st, err := os.Stat(filepath.Dir(out.path)); err != nil || !st.IsDir() {
			return o, nil, usagef("%s %s: its directory does not exist", out.flag, out.path)
		}
	}
	if same(f.out, f.usersOut) {
		return o, nil, usagef("--users-out %s: is the profile itself (-o); give the users file another name", f.usersOut)
	}
	if f.think != "recorded" && f.think != "none" {
		d, err := time.ParseDuration(f.think)
		if err != nil || d < 0 {
			return o, nil, usagef("--think %s: want recorded, none, or a duration such as 2s", f.think)
		}
		if d == 0 {
			f.think = "none"
		}
	}
	if f.base != "" {
		u, err := url.Parse(f.base)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return o, nil, usagef("--base-url: want an absolute http or https URL")
		}
		if strings.Trim(u.Path, "/") != "" || u.RawQuery != "" {
			return o, nil, usagef("--base-url: want an origin only (scheme://host:port): the recording's paths are kept as they are")
		}
	}
	file := f.fs.Arg(0)
	data, err := os.ReadFile(file)
	if err != nil {
		return o, nil, usagef("%v", err)
	}
	har, err := harimport.Parse(file, data)
	if err != nil {
		return o, nil, err
	}
	name := f.name
	if name == "" {
		name = strings.TrimSuffix(filepath.Base(f.out), filepath.Ext(f.out))
	}
	users, err := filepath.Rel(filepath.Dir(f.out), f.usersOut)
	if err != nil {
		users = f.usersOut
	}
	return harimport.Options{File: filepath.Base(file), Name: name, BaseURL: f.base,
		Think: f.think, KeepAssets: f.keepAssets, UsersCSV: filepath.ToSlash(users)}, har, nil
}

// same reports whether two paths name one file.
func same(a, b string) bool {
	aa, err1 := filepath.Abs(a)
	bb, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && aa == bb
}

// validateImport loads the profile as cohort run would, before it is
// written.
func validateImport(out string, res *harimport.Result) error {
	p, err := profiles.Parse(out, res.Profile)
	if err != nil {
		return err
	}
	_, err = virtualuser.Compile(p, virtualuser.Options{Columns: []string{"username", "password"}})
	return err
}

// write writes the profile and the users file; a users file that exists
// with the columns a profile needs is kept (it may hold many users).
func (f *importFlags) write(res *harimport.Result) (kept bool, err error) {
	if err := os.WriteFile(f.out, res.Profile, 0o644); err != nil {
		return false, err
	}
	if res.Username == "" && res.Password == "" {
		return false, nil // no login: the profile names no users file
	}
	if hasUserColumns(f.usersOut) {
		return true, nil
	}
	var b strings.Builder
	w := csv.NewWriter(&b)
	w.Write([]string{"username", "password"})
	if res.Username != "" || res.Password != "" {
		w.Write([]string{res.Username, res.Password})
	}
	w.Flush()
	// The file holds a password: only its owner reads it, also when it
	// replaces a file that others could read.
	if err := os.WriteFile(f.usersOut, []byte(b.String()), 0o600); err != nil {
		return false, err
	}
	return false, os.Chmod(f.usersOut, 0o600)
}

// shellQuote quotes a path for a command line to paste.
func shellQuote(p string) string {
	if strings.ContainsAny(p, " '\"$`\\!*?&;|<>()[]{}#~") {
		return "'" + strings.ReplaceAll(p, "'", `'\''`) + "'"
	}
	return p
}

func hasUserColumns(path string) bool {
	fh, err := os.Open(path)
	if err != nil {
		return false
	}
	defer fh.Close()
	head, err := csv.NewReader(fh).Read()
	if err != nil {
		return false
	}
	var u, p bool
	for _, c := range head {
		u = u || c == "username"
		p = p || c == "password"
	}
	return u && p
}
