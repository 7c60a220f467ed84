// Package model is mlserve's domain: the types every other package speaks
// (datasets, model versions, jobs), the interfaces the program needs from its
// adapters (stores, job queue), and the error codes that map to HTTP statuses.
//
// It imports nothing of mlserve's own; adapters such as internal/mongo and
// internal/tasks implement its interfaces, and api and worker consume them.
package model
