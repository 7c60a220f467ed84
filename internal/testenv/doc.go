// Package testenv gives tests real dependencies: an embedded FerretDB over
// TCP and a Redis. Every helper takes testing.TB, calls tb.Helper and
// releases what it started with tb.Cleanup.
package testenv
