package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
)

// headerRequestID carries the request id in and out; nginx sets it.
const headerRequestID = "X-Request-ID"

// maxRequestIDLen bounds an accepted incoming request id: it is logged on
// every line, so a client must not be able to make it large.
const maxRequestIDLen = 128

// requestInfo is per-request state the middleware shares: the request id and
// the authenticated key's name, which the access log reports after the
// handler ran. One goroutine serves a request, so it needs no lock.
type requestInfo struct {
	id      string
	keyName string
}

type requestInfoKey struct{}

// withRequestID gives every request an id: the incoming X-Request-ID when it
// is sane (1 to 128 printable ASCII characters), else a random one. The id is
// echoed in the response header and reachable through requestID(ctx).
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(headerRequestID)
		if !saneRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set(headerRequestID, id)
		info := &requestInfo{id: id}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, info)))
	})
}

// saneRequestID reports whether id may be trusted into logs and headers.
func saneRequestID(id string) bool {
	return id != "" && len(id) <= maxRequestIDLen && printable(id)
}

// printable reports whether s is printable ASCII only.
func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// newRequestID returns 32 random hex digits.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}

// infoFrom returns the request's shared state, or nil outside withRequestID.
func infoFrom(ctx context.Context) *requestInfo {
	info, _ := ctx.Value(requestInfoKey{}).(*requestInfo)
	return info
}

// requestID returns the request's id, or "" outside withRequestID.
func requestID(ctx context.Context) string {
	if info := infoFrom(ctx); info != nil {
		return info.id
	}
	return ""
}
