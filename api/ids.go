package api

import (
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5"

	"gitlab.com/mlserve/mlserve/model"
)

// idParam is the route parameter holding a job or dataset id.
const idParam = "id"

// requireID answers 404 at once for an {id} that cannot be the id of a
// resource of kind ("job", "dataset"), sparing the store a lookup that
// cannot succeed.
func requireID(logger *slog.Logger, kind string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if id := chi.URLParam(r, idParam); !validID(id) {
				writeError(w, r, logger, model.Errorf(model.CodeNotFound, "unknown %s %q", kind, id))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// validID reports whether id has the shape of job and dataset ids: 24
// lowercase hex digits.
func validID(id string) bool {
	if len(id) != 24 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
