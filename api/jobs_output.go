package api

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"gitlab.com/mlserve/mlserve/internal/scoring"
	"gitlab.com/mlserve/mlserve/model"
)

// Media types of a score job's output.
const (
	mediaCSV    = "text/csv"
	mediaNDJSON = "application/x-ndjson"
)

// ndjsonBufferSize batches the NDJSON converter's line-sized writes.
const ndjsonBufferSize = 32 << 10

// handleJobOutput streams a succeeded score job's output: the CSV header of
// its result's columns, then every part's output file in index order, with
// Content-Length the job's output_bytes; or, when Accept asks for
// application/x-ndjson, one JSON object per row. 404 for an unknown job or a
// train job, 409 for a score job that has not succeeded.
//
// Everything that can be checked is checked before the status is sent: the
// parts are all done, as many as progress.parts_total, and their sizes add
// up to output_bytes; otherwise 500. A failure after that cannot become a
// problem: the response is aborted, so the client sees a body cut short
// rather than a complete-looking one.
//
// writeTimeout is the server's write timeout, which a large output
// outlasts: the write deadline is pushed on by that much as the body goes
// out, so only a client that stops reading for that long is cut off. 0
// means the server sets no deadline.
func handleJobOutput(logger *slog.Logger, jobs model.JobStore, scores model.ScoreStore, writeTimeout time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		job, err := jobs.Job(ctx, chi.URLParam(r, idParam))
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		if job.Type != model.JobScore {
			writeError(w, r, logger, model.Errorf(model.CodeNotFound, "job %s is a %s job; only score jobs have output", job.ID, job.Type))
			return
		}
		if job.Status != model.StatusSucceeded {
			writeError(w, r, logger, model.Errorf(model.CodeConflict, "job %s is %s; a score job has output once it has succeeded", job.ID, job.Status))
			return
		}
		parts, err := outputParts(ctx, scores, job)
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		// Open the first file before answering 200: a store that is down,
		// or a file that is gone, is then still a proper problem.
		var first io.Reader
		if len(parts) > 0 {
			rc, err := openPartOutput(ctx, scores, parts[0])
			if err != nil {
				writeError(w, r, logger, err)
				return
			}
			defer rc.Close()
			first = rc
		}

		ndjson := wantsNDJSON(r.Header)
		h := w.Header()
		h.Set("Vary", "Accept")
		h.Set("X-Content-Type-Options", "nosniff")
		if ndjson {
			h.Set("Content-Type", mediaNDJSON)
			h.Set("Content-Disposition", `attachment; filename="`+job.ID+`.ndjson"`)
		} else {
			h.Set("Content-Type", mediaCSV+"; charset=utf-8")
			h.Set("Content-Length", strconv.FormatInt(job.Result.OutputBytes, 10))
			h.Set("Content-Disposition", `attachment; filename="`+job.ID+`.csv"`)
		}
		w.WriteHeader(http.StatusOK)

		out := &deadlineWriter{w: w, rc: http.NewResponseController(w), window: writeTimeout}
		s := &outputStream{ctx: ctx, scores: scores, cols: job.Result.Columns, ndjson: ndjson}
		part, err := s.write(out, parts, first)
		if err == nil {
			return
		}
		attrs := []any{"request_id", requestID(ctx), "job_id", job.ID, "part", part, "sent_bytes", out.n, "err", err}
		if out.err != nil || ctx.Err() != nil {
			// The client left, or stopped reading for writeTimeout; the
			// connection is done for either way.
			logger.DebugContext(ctx, "client stopped reading job output", attrs...)
			return
		}
		logger.ErrorContext(ctx, "stream job output", attrs...)
		panic(http.ErrAbortHandler) // see recoverPanic
	})
}

// outputParts returns the parts of a succeeded score job after checking
// that they make up its whole output. Any inconsistency is an internal
// error: the job claims an output the store does not hold.
func outputParts(ctx context.Context, scores model.ScoreStore, job *model.Job) ([]*model.ScorePart, error) {
	res := job.Result
	if res == nil || len(res.Columns) == 0 {
		return nil, fmt.Errorf("succeeded score job %s has no output columns in its result", job.ID)
	}
	parts, err := scores.Parts(ctx, job.ID)
	if err != nil {
		return nil, fmt.Errorf("parts of score job %s: %w", job.ID, err)
	}
	if len(parts) != job.Progress.PartsTotal {
		return nil, fmt.Errorf("succeeded score job %s has %d parts stored of its %d", job.ID, len(parts), job.Progress.PartsTotal)
	}
	size := int64(len(scoring.CSVHeader(res.Columns)))
	for i, p := range parts {
		if p.Index != i {
			return nil, fmt.Errorf("score job %s: part %d is missing (found part %d in its place)", job.ID, i, p.Index)
		}
		if p.Status != model.PartDone {
			return nil, fmt.Errorf("succeeded score job %s: part %d is %s", job.ID, i, p.Status)
		}
		size += p.OutputBytes
	}
	if size != res.OutputBytes {
		return nil, fmt.Errorf("score job %s: its header and parts add up to %d bytes, its result says %d", job.ID, size, res.OutputBytes)
	}
	return parts, nil
}

