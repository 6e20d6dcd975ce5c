// Package target is cohort's built-in demo application: an HTTP server that
// behaves on the wire like a Spring Boot 3 / Spring Security 6 application
// with sessions, so that cohort's default run, its tests and its benchmarks
// have a realistic target on loopback.
//
// It imitates form login with masked CSRF tokens and session fixation
// protection, Spring's SPA cookie CSRF mode, Spring Session's SESSION
// cookie, a JWT token API, HTTP Basic, a servlet container's FORM
// authentication under /app, a session store with expiry, eviction and
// store latency, and injectable faults. docs/target.md describes the wire
// behaviour in full.
//
// The package imports nothing of cohort's.
package target
