// Package app composes mlserve's components into its two roles, the HTTP API
// and the job worker. cmd/mlserve runs one role per process; cmd/mlserve-dev
// runs both in one process. Nothing else imports it.
package app

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/redis/go-redis/v9"

	"gitlab.com/mlserve/mlserve/api"
	"gitlab.com/mlserve/mlserve/internal/config"
	"gitlab.com/mlserve/mlserve/internal/metrics"
	"gitlab.com/mlserve/mlserve/internal/modelcache"
	"gitlab.com/mlserve/mlserve/internal/mongo"
	"gitlab.com/mlserve/mlserve/internal/redisx"
	"gitlab.com/mlserve/mlserve/internal/tasks"
	"gitlab.com/mlserve/mlserve/model"
)

// Backends are the connections both roles share, and the process's
// metrics.
type Backends struct {
	Store *mongo.Store
	Redis *redis.Client
	// Metrics is nil when metrics.enabled is off.
	Metrics *metrics.Set
	Build   Build
}

// Open connects to MongoDB (creating its indexes) and to Redis. Redis is not
// pinged: the API must start, and report unready, while Redis is down.
func Open(ctx context.Context, cfg *config.Config, build Build, logger *slog.Logger) (*Backends, error) {
	store, err := mongo.Open(ctx, cfg.Mongo, logger)
	if err != nil {
		return nil, fmt.Errorf("open mongo: %w", err)
	}
	b := &Backends{Store: store, Redis: redisx.New(cfg.Redis), Build: build}
	if cfg.Metrics.Enabled {
		b.Metrics = metrics.New(metrics.Options{ModelLabels: cfg.Metrics.ModelLabels, Version: build.Version, Commit: build.Commit})
	}
	return b, nil
}

// checks are what a role's /readyz pings: both stores.
func (b *Backends) checks(queue *tasks.Queue) []api.Check {
	return []api.Check{{Name: "mongo", Ping: b.Store.Ping}, {Name: "redis", Ping: queue.Ping}}
}

// jobStore is the store jobs are started and ended through: counted when
// there are metrics.
func (b *Backends) jobStore() model.JobStore {
	if b.Metrics == nil {
		return b.Store
	}
	return metrics.ObserveJobs(b.Store, b.Metrics.Jobs)
}

// loadObserver is what a model cache tells of its loads, and watch adds
// the cache to the gauges; both nothing without metrics.
func (b *Backends) loadObserver() modelcache.LoadObserver {
	if b.Metrics == nil {
		return nil
	}
	return b.Metrics.Models
}

func (b *Backends) watch(c *modelcache.Cache) {
	if b.Metrics != nil {
		b.Metrics.Models.Watch(c.Stats)
	}
}

// Close releases the connections.
func (b *Backends) Close(ctx context.Context) error {
	rerr := b.Redis.Close()
	if err := b.Store.Close(ctx); err != nil {
		return err
	}
	return rerr
}
