//go:build race

package transport

// raceEnabled: the race detector makes values escape that would not, so
// allocation counts are not the program's.
const raceEnabled = true
