package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"

	"gitlab.com/mlserve/mlserve/internal/config"
	"gitlab.com/mlserve/mlserve/internal/csvdata"
	"gitlab.com/mlserve/mlserve/model"
)

// datasetFileField is the multipart field that carries the CSV.
const datasetFileField = "file"

// multipartOverhead is how far an upload's body may exceed
// limits.dataset_bytes: room for the multipart boundaries and part headers
// around the file. The file itself is held to dataset_bytes by
// csvdata.Inspect.
const multipartOverhead = 64 << 10

// handleDatasetCreate uploads a dataset: POST /v1/datasets?name=NAME with
// the CSV as a text/csv body or as the multipart/form-data field "file".
// The bytes are streamed, never held whole: the store writes them to its
// file storage while csvdata.Inspect reads the same bytes to validate,
// type, count and hash them, and the dataset becomes visible only when both
// succeed. 201 with Location and the dataset; 422 naming the line for a CSV
// that is not a dataset; 413 over limits.dataset_bytes; 415 for another
// content type; 503 when the store is down.
func handleDatasetCreate(logger *slog.Logger, datasets model.DatasetStore, limits config.Limits) http.Handler {
	lim := csvdata.Limits{MaxBytes: limits.DatasetBytes, MaxColumns: limits.DatasetColumns,
		MaxNameBytes: limits.DatasetColumnNameBytes, MaxHeaderBytes: limits.DatasetHeaderBytes}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		name, err := datasetName(r.URL.RawQuery)
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		up, err := openUpload(r, limits.DatasetBytes)
		if err != nil {
			writeError(w, r, logger, uploadError(ctx, err, limits.DatasetBytes))
			return
		}
		d, err := datasets.CreateDataset(ctx, name, up.csv, inspector(lim, up.finish))
		if err != nil {
			writeError(w, r, logger, uploadError(ctx, err, limits.DatasetBytes))
			return
		}
		w.Header().Set("Location", "/v1/datasets/"+d.ID)
		writeJSON(w, r, logger, http.StatusCreated, d)
	})
}

// datasetName returns the upload's only query parameter, name, which must
// be a valid name.
func datasetName(rawQuery string) (string, error) {
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return "", model.Errorf(model.CodeMalformed, "malformed query string: %v", err)
	}
	p := map[string]string{}
	for param, vals := range q {
		switch {
		case param != "name":
			p[param] = "unknown query parameter (want name)"
		case len(vals) > 1:
			p[param] = "give one value"
		}
	}
	name := q.Get("name")
	if _, ok := p["name"]; !ok && !model.ValidName(name) {
		p["name"] = "required, matching [a-z0-9][a-z0-9_.-]{0,62}"
		if name != "" {
			p["name"] = fmt.Sprintf("%q does not match [a-z0-9][a-z0-9_.-]{0,62}", name)
		}
	}
	return name, model.Invalid(p)
}

// upload is the CSV of a dataset upload, whichever way it was sent.
type upload struct {
	// csv yields the CSV's bytes; its read errors are *bodyError.
	csv io.Reader
	// finish, once csv is read, checks what follows the CSV in the body;
	// nil when nothing can.
	finish func() error
}

// openUpload finds the CSV in r's body by its Content-Type: the whole body
// for text/csv (UTF-8 or US-ASCII), the part "file" for
// multipart/form-data, which must come first and alone. The part is
// streamed: r.ParseMultipartForm would buffer it to memory or disk first.
func openUpload(r *http.Request, maxBytes int64) (*upload, error) {
	ct := r.Header.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	switch {
	case err == nil && mt == "text/csv":
		if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "us-ascii") {
			return nil, model.Errorf(codeUnsupportedMedia, "CSV must be UTF-8, got charset %q", cs)
		}
		if r.ContentLength > maxBytes {
			return nil, datasetTooLarge(maxBytes)
		}
		return &upload{csv: bodyReader{r.Body}}, nil
	case err == nil && mt == "multipart/form-data":
		mr, err := r.MultipartReader()
		if err != nil {
			return nil, model.Errorf(model.CodeMalformed, "malformed multipart body: %v", err)
		}
		part, err := mr.NextPart()
		switch {
		case errors.Is(err, io.EOF):
			return nil, model.Invalid(map[string]string{datasetFileField: "required: send the CSV in the multipart field " + datasetFileField})
		case err != nil:
			return nil, multipartError(err)
		case part.FormName() != datasetFileField:
			return nil, model.Invalid(map[string]string{partField(part): "unexpected field: send only the CSV, in the field " + datasetFileField})
		}
		return &upload{csv: bodyReader{part}, finish: func() error { return noMoreParts(mr) }}, nil
	}
	return nil, model.Errorf(codeUnsupportedMedia, "Content-Type must be text/csv, or multipart/form-data with the CSV in the field %s; got %q", datasetFileField, ct)
}

