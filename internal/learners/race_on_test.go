//go:build race

package learners

// raceEnabled: the race detector is on, and sync.Pool drops a quarter of
// what it is given, so pooled buffers are allocated again.
const raceEnabled = true
