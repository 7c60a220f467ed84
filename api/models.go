package api

import (
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5"

	"gitlab.com/mlserve/mlserve/model"
)

// maxModelPageSize is the largest limit GET /v1/models and GET
// /v1/models/{name}/versions accept.
const maxModelPageSize = 100

// handleModelList answers one page of model summaries, by name, for the
// query parameters limit and cursor.
func handleModelList(logger *slog.Logger, versions model.VersionStore) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit, cursor, err := parsePageQuery(r.URL.RawQuery, maxModelPageSize)
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		page, err := versions.ListModels(r.Context(), limit, cursor)
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		if page.Models == nil {
			page.Models = []*model.ModelSummary{} // [] reads better than null
		}
		for _, m := range page.Models {
			withAliases(m)
		}
		writeJSON(w, r, logger, http.StatusOK, page)
	})
}

// handleModelGet answers the model's summary, or 404.
func handleModelGet(logger *slog.Logger, versions model.VersionStore) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m, err := versions.Model(r.Context(), chi.URLParam(r, nameParam))
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		writeJSON(w, r, logger, http.StatusOK, withAliases(m))
	})
}

// handleVersionList answers one page of the model's versions, newest
// first, for the query parameters limit and cursor; 404 for a model with
// no versions.
func handleVersionList(logger *slog.Logger, versions model.VersionStore) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit, cursor, err := parsePageQuery(r.URL.RawQuery, maxModelPageSize)
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		page, err := versions.ListVersions(r.Context(), chi.URLParam(r, nameParam), limit, cursor)
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		if page.Versions == nil {
			page.Versions = []*model.ModelVersion{}
		}
		writeJSON(w, r, logger, http.StatusOK, page)
	})
}

// handleVersionGet answers one version, or 404.
func handleVersionGet(logger *slog.Logger, versions model.VersionStore) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := versions.ResolveVersion(r.Context(), chi.URLParam(r, nameParam), pathVersion(r), "")
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		writeJSON(w, r, logger, http.StatusOK, v)
	})
}

// handleVersionDelete deletes a version and its artifact: 204; 404 when it
// does not exist; 409 while an alias points at it. Its number is not
// given to another version.
func handleVersionDelete(logger *slog.Logger, versions model.VersionStore) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := versions.DeleteVersion(r.Context(), chi.URLParam(r, nameParam), pathVersion(r)); err != nil {
			writeError(w, r, logger, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

// withAliases makes m's aliases {} rather than null when it has none.
func withAliases(m *model.ModelSummary) *model.ModelSummary {
	if m.Aliases == nil {
		m.Aliases = map[string]int{}
	}
	return m
}
