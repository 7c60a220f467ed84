package api

import (
	"fmt"
	"log/slog"
	"net/http"

	"gitlab.com/mlserve/mlserve/model"
)

// limitBody caps the request body at n bytes: a declared Content-Length over
// n is refused at once with 413; otherwise reads past n fail with an
// *http.MaxBytesError, which decode turns into 413 too. JSON routes use
// limits.body_bytes; uploads set their own, larger limit instead (the
// limits do not nest upward).
func limitBody(logger *slog.Logger, n int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ContentLength > n {
				writeError(w, r, logger, tooLarge(n))
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, n)
			next.ServeHTTP(w, r)
		})
	}
}

// tooLarge is the 413 error for a body over n bytes.
func tooLarge(n int64) error {
	return &model.Error{Code: model.CodeTooLarge, Message: fmt.Sprintf("the request body exceeds the limit of %d bytes", n)}
}
