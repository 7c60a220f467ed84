package api

import (
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"gitlab.com/mlserve/mlserve/internal/metrics"
)

// routeUnmatched labels requests no route matched: their paths are the
// client's to invent, so they share one series.
const routeUnmatched = "unmatched"

// observe counts every request in m (nil: no metrics) by chi route
// pattern, method and status, and writes its access-log line to log (nil:
// none; /healthz never has one). The pattern is read after the handler
// ran, once chi has routed. It must run inside withRequestID, whose id and
// key name the line carries; its writer tells recoverPanic whether a
// response has started.
func observe(m *metrics.HTTP, log *AccessLog) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			sw := statusWriters.Get().(*statusWriter)
			*sw = statusWriter{ResponseWriter: w}
			next.ServeHTTP(sw, r)
			status, written, writeErr := sw.status, sw.bytes, sw.err
			*sw = statusWriter{}
			statusWriters.Put(sw)
			if status == 0 {
				status = http.StatusOK // the handler wrote nothing
			}
			took := time.Since(start)
			route := chi.RouteContext(r.Context()).RoutePattern()
			if m != nil {
				mroute := route
				if mroute == "" {
					mroute = routeUnmatched
				}
				m.Observe(mroute, knownMethod(r.Method), status, took)
			}
			if log == nil || r.URL.Path == pathHealthz {
				return
			}
			e := accessEntry{
				method: r.Method, route: route, path: r.URL.Path, remote: r.RemoteAddr,
				status: status, bytes: written, duration: took, writeErr: writeErr,
			}
			if info := infoFrom(r.Context()); info != nil {
				e.requestID, e.key = info.id, info.keyName
			}
			log.log(&e)
		})
	}
}
