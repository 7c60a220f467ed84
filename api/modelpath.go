package api

import (
	"log/slog"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"gitlab.com/mlserve/mlserve/model"
)

// Route parameters of the model routes.
const (
	nameParam    = "name"
	versionParam = "version"
	aliasParam   = "alias"
)

// requireModelName answers 404 at once for a {name} no model can have
// (see model.ValidName), sparing the store a lookup that cannot succeed.
func requireModelName(logger *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if name := chi.URLParam(r, nameParam); !model.ValidName(name) {
				writeError(w, r, logger, model.Errorf(model.CodeNotFound, "unknown model %q", name))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// requireVersion answers 404 at once for a {version} that is not a
// version number: a positive integer written without sign or leading
// zeros, so that each version has one URL.
func requireVersion(logger *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if _, ok := parseVersion(chi.URLParam(r, versionParam)); !ok {
				writeError(w, r, logger, model.Errorf(model.CodeNotFound, "model %q has no version %q",
					chi.URLParam(r, nameParam), chi.URLParam(r, versionParam)))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// parseVersion parses a version number as requireVersion accepts it.
func parseVersion(s string) (int, bool) {
	v, err := strconv.Atoi(s)
	return v, err == nil && v > 0 && strconv.Itoa(v) == s
}

// pathVersion is the {version} of a request requireVersion let through.
func pathVersion(r *http.Request) int {
	v, _ := parseVersion(chi.URLParam(r, versionParam))
	return v
}
