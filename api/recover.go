package api

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
)

// recoverPanic turns a handler's panic into a logged error with its stack
// and a 500 problem, so one bad request never takes the process down.
// http.ErrAbortHandler is re-panicked: it is how a handler asks net/http to
// abort the response, and net/http handles it quietly.
func recoverPanic(logger *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() {
				v := recover()
				if v == nil {
					return
				}
				if v == http.ErrAbortHandler {
					panic(v)
				}
				logger.ErrorContext(r.Context(), "handler panic",
					"request_id", requestID(r.Context()),
					"method", r.Method,
					"path", r.URL.Path,
					"panic", fmt.Sprint(v),
					"stack", string(debug.Stack()))
				// A response already under way cannot become a problem;
				// observe's writer knows whether one started.
				if sw, ok := w.(interface{ Status() int }); ok && sw.Status() != 0 {
					return
				}
				writeProblem(w, r, &problem{
					Type:      problemTypeBase + "internal",
					Status:    http.StatusInternalServerError,
					Detail:    "internal error",
					Instance:  r.URL.Path,
					RequestID: requestID(r.Context()),
				})
			}()
			next.ServeHTTP(w, r)
		})
	}
}
