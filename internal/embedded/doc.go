// Package embedded starts in-process stand-ins for mlserve's external stores:
// a MongoDB-wire server (FerretDB on SQLite) and a Redis (miniredis).
//
// They exist for mlserve-dev and for tests. The production mlserve binary must
// not import this package, so that FerretDB and miniredis stay out of it.
package embedded
