package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"strings"
	"time"

	"gitlab.com/mlserve/mlserve/model"
)

// headerIdempotencyKey makes POST /v1/jobs safe to retry: the same key
// returns the same job.
const headerIdempotencyKey = "Idempotency-Key"

// maxIdempotencyKeyLen bounds the key; it is hashed, never stored as is,
// but a client has no need for more.
const maxIdempotencyKeyLen = 255

// cleanupTimeout bounds removing a job that could not be enqueued. The
// cleanup runs even when the client has gone: an orphaned queued job that
// no task carries would stay queued forever.
const cleanupTimeout = 5 * time.Second

// handleJobCreate submits a job: decode and Valid, check the request
// against the stores (everything checkable now is a 422, not a failed job),
// CreateJob with the Idempotency-Key, then Enqueue. When Enqueue fails the
// job this call created is deleted and the answer is 503, so a client never
// holds the id of a job no worker will run. A replayed key whose job is still
// queued is enqueued again (a duplicate task id is not an error), which heals
// an earlier lost enqueue. Replays answer 202 like the first call, with the
// header Idempotent-Replayed: true. A key is the caller's own (it is scoped
// to the API key's name), binds the request it came with (another request
// under it is a 422) and holds for idempotencyTTL.
func handleJobCreate(logger *slog.Logger, jobs model.JobStore, datasets model.DatasetStore, versions model.VersionStore, queue model.JobQueue,
	maxTrials int, idempotencyTTL time.Duration, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		var req model.JobRequest
		if err := decode(r, &req); err != nil {
			writeError(w, r, logger, err)
			return
		}
		idem, err := idempotency(r, &req, now().Add(idempotencyTTL))
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		if err := checkJobRequest(ctx, &req, datasets, versions, maxTrials); err != nil {
			writeError(w, r, logger, err)
			return
		}
		job, created, err := jobs.CreateJob(ctx, &model.Job{Type: req.Type, Status: model.StatusQueued, Request: req}, idem)
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		if created || job.Status == model.StatusQueued {
			if err := queue.Enqueue(ctx, job); err != nil {
				logger.WarnContext(ctx, "enqueue job", "request_id", requestID(ctx), "job_id", job.ID, "err", err)
				if created {
					deleteUnqueued(ctx, logger, jobs, job.ID)
				}
				writeError(w, r, logger, model.Errorf(model.CodeUnavailable, "the job queue is unavailable; submit the job again later"))
				return
			}
		}
		if !created {
			w.Header().Set("Idempotent-Replayed", "true")
		}
		w.Header().Set("Location", "/v1/jobs/"+job.ID)
		writeJSON(w, r, logger, http.StatusAccepted, job)
	})
}

// deleteUnqueued removes a job whose enqueue failed, on a context that
// outlives the request.
func deleteUnqueued(ctx context.Context, logger *slog.Logger, jobs model.JobStore, id string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	if err := jobs.DeleteQueuedJob(ctx, id); err != nil {
		logger.ErrorContext(ctx, "delete unqueued job; it stays queued until a retry with its idempotency key",
			"request_id", requestID(ctx), "job_id", id, "err", err)
	}
}

// idempotency is the model.Idempotency of a request's Idempotency-Key
// header, nil without one: the key hashed with the caller's scope (its API
// key's name; with auth off every caller shares one), and the hash of the
// canonical request, req as decoded and re-encoded (so spacing and field
// order do not matter), bound until expires. A key is 1 to 255 printable
// ASCII characters.
func idempotency(r *http.Request, req *model.JobRequest, expires time.Time) (*model.Idempotency, error) {
	key := r.Header.Get(headerIdempotencyKey)
	if key == "" {
		return nil, nil
	}
	if len(key) > maxIdempotencyKeyLen || !printable(key) {
		return nil, model.Invalid(map[string]string{headerIdempotencyKey: fmt.Sprintf("must be at most %d printable ASCII characters", maxIdempotencyKeyLen)})
	}
	var scope string
	if p, _ := r.Context().Value(principalKey{}).(*principal); p != nil {
		scope = p.name
	}
	canonical, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encode the request for its idempotency hash: %w", err)
	}
	keySum := sha256.Sum256([]byte("idempotency:" + scope + "\x00" + key))
	reqSum := sha256.Sum256(canonical)
	return &model.Idempotency{Key: hex.EncodeToString(keySum[:]), RequestHash: hex.EncodeToString(reqSum[:]), Expires: expires}, nil
}

