package app

import (
	"context"
	"log/slog"
	"net"

	"gitlab.com/mlserve/mlserve/api"
	"gitlab.com/mlserve/mlserve/internal/config"
	"gitlab.com/mlserve/mlserve/internal/tasks"
)

// ServeAPI serves the HTTP API on ln until ctx is done, then shuts down
// gracefully, letting in-flight requests finish within the configured time.
func ServeAPI(ctx context.Context, cfg *config.Config, b *Backends, ln net.Listener, logger *slog.Logger) error {
	queue := tasks.NewQueue(b.Redis, tasks.OptionsFrom(cfg.Jobs))
	defer queue.Close()
	h := api.NewServer(api.Deps{
		Logger:   logger,
		Jobs:     b.Store,
		Datasets: b.Store,
		Versions: b.Store,
		Queue:    queue,
		Checks: []api.Check{
			{Name: "mongo", Ping: b.Store.Ping},
			{Name: "redis", Ping: queue.Ping},
		},
		Auth:   cfg.Auth,
		Limits: cfg.Limits,
	})
	srv := api.NewHTTPServer(cfg.HTTP, h, logger)
	logger.Info("api listening", "addr", ln.Addr().String())
	return api.Serve(ctx, srv, ln, cfg.HTTP.ShutdownTimeout)
}
