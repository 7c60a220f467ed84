package api

import (
	"io"
	"log/slog"
	"net/http"
	"sync"

	"gitlab.com/mlserve/mlserve/internal/metrics"
	"gitlab.com/mlserve/mlserve/model"
)

// knownMethod is r.Method if it is one of HTTP's, else "other": a method
// is a client's to invent too.
func knownMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "other"
}

// statusWriter records the status a handler sends, the bytes it wrote and
// the first write that failed. It unwraps, so http.ResponseController
// (deadlines, flushes) reaches the connection.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
	err    error
}

var statusWriters = sync.Pool{New: func() any { return new(statusWriter) }}

func (w *statusWriter) WriteHeader(code int) {
	w.started(code)
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.started(http.StatusOK)
	n, err := w.ResponseWriter.Write(b)
	w.wrote(int64(n), err)
	return n, err
}

// ReadFrom keeps the underlying writer's ReadFrom for io.Copy.
func (w *statusWriter) ReadFrom(src io.Reader) (int64, error) {
	w.started(http.StatusOK)
	var n int64
	var err error
	if rf, ok := w.ResponseWriter.(io.ReaderFrom); ok {
		n, err = rf.ReadFrom(src)
	} else {
		n, err = io.Copy(struct{ io.Writer }{w.ResponseWriter}, src)
	}
	w.wrote(n, err)
	return n, err
}

// started records the status of a response that starts now, unless one
// started before.
func (w *statusWriter) started(status int) {
	if w.status == 0 {
		w.status = status
	}
}

// wrote counts n bytes written and keeps the first error.
func (w *statusWriter) wrote(n int64, err error) {
	w.bytes += int(n)
	if err != nil && w.err == nil {
		w.err = err
	}
}

// Status is the status sent so far, 0 before any: recoverPanic asks.
func (w *statusWriter) Status() int { return w.status }

// Flush implements http.Flusher for handlers that stream.
func (w *statusWriter) Flush() {
	w.started(http.StatusOK)
	http.NewResponseController(w.ResponseWriter).Flush() //nolint:errcheck // as http.Flusher: nothing to report to
}

// Unwrap is for http.ResponseController.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// predictionCounter counts one protocol's predictions; with no metrics it
// does nothing.
type predictionCounter struct {
	p        *metrics.Predictions
	protocol string
}

func (c predictionCounter) predicted(mv *model.ModelVersion, rows int) {
	if c.p != nil {
		c.p.Predicted(mv, c.protocol, rows)
	}
}

// failed writes err as the answer and counts it; mv is nil when no version
// resolved.
func (c predictionCounter) failed(w http.ResponseWriter, r *http.Request, logger *slog.Logger, mv *model.ModelVersion, err error) {
	if c.p != nil {
		c.p.Failed(mv, c.protocol, err)
	}
	writeError(w, r, logger, err)
}
