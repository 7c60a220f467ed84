package api

import (
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"

	"gitlab.com/mlserve/mlserve/internal/metrics"
	"gitlab.com/mlserve/mlserve/model"
)

// routeUnmatched labels requests no route matched: their paths are the
// client's to invent, so they share one series.
const routeUnmatched = "unmatched"

// countRequests counts every request in h by chi route pattern, method and
// status. The pattern is read after the handler ran, once chi has routed.
func countRequests(h *metrics.HTTP) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			sw := statusWriters.Get().(*statusWriter)
			sw.ResponseWriter, sw.status = w, 0
			next.ServeHTTP(sw, r)
			status := sw.status
			sw.ResponseWriter = nil
			statusWriters.Put(sw)
			if status == 0 {
				status = http.StatusOK // the handler wrote nothing
			}
			route := chi.RouteContext(r.Context()).RoutePattern()
			if route == "" {
				route = routeUnmatched
			}
			h.Observe(route, knownMethod(r.Method), status, time.Since(start))
		})
	}
}

// knownMethod is r.Method if it is one of HTTP's, else "other": a method
// is a client's to invent too.
func knownMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "other"
}

// statusWriter records the status a handler sends. It unwraps, so
// http.ResponseController (deadlines, flushes) reaches the connection.
type statusWriter struct {
	http.ResponseWriter
	status int
}

var statusWriters = sync.Pool{New: func() any { return new(statusWriter) }}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush implements http.Flusher for handlers that stream.
func (w *statusWriter) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	http.NewResponseController(w.ResponseWriter).Flush() //nolint:errcheck // as http.Flusher: nothing to report to
}

// Unwrap is for http.ResponseController.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// predictionCounter counts one protocol's predictions; with no metrics it
// does nothing.
type predictionCounter struct {
	p        *metrics.Predictions
	protocol string
}

func (c predictionCounter) predicted(mv *model.ModelVersion, rows int) {
	if c.p != nil {
		c.p.Predicted(mv, c.protocol, rows)
	}
}

// failed writes err as the answer and counts it; mv is nil when no version
// resolved.
func (c predictionCounter) failed(w http.ResponseWriter, r *http.Request, logger *slog.Logger, mv *model.ModelVersion, err error) {
	if c.p != nil {
		c.p.Failed(mv, c.protocol, err)
	}
	writeError(w, r, logger, err)
}