// openPartOutput opens a done part's output file. A missing file is an
// internal error, not a 404: the job the client asked for exists.
func openPartOutput(ctx context.Context, scores model.ScoreStore, p *model.ScorePart) (io.ReadCloser, error) {
	rc, err := scores.OpenPartOutput(ctx, p)
	if model.ErrorCode(err) == model.CodeNotFound {
		return nil, fmt.Errorf("output of done part %s is missing: %v", p.ID, err)
	}
	if err != nil {
		return nil, fmt.Errorf("open output of part %s: %w", p.ID, err)
	}
	return rc, nil
}

// outputStream writes a score job's output, part after part.
type outputStream struct {
	ctx    context.Context
	scores model.ScoreStore
	cols   []model.Column
	ndjson bool
}

// write writes the output to w: parts in order, the first read from first,
// which the caller closes. It returns the index of the part it failed on
// (-1: the header), with the error.
func (s *outputStream) write(w io.Writer, parts []*model.ScorePart, first io.Reader) (int, error) {
	var bw *bufio.Writer
	if s.ndjson {
		bw = bufio.NewWriterSize(w, ndjsonBufferSize)
	} else if _, err := w.Write(scoring.CSVHeader(s.cols)); err != nil {
		return -1, err
	}
	for i, p := range parts {
		if err := s.writePart(w, bw, p, i, first); err != nil {
			return i, fmt.Errorf("part %s: %w", p.ID, err)
		}
	}
	if bw != nil {
		if err := bw.Flush(); err != nil {
			return len(parts) - 1, err
		}
	}
	return 0, nil
}

// writePart writes part p, the i-th, as CSV to w or as NDJSON to bw. It
// reads exactly the part's output_bytes: never more than the Content-Length
// promised, and fewer is an error.
func (s *outputStream) writePart(w io.Writer, bw *bufio.Writer, p *model.ScorePart, i int, first io.Reader) error {
	r := first
	if i > 0 {
		rc, err := openPartOutput(s.ctx, s.scores, p)
		if err != nil {
			return err
		}
		defer rc.Close()
		r = rc
	}
	src := &io.LimitedReader{R: r, N: p.OutputBytes}
	var err error
	if bw != nil {
		err = scoring.WriteNDJSON(bw, src, s.cols)
	} else {
		_, err = io.Copy(w, src)
	}
	if err != nil {
		return err
	}
	if src.N > 0 {
		return fmt.Errorf("its output file ends %d bytes short of its %d", src.N, p.OutputBytes)
	}
	return nil
}

// deadlineWriter writes a response body that may take longer than the
// server's write timeout: before a write, when half the window has passed
// since it last did, it moves the connection's write deadline to window
// from now. It records the first error writing to the client, to tell it
// from a failure reading the output.
type deadlineWriter struct {
	w      io.Writer
	rc     *http.ResponseController
	window time.Duration // 0: no deadline to move
	next   time.Time     // when to move it again
	n      int64         // bytes written
	err    error
}

func (d *deadlineWriter) Write(p []byte) (int, error) {
	if d.err != nil {
		return 0, d.err
	}
	if d.window > 0 {
		if now := time.Now(); !now.Before(d.next) {
			// ErrNotSupported: a writer without a connection (tests).
			if err := d.rc.SetWriteDeadline(now.Add(d.window)); err != nil && !errors.Is(err, http.ErrNotSupported) {
				d.err = err
				return 0, err
			}
			d.next = now.Add(d.window / 2)
		}
	}
	n, err := d.w.Write(p)
	d.n += int64(n)
	if err != nil {
		d.err = err
	}
	return n, err
}

// wantsNDJSON reports whether the Accept header prefers NDJSON to CSV: it
// lists application/x-ndjson with a quality above 0 and above that of any
// text/csv it lists. Anything else, no Accept or */* included, gets CSV.
func wantsNDJSON(h http.Header) bool {
	ndjson, csv := 0.0, -1.0
	for _, v := range h.Values("Accept") {
		for rng := range strings.SplitSeq(v, ",") {
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(rng))
			if err != nil {
				continue
			}
			q := 1.0
			if s, ok := params["q"]; ok {
				if q, err = strconv.ParseFloat(s, 64); err != nil {
					continue
				}
			}
			switch mt {
			case mediaNDJSON:
				ndjson = max(ndjson, q)
			case mediaCSV:
				csv = max(csv, q)
			}
		}
	}
	return ndjson > 0 && ndjson > csv
}
