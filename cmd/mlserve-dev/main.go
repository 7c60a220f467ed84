// Command mlserve-dev runs the API and the worker in one process on an
// embedded default: an in-process Redis (miniredis) and an embedded
// MongoDB-wire server (FerretDB, SQLite files under ./data). Nothing to
// install: for a laptop, a demo and the tests. --mongo-uri and --redis-addr
// (or MLSERVE_MONGO_URI, MLSERVE_REDIS_ADDR) point it at real servers instead.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"gitlab.com/mlserve/mlserve/internal/config"
	"gitlab.com/mlserve/mlserve/internal/trainproc"
	"gitlab.com/mlserve/mlserve/model/golearn"
)

func main() {
	if trainproc.IsChild() {
		// This process was started by a worker to train one model.
		os.Exit(trainproc.ServeChild(golearn.NewTrainer()))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr)
	stop()
	switch {
	case errors.Is(err, config.ErrHelp):
	case err != nil:
		fmt.Fprintln(os.Stderr, "mlserve-dev:", err)
		os.Exit(1)
	}
}
