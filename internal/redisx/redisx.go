// Package redisx opens the go-redis client that the job queue (asynq) runs
// on, and carries model change notices over Redis pub/sub (events.go). The
// API and the worker share one client per process.
package redisx

import (
	"crypto/tls"

	"github.com/redis/go-redis/v9"

	"gitlab.com/mlserve/mlserve/internal/config"
)

// New returns a client for cfg. It does not connect: go-redis dials lazily,
// so a process can start, and report itself unready, while Redis is down.
// With cfg.TLS the connection uses TLS 1.2 or later and verifies the server
// certificate against the system roots.
func New(cfg config.Redis) *redis.Client {
	opts := &redis.Options{
		Addr:     cfg.Addr,
		Password: cfg.Password,
		DB:       cfg.DB,
	}
	if cfg.TLS {
		opts.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	return redis.NewClient(opts)
}
