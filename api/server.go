package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"gitlab.com/mlserve/mlserve/internal/config"
	"gitlab.com/mlserve/mlserve/model"
)

// Deps is everything the API needs. Every field but Checks and Now is
// required; Logger may be nil to discard logs.
type Deps struct {
	Logger   *slog.Logger
	Jobs     model.JobStore
	Datasets model.DatasetStore
	Versions model.VersionStore
	Queue    model.JobQueue
	// Checks are what /readyz pings, in parallel, each within checkTimeout.
	Checks []Check
	Auth   config.Auth
	Limits config.Limits
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Check is one dependency /readyz pings. Name appears in the response
// ("mongo", "redis"); Ping returns nil when the dependency answers.
type Check struct {
	Name string
	Ping func(context.Context) error
}

// NewServer returns the API's handler: every route of routes.go behind the
// request-id, access-log and panic-recovery middleware.
func NewServer(d Deps) http.Handler {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return routes(d)
}
