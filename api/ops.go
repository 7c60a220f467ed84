package api

import (
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5"

	"gitlab.com/mlserve/mlserve/internal/metrics"
)

// NewOpsServer returns the handler of a process's operations listener (the
// worker's ops.addr): /healthz, /readyz pinging checks, and /metrics when
// m is set. Every route is open: the listener is for probes and scrapers,
// not clients, and the Service does not route to it.
func NewOpsServer(logger *slog.Logger, checks []Check, m *metrics.Set) http.Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	r := chi.NewRouter()
	r.NotFound(handleNotFound(logger))
	r.Method(http.MethodGet, "/healthz", handleHealthz())
	r.Method(http.MethodGet, "/readyz", handleReadyz(logger, checks))
	if m != nil {
		r.Method(http.MethodGet, "/metrics", m.Handler())
	}
	return r
}
