// Package metrics records what a run measures: the hot path of every VU.
//
// Each VU owns a Recorder: recording a sample appends it to a small buffer
// the VU alone touches (no lock, no allocation). Full buffers, and the
// buffer of a VU about to think, are flushed into one of a few shards, each
// an Aggregate behind its own lock. The engine drains the shards
// periodically and hands every sink a Snapshot of the figures with their
// legend; Aggregates are values that merge, so per-interval figures, run
// totals and results of several processes combine the same way. What is
// made of the figures (the result file, merges, thresholds, reporters)
// lives beside this package, in metrics/results.
package metrics

import "time"

// Kind says what a Sample records.
type Kind uint8

// Sample kinds.
const (
	// KindRequest is one HTTP exchange (one hop of a redirect chain).
	KindRequest Kind = iota
	// KindLogin is a whole login flow; Failed flags a failed one.
	KindLogin
	// KindFirstRequest is the time from the start of a login to the first
	// authenticated response after it.
	KindFirstRequest
	// KindIteration is one finished iteration.
	KindIteration
	// KindDropped is an iteration that could not start (open model).
	KindDropped
	// KindSessionLost is a session found gone mid-run.
	KindSessionLost
	// KindRelogin is a login made to replace a lost session.
	KindRelogin
	// KindRefresh is a token refresh; Failed flags a failed one.
	KindRefresh
	// KindRotation is a session id changed by a login.
	KindRotation
	// KindIssued is a session id the server issued (a new cookie value).
	KindIssued
	// KindLogout is a logout flow; Failed flags a failed one.
	KindLogout
	// KindInterrupted is an iteration cut short by the end of the run.
	KindInterrupted
	// KindLag is how late the open-model scheduler started an iteration.
	KindLag
	// KindCheck is one evaluation of a check; Series indexes the check,
	// Failed marks a failed one.
	KindCheck
	// KindMoved is a session answered by another backend instance than
	// its previous request (instance_header); Instance is the new one.
	KindMoved
	// KindMovedLost is a session found lost by the request that moved it.
	KindMovedLost
	// KindCookies is a session's cookies after a response changed them:
	// Duration holds the size in bytes (not a time) of the Cookie header the
	// next request carries, Connect the size of the session cookie's value;
	// sizes have no cap (CookieSizes makes it).
	KindCookies
	// KindDiscarded is a session's state (cookies, session header,
	// variables) thrown away so that a login starts afresh.
	KindDiscarded
	// KindLoginInterrupted is a login flow cut short by the end of the run
	// (a graceful stop that ran out): neither a login nor a failed one.
	KindLoginInterrupted
	// KindJourney is one journey of the mix, from its first step to the
	// end of its last (the pauses between its steps in it); Series indexes
	// the journey, Failed and Reason say why one ended early.
	KindJourney
	// KindCookiesDropped is cookies a session's jar refused or evicted:
	// Series holds the CookieDrop, Duration the count (CookiesDropped
	// makes it).
	KindCookiesDropped
)

// CookieSizes is the sample of a session's cookie sizes in bytes.
func CookieSizes(header, session int) Sample {
	return Sample{Kind: KindCookies, Duration: time.Duration(header), Connect: time.Duration(session)}
}

// CookiesDropped is the sample of n cookies dropped for why.
func CookiesDropped(why CookieDrop, n int) Sample {
	return Sample{Kind: KindCookiesDropped, Series: uint16(why), Duration: time.Duration(n)}
}

// Flags qualify a Sample.
type Flags uint8

// Sample flags.
const (
	// Failed marks a request or flow that did not pass.
	Failed Flags = 1 << iota
	// Reused marks a request sent on a kept-alive connection.
	Reused
	// FirstAfterLogin marks the first mix request after a login.
	FirstAfterLogin
	// HTTP2 marks a request answered over HTTP/2 (a request with a status
	// and without it was answered over HTTP/1.x).
	HTTP2
)

// Reason classifies why a request failed.
type Reason uint8

// Failure reasons, as they appear in results.
const (
	ReasonNone Reason = iota
	ReasonStatus
	ReasonExpectation
	ReasonExtract
	ReasonSessionLost
	ReasonTimeout
	ReasonRefused
	ReasonReset
	ReasonEOF
	ReasonTLS
	ReasonDNS
	ReasonRedirects
	ReasonMalformed
	ReasonLocalLimit
	ReasonOther
	// ReasonOAuth2 is an OAuth 2 exchange that broke the protocol: a
	// state that came back changed, an error or no code in the redirect
	// back, no login form at the provider.
	ReasonOAuth2
	numReasons
)

var reasonNames = [numReasons]string{
	"", "status", "expectation", "extract", "session_lost", "timeout",
	"connection_refused", "connection_reset", "eof", "tls", "dns",
	"too_many_redirects", "malformed_response", "local_limit", "other", "oauth2",
}

// FailureReasons lists every reason a request can fail for.
func FailureReasons() []Reason {
	out := make([]Reason, 0, numReasons-1)
	for r := ReasonNone + 1; r < numReasons; r++ {
		out = append(out, r)
	}
	return out
}

// ReasonByName returns the reason a result file names; an unknown name is
// ReasonOther.
func ReasonByName(name string) Reason {
	for i, n := range reasonNames {
		if n == name && i > 0 {
			return Reason(i)
		}
	}
	return ReasonOther
}

// String names the reason as results and metrics do.
func (r Reason) String() string {
	if r < numReasons {
		return reasonNames[r]
	}
	return "other"
}

// Sample is one measurement. It is a plain value so recording copies it
// into the VU's buffer without allocating.
type Sample struct {
	// Duration is the whole exchange or flow: for a request, from the
	// moment it was due to the end of its body.
	Duration time.Duration
	// Phases of a request, as net/http/httptrace sees them; zero when the
	// phase did not happen (a reused connection has no connect).
	Blocked, Connect, TLS, Sending, TTFB, Receiving time.Duration
	// Series indexes the request (login step, mix entry, ...) it belongs to.
	Series uint16
	Status uint16
	Kind   Kind
	Reason Reason
	Flags  Flags
	// Instance is the backend instance that answered (the profile's
	// instance_header), as Collector.InstanceIndex numbers it; 0: unknown.
	Instance uint8
}
