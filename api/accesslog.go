package api

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

// pathHealthz is the liveness probe, polled too often to be worth a line.
const pathHealthz = "/healthz"

// accessLog logs one JSON line per request, after the handler ran, so the
// line carries the chi route pattern, the status and the body size. It never
// logs headers, so neither the Authorization header nor the key appears;
// the key's configured name does. It must run inside withRequestID.
func accessLog(logger *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == pathHealthz {
				next.ServeHTTP(w, r)
				return
			}
			start := time.Now()
			ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
			next.ServeHTTP(ww, r)

			status := ww.Status()
			if status == 0 {
				status = http.StatusOK // the handler wrote nothing
			}
			attrs := []slog.Attr{
				slog.String("request_id", requestID(r.Context())),
				slog.String("method", r.Method),
				slog.String("route", chi.RouteContext(r.Context()).RoutePattern()),
				slog.String("path", r.URL.Path),
				slog.Int("status", status),
				slog.Int("bytes", ww.BytesWritten()),
				slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
				slog.String("remote", r.RemoteAddr),
			}
			if info := infoFrom(r.Context()); info != nil && info.keyName != "" {
				attrs = append(attrs, slog.String("key", info.keyName))
			}
			logger.LogAttrs(r.Context(), slog.LevelInfo, "http request", attrs...)
		})
	}
}
