//go:build race

package engine

// raceEnabled: the race detector's instrumentation deepens every frame and
// doubles the stack guard, so stack sizes are not the program's.
const raceEnabled = true
