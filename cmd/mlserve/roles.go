package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"

	"gitlab.com/mlserve/mlserve/internal/app"
	"gitlab.com/mlserve/mlserve/internal/config"
	"gitlab.com/mlserve/mlserve/internal/logx"
)

// setup loads the configuration and builds the logger, logging the
// effective configuration with its secrets masked.
func setup(args []string, getenv func(string) string, stdout io.Writer, role string) (*config.Config, *slog.Logger, error) {
	cfg, err := config.Load(args, getenv, config.Name("mlserve "+role), config.Output(stdout))
	if err != nil {
		return nil, nil, err
	}
	logger, err := logx.New(stdout, cfg.Log.Format, cfg.Log.Level)
	if err != nil {
		return nil, nil, err
	}
	logger = logger.With("role", role)
	logger.Info("starting", "version", versionString(), "config", cfg)
	return cfg, logger, nil
}

// runRole loads the configuration, connects to the stores and runs one
// role with them until ctx is done.
func runRole(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer, role string,
	serve func(context.Context, *config.Config, *app.Backends, *slog.Logger) error) error {
	cfg, logger, err := setup(args, getenv, stdout, role)
	if err != nil {
		return err
	}
	b, err := app.Open(ctx, cfg, app.NewBuild(version, commit), logger)
	if err != nil {
		return err
	}
	defer b.Close(context.WithoutCancel(ctx))
	return serve(ctx, cfg, b, logger)
}

func runAPI(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	return runRole(ctx, args, getenv, stdout, "api", func(ctx context.Context, cfg *config.Config, b *app.Backends, logger *slog.Logger) error {
		ln, err := net.Listen("tcp", cfg.HTTP.Addr)
		if err != nil {
			return fmt.Errorf("listen on %s: %w", cfg.HTTP.Addr, err)
		}
		return app.ServeAPI(ctx, cfg, b, ln, logger, stdout)
	})
}

func runWorker(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	return runRole(ctx, args, getenv, stdout, "worker", func(ctx context.Context, cfg *config.Config, b *app.Backends, logger *slog.Logger) error {
		handlers, release, err := app.Handlers(cfg, b, logger)
		if err != nil {
			return err
		}
		defer release()
		return app.RunWorker(ctx, cfg, b, handlers, logger)
	})
}
