// Package bench holds cohort's Go benchmarks of whole-program figures (the
// benchmark harness is scripts/bench; results are in bench/RESULTS.md).
package bench
