package api

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5"

	"gitlab.com/mlserve/mlserve/model"
)

// aliasRequest is the body of PUT /v1/models/{name}/aliases/{alias}.
type aliasRequest struct {
	Version int `json:"version"`
}

// Valid implements validator.
func (a *aliasRequest) Valid() error {
	if a.Version < 1 {
		return model.Invalid(map[string]string{"version": "required: a version number of the model, from 1"})
	}
	return nil
}

// handleAliasSet points the alias at a version, creating or moving it
// (promote, roll back), and answers 200 with the model's summary, which
// shows every alias. An alias name that cannot be is 422; a version the
// model does not have is 404.
func handleAliasSet(logger *slog.Logger, versions model.VersionStore) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		name, alias := chi.URLParam(r, nameParam), chi.URLParam(r, aliasParam)
		if !model.ValidName(alias) {
			writeError(w, r, logger, model.Invalid(map[string]string{
				"alias": fmt.Sprintf("%q is not an alias name: want [a-z0-9][a-z0-9_.-]{0,62}", alias),
			}))
			return
		}
		var req aliasRequest
		if err := decode(r, &req); err != nil {
			writeError(w, r, logger, err)
			return
		}
		if err := versions.SetAlias(ctx, name, alias, req.Version); err != nil {
			writeError(w, r, logger, err)
			return
		}
		m, err := versions.Model(ctx, name)
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		writeJSON(w, r, logger, http.StatusOK, withAliases(m))
	})
}

// handleAliasDelete removes the alias: 204, or 404 when it does not exist.
// A bare model name resolves to the latest version once production is
// gone.
func handleAliasDelete(logger *slog.Logger, versions model.VersionStore) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, alias := chi.URLParam(r, nameParam), chi.URLParam(r, aliasParam)
		if !model.ValidName(alias) {
			writeError(w, r, logger, model.Errorf(model.CodeNotFound, "model %q has no alias %q", name, alias))
			return
		}
		if err := versions.DeleteAlias(r.Context(), name, alias); err != nil {
			writeError(w, r, logger, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}
