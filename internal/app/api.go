package app

import (
	"context"
	"io"
	"log/slog"
	"net"

	"gitlab.com/mlserve/mlserve/api"
	"gitlab.com/mlserve/mlserve/internal/config"
	"gitlab.com/mlserve/mlserve/internal/learners"
	"gitlab.com/mlserve/mlserve/internal/logx"
	"gitlab.com/mlserve/mlserve/internal/modelcache"
	"gitlab.com/mlserve/mlserve/internal/redisx"
	"gitlab.com/mlserve/mlserve/internal/tasks"
)

// ServeAPI serves the HTTP API on ln until ctx is done, then shuts down
// gracefully, letting in-flight requests finish within the configured time.
// The Open Inference Protocol's server metadata reports b's build version.
// The access log (log.access) goes to access, the process's log output,
// through a buffer written asynchronously, and is flushed when ServeAPI
// returns.
func ServeAPI(ctx context.Context, cfg *config.Config, b *Backends, ln net.Listener, logger *slog.Logger, access io.Writer) error {
	queue := tasks.NewQueue(b.Redis, tasks.OptionsFrom(cfg.Jobs))
	defer queue.Close()
	models := modelcache.New(modelcache.Options{
		Versions:  b.Store,
		Artifacts: b.Store,
		Loader:    learners.NewPredictorLoader(),
		MaxBytes:  cfg.Cache.Bytes,
		Refresh:   cfg.Cache.Refresh,
		Watcher:   redisx.NewSubscriber(b.Redis, logger),
		Loads:     b.loadObserver(),
		Logger:    logger.With("component", "modelcache"),
	})
	b.watch(models)
	ctx, stop := context.WithCancel(ctx)
	refreshed := make(chan struct{})
	go func() {
		defer close(refreshed)
		models.Run(ctx) // refreshes the cache until the API stops
	}()
	defer func() { stop(); <-refreshed }()
	var accessLog *api.AccessLog
	if cfg.Log.Access {
		level, err := logx.ParseLevel(cfg.Log.Level)
		if err != nil {
			return err
		}
		out := logx.NewAsync(access)
		defer out.Close()
		if b.Metrics != nil {
			b.Metrics.AccessLog.CountDropped(out.Dropped)
		}
		accessLog = api.NewAccessLog(out, api.AccessLogOptions{Format: cfg.Log.Format, Level: level,
			Attrs: []slog.Attr{slog.String("role", "api")}})
	}
	h := api.NewServer(api.Deps{
		Logger:   logger,
		Jobs:     b.jobStore(),
		Datasets: b.Store,
		Versions: b.Store,
		Queue:    queue,
		Scores:   b.Store,
		Models:   models,
		Events:   redisx.NewPublisher(b.Redis),
		Checks:   b.checks(queue),
		// Predictions need no Redis (SPEC 7): the OIP readiness of the
		// serving path asks only for the store models load from.
		ServingChecks:  []api.Check{{Name: "mongo", Ping: b.Store.Ping}},
		Auth:           cfg.Auth,
		Limits:         cfg.Limits,
		MaxTrials:      cfg.Jobs.MaxTrials,
		IdempotencyTTL: cfg.Jobs.IdempotencyTTL,
		WriteTimeout:   cfg.HTTP.WriteTimeout,
		Metrics:        b.Metrics,
		AccessLog:      accessLog,
		Version:        b.Build.Version,
	})
	srv := api.NewHTTPServer(cfg.HTTP, h, logger)
	logger.Info("api listening", "addr", ln.Addr().String())
	return api.Serve(ctx, srv, ln, cfg.HTTP.ShutdownTimeout)
}
