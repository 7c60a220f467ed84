package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"gitlab.com/mlserve/mlserve/internal/config"
	"gitlab.com/mlserve/mlserve/internal/learners"
	"gitlab.com/mlserve/mlserve/internal/trainproc"
)

// Run is the signature of a binary's whole program (Mat Ryer's run): main
// only supplies the process's arguments, environment and streams.
type Run func(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error

// Main is the main of every mlserve binary. A process a worker started to
// train one model serves that training and exits; otherwise run runs until
// it returns, with a context canceled by SIGINT or SIGTERM, and an error
// other than --help exits 1 after printing it prefixed with name.
func Main(name string, run Run) {
	if trainproc.IsChild() {
		os.Exit(trainproc.ServeChild(learners.NewTrainer()))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil && !errors.Is(err, config.ErrHelp) {
		fmt.Fprintln(os.Stderr, name+":", err)
		os.Exit(1)
	}
}
