// Package csvdata inspects an uploaded CSV dataset while it streams: it
// checks the shape (a header, then rows of the same width), infers each
// column's type, counts the rows, each column's empty cells and distinct
// values (up to a cap), and hashes the raw bytes, in one pass and in memory
// bounded by the longest record, never by the file. ReadTable reads a
// dataset's columns back, typed, for training and scoring.
//
// The package knows nothing of HTTP or storage. The upload handler tees the
// body into the store and lets Inspect read the other side of the tee; see
// Inspect.
package csvdata
