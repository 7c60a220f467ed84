package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"

	"gitlab.com/mlserve/mlserve/internal/app"
	"gitlab.com/mlserve/mlserve/internal/config"
	"gitlab.com/mlserve/mlserve/internal/embedded"
	"gitlab.com/mlserve/mlserve/internal/logx"
	"gitlab.com/mlserve/mlserve/worker"
)

// run is the whole program with the production job handlers.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return runWith(ctx, args, getenv, stdout, stderr, nil)
}

// runWith is run with the worker's job handlers given (nil: the production
// ones), so a test can drive the job lifecycle with a handler of its own.
func runWith(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, handlers worker.Handlers) error {
	cfg, err := config.Load(args[1:], getenv, config.ForDev(), config.Name("mlserve-dev"), config.Output(stdout))
	if err != nil {
		return err
	}
	logger, err := logx.New(stderr, cfg.Log.Format, cfg.Log.Level)
	if err != nil {
		return err
	}
	stopStores, err := startEmbedded(ctx, cfg, logger, stdout)
	if err != nil {
		return err
	}
	defer stopStores()
	logger.Info("starting", "config", cfg)

	b, err := app.Open(ctx, cfg, app.NewBuild("dev", ""), logger)
	if err != nil {
		return err
	}
	defer b.Close(context.WithoutCancel(ctx))
	ln, err := net.Listen("tcp", cfg.HTTP.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.HTTP.Addr, err)
	}
	if cfg.Auth.Enabled {
		fmt.Fprintf(stdout, "mlserve-dev: auth ON (%d key(s) from auth.keys)\n", len(cfg.Auth.Keys))
	} else {
		fmt.Fprintln(stdout, "mlserve-dev: auth OFF: every request is admin; --auth-enabled with --auth-keys turns it on")
	}
	fmt.Fprintf(stdout, "mlserve-dev: serving http://%s (api + worker)\n", ln.Addr())

	// Both roles stop when ctx is done or when either of them fails.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, 2)
	wg.Go(func() {
		defer cancel()
		errs[0] = app.ServeAPI(ctx, cfg, b, ln, logger.With("role", "api"), stderr)
	})
	wg.Go(func() {
		defer cancel()
		logger := logger.With("role", "worker")
		if handlers == nil {
			h, release, err := app.Handlers(cfg, b, logger)
			if err != nil {
				errs[1] = err
				return
			}
			defer release()
			handlers = h
		}
		errs[1] = app.RunWorker(ctx, cfg, b, handlers, logger)
	})
	wg.Wait()
	return errors.Join(errs...)
}

// startEmbedded starts the embedded MongoDB-wire server and Redis for the
// stores that cfg leaves empty, points cfg at them and says what it started.
func startEmbedded(ctx context.Context, cfg *config.Config, logger *slog.Logger, stdout io.Writer) (stop func(), err error) {
	var stops []func()
	stop = func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}
	if cfg.Mongo.URI == "" {
		uri, stopMongo, err := embedded.StartMongo(ctx, cfg.Dev.DataDir, logger)
		if err != nil {
			return nil, fmt.Errorf("start embedded mongo: %w", err)
		}
		stops = append(stops, stopMongo)
		cfg.Mongo.URI = uri
		fmt.Fprintf(stdout, "mlserve-dev: mongo: embedded FerretDB (SQLite in %s) at %s\n", cfg.Dev.DataDir, uri)
	} else {
		fmt.Fprintf(stdout, "mlserve-dev: mongo: external %s\n", cfg.Masked()["mongo.uri"])
	}
	if cfg.Redis.Addr == "" {
		addr, stopRedis, err := embedded.StartRedis()
		if err != nil {
			stop()
			return nil, fmt.Errorf("start embedded redis: %w", err)
		}
		stops = append(stops, stopRedis)
		cfg.Redis.Addr = addr
		fmt.Fprintf(stdout, "mlserve-dev: redis: embedded miniredis (in memory) at %s\n", addr)
	} else {
		fmt.Fprintf(stdout, "mlserve-dev: redis: external %s\n", cfg.Redis.Addr)
	}
	return stop, nil
}
