// Command ferretdb serves the embedded FerretDB (internal/embedded) on a
// free loopback port, for the e2e tests: they run it as a process of its
// own so that it is built without the race detector, which slows FerretDB
// several times over when it runs inside a -race test binary.
//
//	ferretdb DIR
//
// It keeps its SQLite files under DIR, prints the MongoDB URI on one line
// of stdout once it accepts connections, and runs until its stdin closes
// (the test process holds it open, so the server cannot outlive it) or it
// gets SIGINT or SIGTERM.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"gitlab.com/mlserve/mlserve/internal/embedded"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb:", err)
		os.Exit(1)
	}
}

func run() error {
	if len(os.Args) != 2 {
		return fmt.Errorf("usage: ferretdb DIR")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		stop()
	}()
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	uri, stopServer, err := embedded.StartMongo(ctx, os.Args[1], logger)
	if err != nil {
		return err
	}
	defer stopServer()
	fmt.Println(uri)
	<-ctx.Done()
	return nil
}
