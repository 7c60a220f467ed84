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
//
// It also decodes a body sent with Content-Encoding gzip; the limit then
// holds for the bytes sent and for the bytes they decode to, so a small
// body that inflates to gigabytes is a 413 after n decoded bytes. Another
// coding is a 415 (see bodyEncoding).
func limitBody(logger *slog.Logger, n int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			gzipped, err := bodyEncoding(r.Header)
			if err != nil {
				w.Header().Set("Accept-Encoding", acceptedEncodings)
				writeError(w, r, logger, err)
				return
			}
			if r.ContentLength > n {
				writeError(w, r, logger, tooLarge(n))
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, n)
			if gzipped {
				r.Body = http.MaxBytesReader(w, &gunzipBody{compressed: r.Body}, n)
				// What the handler reads is the decoded body, of a length
				// not known yet.
				r.Header.Del("Content-Encoding")
				r.ContentLength = -1
			}
			next.ServeHTTP(w, r)
		})
	}
}

// tooLarge is the 413 error for a body over n bytes.
func tooLarge(n int64) error {
	return &model.Error{Code: model.CodeTooLarge, Message: fmt.Sprintf("the request body exceeds the limit of %d bytes", n)}
}
