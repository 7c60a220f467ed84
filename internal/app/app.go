// Package app composes mlserve's components into its two roles, the HTTP API
// and the job worker. cmd/mlserve runs one role per process; cmd/mlserve-dev
// runs both in one process. Nothing else imports it.
package app

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/redis/go-redis/v9"

	"gitlab.com/mlserve/mlserve/internal/config"
	"gitlab.com/mlserve/mlserve/internal/mongo"
	"gitlab.com/mlserve/mlserve/internal/redisx"
)

// Backends are the connections both roles share.
type Backends struct {
	Store *mongo.Store
	Redis *redis.Client
}

// Open connects to MongoDB (creating its indexes) and to Redis. Redis is not
// pinged: the API must start, and report unready, while Redis is down.
func Open(ctx context.Context, cfg *config.Config, logger *slog.Logger) (*Backends, error) {
	store, err := mongo.Open(ctx, cfg.Mongo, logger)
	if err != nil {
		return nil, fmt.Errorf("open mongo: %w", err)
	}
	return &Backends{Store: store, Redis: redisx.New(cfg.Redis)}, nil
}

// Close releases the connections.
func (b *Backends) Close(ctx context.Context) error {
	rerr := b.Redis.Close()
	if err := b.Store.Close(ctx); err != nil {
		return err
	}
	return rerr
}