// noMoreParts checks that the multipart body ends after the file.
func noMoreParts(mr *multipart.Reader) error {
	part, err := mr.NextPart()
	switch {
	case errors.Is(err, io.EOF):
		return nil
	case err != nil:
		return multipartError(err)
	}
	return model.Invalid(map[string]string{partField(part): "unexpected field after the file: send only the CSV, in the field " + datasetFileField})
}

// partField names a part in a problem: its form field, or "part" when it
// has none.
func partField(p *multipart.Part) string {
	if name := p.FormName(); name != "" {
		return name
	}
	return "part"
}

// multipartError is the error for a multipart body that cannot be parsed:
// it was cut short, is not multipart, or is over the limit.
func multipartError(err error) error {
	if errors.As(err, new(*http.MaxBytesError)) {
		return &bodyError{err}
	}
	return model.Errorf(model.CodeMalformed, "malformed multipart body: %v", err)
}

// inspector checks the upload with csvdata.Inspect and then finish, and
// describes the dataset for the store. A CSV that is not a dataset becomes
// a 422 whose detail names the line.
func inspector(lim csvdata.Limits, finish func() error) model.DatasetInspector {
	return func(r io.Reader) (*model.Dataset, error) {
		sum, err := csvdata.Inspect(r, lim)
		if e, ok := errors.AsType[*model.Error](err); ok && e.Code == model.CodeInvalid {
			return nil, &model.Error{Code: model.CodeInvalid, Message: "the CSV is not a valid dataset", Fields: e.Fields}
		}
		if err != nil {
			return nil, err
		}
		if finish != nil {
			if err := finish(); err != nil {
				return nil, err
			}
		}
		return &model.Dataset{Rows: sum.Rows, Columns: sum.Columns, SizeBytes: sum.SizeBytes, SHA256: sum.SHA256}, nil
	}
}

// bodyError is a failure to read the upload from the client, as opposed to
// one of the store the bytes were going to: both reach the handler through
// the same tee, and the first is the client's problem (400, 413), the
// second the server's (503).
type bodyError struct{ err error }

func (e *bodyError) Error() string { return "read the request body: " + e.err.Error() }
func (e *bodyError) Unwrap() error { return e.err }

// bodyReader marks r's read errors as *bodyError.
type bodyReader struct{ r io.Reader }

func (b bodyReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		err = &bodyError{err}
	}
	return n, err
}

// uploadError maps a failure to read the client's body to what the client
// is told: 413 over the limit, 499 when the client left (see problemFor),
// 400 otherwise. Other errors pass through.
func uploadError(ctx context.Context, err error, maxBytes int64) error {
	var bodyErr *bodyError
	switch {
	case !errors.As(err, &bodyErr):
		return err
	case errors.As(err, new(*http.MaxBytesError)):
		return datasetTooLarge(maxBytes)
	case ctx.Err() != nil:
		return fmt.Errorf("%w: %w", err, ctx.Err())
	}
	return model.Errorf(model.CodeMalformed, "read the request body: %v", bodyErr.err)
}

// datasetTooLarge is the 413 error for an upload over maxBytes.
func datasetTooLarge(maxBytes int64) error {
	return model.Errorf(model.CodeTooLarge, "the upload is larger than the dataset limit of %d bytes", maxBytes)
}
