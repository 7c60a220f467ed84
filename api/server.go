package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"gitlab.com/mlserve/mlserve/internal/config"
	"gitlab.com/mlserve/mlserve/internal/metrics"
	"gitlab.com/mlserve/mlserve/model"
)

// Deps is everything the API needs. Every field but Checks, Now and those
// read "when set" is required; Logger may be nil to discard logs.
type Deps struct {
	Logger   *slog.Logger
	Jobs     model.JobStore
	Datasets model.DatasetStore
	Versions model.VersionStore
	Queue    model.JobQueue
	// Scores holds score jobs' parts and output files.
	Scores model.ScoreStore
	// Models serves the loaded model versions predictions use.
	Models model.Models
	// Checks are what /readyz pings, in parallel, each within checkTimeout.
	Checks []Check
	// ServingChecks are what /v2/health/ready pings: the dependencies
	// serving predictions needs. nil means Checks.
	ServingChecks []Check
	// Version is the server version GET /v2 reports; "" reads "dev".
	Version string
	Auth    config.Auth
	Limits  config.Limits
	// MaxTrials bounds a train job's search (jobs.max_trials); 0 means
	// model.MaxTrials.
	MaxTrials int
	// IdempotencyTTL is how long an Idempotency-Key of POST /v1/jobs binds
	// its job (jobs.idempotency_ttl); 0 means DefaultIdempotencyTTL.
	IdempotencyTTL time.Duration
	// WriteTimeout is the http.Server's WriteTimeout (0: none). A job's
	// output, which may take longer to send as a whole, moves the write
	// deadline on by this much as it goes.
	WriteTimeout time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Metrics, when set, counts requests and predictions and is served at
	// /metrics.
	Metrics *metrics.Set
	// AccessLog, when set, has a line for every request but /healthz.
	AccessLog *AccessLog
	// Events, when set, is told of every alias set or deleted and every
	// version deleted, so the API replicas' model caches update at once
	// rather than on their next refresh.
	Events model.ModelEvents
}

// DefaultIdempotencyTTL is jobs.idempotency_ttl's default.
const DefaultIdempotencyTTL = 24 * time.Hour

// Check is one dependency /readyz pings. Name appears in the response
// ("mongo", "redis"); Ping returns nil when the dependency answers.
type Check struct {
	Name string
	Ping func(context.Context) error
}

// NewServer returns the API's handler: every route of routes.go behind the
// request-id, metrics and access-log, and panic-recovery middleware.
func NewServer(d Deps) http.Handler {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.ServingChecks == nil {
		d.ServingChecks = d.Checks
	}
	if d.Models == nil {
		d.Models = noModels{}
	}
	if d.MaxTrials == 0 {
		d.MaxTrials = model.MaxTrials
	}
	if d.IdempotencyTTL == 0 {
		d.IdempotencyTTL = DefaultIdempotencyTTL
	}
	if d.Events != nil {
		d.Versions = &announcingVersions{VersionStore: d.Versions, events: d.Events, logger: d.Logger}
	}
	return routes(d)
}

// noModels stands in for a Deps without Models: every prediction is 503
// rather than a nil-pointer panic.
type noModels struct{}

func (noModels) Resolve(context.Context, string, int, string) (*model.ModelVersion, model.Predictor, error) {
	return nil, nil, model.Errorf(model.CodeUnavailable, "no models are served here: the model cache is not configured")
}
