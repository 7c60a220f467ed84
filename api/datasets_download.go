package api

import (
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"gitlab.com/mlserve/mlserve/model"
)

// handleDatasetCSV streams a dataset's raw CSV, exactly as uploaded, as an
// attachment named after the dataset. The ETag is the quoted sha256 of the
// bytes; a matching If-None-Match is a 304 without reading the file.
//
// Once the status is sent a failure cannot become a problem: the body then
// ends short of its Content-Length, which every client detects.
func handleDatasetCSV(logger *slog.Logger, datasets model.DatasetStore) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		id := chi.URLParam(r, idParam)
		if inm := r.Header.Get("If-None-Match"); inm != "" {
			d, err := datasets.Dataset(ctx, id)
			if err != nil {
				writeError(w, r, logger, err)
				return
			}
			if etagMatches(inm, datasetETag(d)) {
				w.Header().Set("ETag", datasetETag(d))
				w.WriteHeader(http.StatusNotModified)
				return
			}
		}
		d, body, err := datasets.OpenDatasetCSV(ctx, id)
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		defer body.Close()
		h := w.Header()
		h.Set("Content-Type", "text/csv")
		h.Set("Content-Length", strconv.FormatInt(d.SizeBytes, 10))
		h.Set("Content-Disposition", `attachment; filename="`+csvFilename(d)+`"`)
		h.Set("ETag", datasetETag(d))
		h.Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(http.StatusOK)
		if n, err := io.Copy(w, body); err != nil {
			level := slog.LevelWarn
			if ctx.Err() != nil {
				level = slog.LevelDebug // the client left
			}
			logger.Log(ctx, level, "stream dataset csv", "request_id", requestID(ctx),
				"dataset_id", d.ID, "sent_bytes", n, "size_bytes", d.SizeBytes, "err", err)
		}
	})
}

// datasetETag is the strong entity tag of a dataset's CSV: its sha256.
func datasetETag(d *model.Dataset) string {
	return `"` + d.SHA256 + `"`
}

// csvFilename is the download's file name. Uploaded names are plain (see
// model.ValidName); anything else, which only a direct store write could
// produce, falls back to the id rather than reach a header unescaped.
func csvFilename(d *model.Dataset) string {
	if model.ValidName(d.Name) {
		return d.Name + ".csv"
	}
	return "dataset-" + d.ID + ".csv"
}

// etagMatches reports whether an If-None-Match header matches etag, by the
// weak comparison RFC 9110 13.1.2 prescribes for it: "*", or any listed
// tag equal to etag once a W/ prefix is dropped.
func etagMatches(header, etag string) bool {
	for tag := range strings.SplitSeq(header, ",") {
		tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
		if tag == "*" || tag == etag {
			return true
		}
	}
	return false
}
