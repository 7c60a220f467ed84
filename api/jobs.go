package api

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"gitlab.com/mlserve/mlserve/model"
)

// maxJobPageSize is the largest limit GET /v1/jobs accepts.
const maxJobPageSize = 100

// maxCursorLen bounds the opaque cursor a client hands back.
const maxCursorLen = 512

// handleJobGet answers the job, or 404.
func handleJobGet(logger *slog.Logger, jobs model.JobStore) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		job, err := jobs.Job(r.Context(), chi.URLParam(r, idParam))
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		writeJSON(w, r, logger, http.StatusOK, job)
	})
}

// handleJobList answers one page of jobs, newest first, filtered by the
// query parameters type, status, model, limit and cursor. Any other
// parameter, or a bad value, is a 422 naming it.
func handleJobList(logger *slog.Logger, jobs model.JobStore) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, err := parseJobFilter(r.URL.RawQuery)
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		page, err := jobs.ListJobs(r.Context(), f)
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		if page.Jobs == nil {
			page.Jobs = []*model.Job{} // [] reads better than null
		}
		writeJSON(w, r, logger, http.StatusOK, page)
	})
}

// parseJobFilter parses and checks GET /v1/jobs's query. An empty value
// ("?type=&status=", as forms send) filters nothing.
func parseJobFilter(rawQuery string) (model.JobFilter, error) {
	var f model.JobFilter
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return f, model.Errorf(model.CodeMalformed, "malformed query string: %v", err)
	}
	p := map[string]string{}
	for name, vals := range q {
		if len(vals) > 1 {
			p[name] = "give at most one value"
			continue
		}
		v := vals[0]
		if v == "" && isJobFilterParam(name) {
			continue
		}
		switch name {
		case "type":
			f.Type = model.JobType(v)
			if !slices.Contains(model.JobTypes(), f.Type) {
				p[name] = fmt.Sprintf("unknown job type %q (want train or score)", v)
			}
		case "status":
			f.Status = model.JobStatus(v)
			if !f.Status.Valid() {
				p[name] = fmt.Sprintf("unknown status %q (want queued, running, succeeded, failed or canceled)", v)
			}
		case "model":
			f.Model = v
			if !model.ValidName(v) {
				p[name] = "must match [a-z0-9][a-z0-9_.-]{0,62}"
			}
		case "limit":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > maxJobPageSize {
				p[name] = fmt.Sprintf("must be an integer from 1 to %d", maxJobPageSize)
			}
			f.Limit = n
		case "cursor":
			f.Cursor = v
			if len(v) > maxCursorLen {
				p[name] = "must be the next_cursor of a previous page"
			}
		default:
			p[name] = "unknown query parameter (want type, status, model, limit or cursor)"
		}
	}
	return f, model.Invalid(p)
}

func isJobFilterParam(name string) bool {
	switch name {
	case "type", "status", "model", "limit", "cursor":
		return true
	}
	return false
}

// handleJobCancel cancels a job: a queued job is canceled at once, a running
// one is flagged and its worker ends it. The queue is then told, best effort
// (the job document is what the worker obeys). 202 with the job; 409 when it
// already ended; 404 when it never existed.
func handleJobCancel(logger *slog.Logger, jobs model.JobStore, queue model.JobQueue, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		job, err := jobs.CancelJob(ctx, chi.URLParam(r, idParam), now())
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		if err := queue.Cancel(ctx, job); err != nil {
			logger.WarnContext(ctx, "cancel job task", "request_id", requestID(ctx), "job_id", job.ID, "err", err)
		}
		writeJSON(w, r, logger, http.StatusAccepted, job)
	})
}

// handleJobDelete deletes a finished job and what it left in the store (a
// score job's output): 204; 409 while it is queued or running, so a worker
// never loses the job under it; 404 when it does not exist.
func handleJobDelete(logger *slog.Logger, jobs model.JobStore) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := jobs.DeleteJob(r.Context(), chi.URLParam(r, idParam)); err != nil {
			writeError(w, r, logger, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}
