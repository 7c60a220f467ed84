package api

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"

	"github.com/go-chi/chi/v5"

	"gitlab.com/mlserve/mlserve/model"
)

// maxDatasetPageSize is the largest limit GET /v1/datasets accepts.
const maxDatasetPageSize = 100

// handleDatasetGet answers the dataset, or 404.
func handleDatasetGet(logger *slog.Logger, datasets model.DatasetStore) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d, err := datasets.Dataset(r.Context(), chi.URLParam(r, idParam))
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		writeJSON(w, r, logger, http.StatusOK, d)
	})
}

// handleDatasetList answers one page of datasets, newest first, for the
// query parameters limit and cursor: summaries without the columns, so a
// page is at most a few hundred bytes a dataset. Any other parameter, or a bad value,
// is a 422 naming it.
func handleDatasetList(logger *slog.Logger, datasets model.DatasetStore) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit, cursor, err := parsePageQuery(r.URL.RawQuery, maxDatasetPageSize)
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		page, err := datasets.ListDatasets(r.Context(), limit, cursor)
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		if page.Datasets == nil {
			page.Datasets = []*model.DatasetSummary{} // [] reads better than null
		}
		writeJSON(w, r, logger, http.StatusOK, page)
	})
}

// parsePageQuery parses a query of only limit (1 to maxLimit; absent or
// empty: the store's default) and cursor.
func parsePageQuery(rawQuery string, maxLimit int) (limit int, cursor string, err error) {
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return 0, "", model.Errorf(model.CodeMalformed, "malformed query string: %v", err)
	}
	p := map[string]string{}
	for name, vals := range q {
		if len(vals) > 1 {
			p[name] = "give at most one value"
			continue
		}
		v := vals[0]
		switch name {
		case "limit":
			if v == "" {
				continue
			}
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > maxLimit {
				p[name] = fmt.Sprintf("must be an integer from 1 to %d", maxLimit)
			}
			limit = n
		case "cursor":
			cursor = v
			if len(v) > maxCursorLen {
				p[name] = "must be the next_cursor of a previous page"
			}
		default:
			p[name] = "unknown query parameter (want limit or cursor)"
		}
	}
	return limit, cursor, model.Invalid(p)
}

// handleDatasetDelete deletes a dataset and its CSV: 204; 404 when it does
// not exist; 409 while a queued or running job uses it.
func handleDatasetDelete(logger *slog.Logger, datasets model.DatasetStore) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := datasets.DeleteDataset(r.Context(), chi.URLParam(r, idParam)); err != nil {
			writeError(w, r, logger, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}
