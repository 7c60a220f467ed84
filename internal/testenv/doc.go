// Package testenv gives tests real dependencies: an embedded FerretDB over
// TCP and a Redis. Every helper that starts something takes testing.TB,
// calls tb.Helper and releases what it started with tb.Cleanup.
//
// It also holds the small helpers that tests of many packages share:
// FreePort, SyncBuffer and WaitFor.
package testenv