// checkJobRequest checks a shape-valid request against the stores: the
// dataset exists and has the columns the job needs; a score job's model
// version resolves, and is recorded in req.Version; a search asks for at
// most maxTrials trials. Problems are 422s naming the field.
func checkJobRequest(ctx context.Context, req *model.JobRequest, datasets model.DatasetStore, versions model.VersionStore, maxTrials int) error {
	ds, err := datasets.Dataset(ctx, req.Dataset)
	if model.ErrorCode(err) == model.CodeNotFound {
		return model.Invalid(map[string]string{"dataset": fmt.Sprintf("unknown dataset %q", req.Dataset)})
	}
	if err != nil {
		return fmt.Errorf("look up dataset %s: %w", req.Dataset, err)
	}
	switch req.Type {
	case model.JobTrain:
		return fillTrainRequest(req, ds, maxTrials)
	case model.JobScore:
		v, err := versions.ResolveVersion(ctx, req.Model, req.Version, req.Alias)
		if model.ErrorCode(err) == model.CodeNotFound {
			return model.Invalid(map[string]string{versionField(req): model.ErrorMessage(err)})
		}
		if err != nil {
			return fmt.Errorf("resolve model %s: %w", req.Model, err)
		}
		if p := scoreProblems(v, ds, req.IncludeInput); len(p) > 0 {
			return model.Invalid(p)
		}
		// Pin the version now: moving an alias later must not change what
		// a queued or retried job scores with. Alias stays as given, for
		// the record.
		req.Version = v.Version
	}
	return nil
}

// fillTrainRequest checks a train request against its dataset (columns,
// parameters, validation, a search of at most maxTrials trials) and
// records in it what training will use: the task, the features and every
// parameter with its default filled in (a search's candidates are
// recorded by the version it makes).
func fillTrainRequest(req *model.JobRequest, ds *model.Dataset, maxTrials int) error {
	spec, err := model.PrepareTrain(req, ds)
	if err != nil {
		return err
	}
	if s := spec.Search; s != nil && len(s.Candidates) > maxTrials {
		return model.Invalid(map[string]string{"search": fmt.Sprintf("%d trials, more than jobs.max_trials (%d)", len(s.Candidates), maxTrials)})
	}
	req.Features = make([]string, len(spec.Features))
	for i, f := range spec.Features {
		req.Features[i] = f.Name
	}
	req.Task = spec.Task
	if spec.Search == nil {
		req.Params = spec.Params
	}
	req.Validation = &spec.Validation
	return nil
}

// scoreProblems checks that the dataset fits the version: it has every
// feature, with a usable type (a string column cannot feed a number
// feature; an all-empty column feeds either) and no empty cells unless the
// algorithm handles missing values (model.Algorithm.MissingValues) or a
// step of the version imputes them, and, with includeInput, no column
// named like an output column.
func scoreProblems(v *model.ModelVersion, ds *model.Dataset, includeInput bool) map[string]string {
	columns := make(map[string]model.Column, len(ds.Columns))
	for _, c := range ds.Columns {
		columns[c.Name] = c
	}
	alg, _ := model.LookupAlgorithm(v.Algorithm)
	var problems []string
	for _, f := range v.Features {
		c, ok := columns[f.Name]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("no column %q", f.Name))
		case f.Type == model.ColumnNumber && c.Type == model.ColumnString:
			problems = append(problems, fmt.Sprintf("column %q holds strings where the model needs numbers", f.Name))
		case c.Empty > 0 && !alg.MissingValues && !v.Imputes(f.Name):
			problems = append(problems, fmt.Sprintf("column %q has %d empty cells; %s cannot handle missing values", f.Name, c.Empty, v.Algorithm))
		}
	}
	p := map[string]string{}
	if len(problems) > 0 {
		p["dataset"] = fmt.Sprintf("does not fit model %s version %d: %s", v.Name, v.Version, strings.Join(problems, "; "))
	}
	// Every classifier mlserve trains has probabilities.
	if _, err := model.ScoreOutputColumns(ds.Columns, v.Task, v.Classes, v.Task == model.TaskClassification, includeInput); err != nil {
		if e, ok := errors.AsType[*model.Error](err); ok && len(e.Fields) > 0 {
			maps.Copy(p, e.Fields)
		} else {
			p["include_input"] = model.ErrorMessage(err)
		}
	}
	return p
}

// versionField names the request field that chose the model version.
func versionField(req *model.JobRequest) string {
	switch {
	case req.Version > 0:
		return "version"
	case req.Alias != "":
		return "alias"
	}
	return "model"
}
