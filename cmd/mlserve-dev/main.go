// Command mlserve-dev runs the API and the worker in one process on an
// embedded default: an in-process Redis (miniredis) and an embedded
// MongoDB-wire server (FerretDB, SQLite files under ./data). Nothing to
// install: for a laptop, a demo and the tests. --mongo-uri and --redis-addr
// (or MLSERVE_MONGO_URI, MLSERVE_REDIS_ADDR) point it at real servers instead.
package main

import (
	"gitlab.com/mlserve/mlserve/internal/app"
)

func main() { app.Main("mlserve-dev", run) }
