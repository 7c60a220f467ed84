package worker

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"gitlab.com/mlserve/mlserve/internal/scoring"
	"gitlab.com/mlserve/mlserve/model"
)

// Defaults for ScoreDeps fields left zero.
const (
	defaultPartLease = 30 * time.Second
	defaultPartPoll  = 250 * time.Millisecond
	defaultPartRows  = 100_000
)

// PartQueue offers the parts of a score job to every worker.
type PartQueue interface {
	// EnqueuePart asks some worker to score part. Enqueuing a part whose
	// task exists already is not an error.
	EnqueuePart(ctx context.Context, part *model.ScorePart) error
}

// ScoreDeps are what the score handler works with.
type ScoreDeps struct {
	Jobs     model.JobStore
	Datasets model.DatasetStore
	Scores   model.ScoreStore
	// Models loads the version a job scores with; a cache, so the parts a
	// worker scores load the model once.
	Models model.Models
	Parts  PartQueue
	// PartRows is the most rows in one part (jobs.score_part_rows).
	PartRows int
	// Lease is how long a claim on a part holds without being renewed; a
	// scorer that dies loses its parts to another after that long.
	Lease time.Duration
	// Poll is how often a part task checks its job for cancellation and
	// how often the coordinator looks at parts other workers score.
	Poll time.Duration
	// Scored, when set, is told the rows of every part this worker
	// completes.
	Scored func(rows int64)
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// ScoreHandler runs score jobs. As a Handler it is a job's coordinator: it
// splits the dataset into parts, offers them to every worker as part tasks,
// scores the parts nobody else has claimed, and finishes the job once
// every part is done. RunPart scores one part for a part task.
//
// The parts of a job have fixed ids and ranges once its plan is recorded,
// and the job's progress is computed from the part documents, never
// incremented, so a part scored twice (a redelivered task, a worker that
// died after writing) is counted once, and its output is whichever scoring
// completed it first.
type ScoreHandler struct {
	d ScoreDeps
	// owner prefixes the claims this process makes; claims holds the
	// number of the next one, so every scoring has its own owner name and
	// two scorings in one process never share a claim.
	owner  string
	claims atomic.Int64
}

// NewScoreHandler returns the handler of score jobs and their part tasks.
func NewScoreHandler(d ScoreDeps) *ScoreHandler {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Lease <= 0 {
		d.Lease = defaultPartLease
	}
	if d.Poll <= 0 {
		d.Poll = defaultPartPoll
	}
	if d.PartRows <= 0 {
		d.PartRows = defaultPartRows
	}
	host, _ := os.Hostname()
	return &ScoreHandler{d: d, owner: host + ":" + strconv.Itoa(os.Getpid())}
}

// newOwner returns a fresh owner name for one scoring of a part.
func (h *ScoreHandler) newOwner() string {
	return h.owner + "/" + strconv.FormatInt(h.claims.Add(1), 10)
}

// scoreSetup is what scoring any part of a job needs: the model and how
// the dataset's records map to it.
type scoreSetup struct {
	job     *model.Job
	dataset *model.Dataset
	version *model.ModelVersion
	pred    model.Predictor
	layout  *scoring.Layout
}

// setup loads the job's model version and dataset. The request was checked
// against both at submit time; a version or dataset deleted since fails the
// job.
func (h *ScoreHandler) setup(ctx context.Context, job *model.Job) (*scoreSetup, error) {
	req := &job.Request
	ds, err := h.d.Datasets.Dataset(ctx, req.Dataset)
	if model.ErrorCode(err) == model.CodeNotFound {
		return nil, model.Errorf(model.CodeNotFound, "dataset %s was deleted before the job ran", req.Dataset)
	}
	if err != nil {
		return nil, fmt.Errorf("look up dataset %s: %w", req.Dataset, err)
	}
	v, pred, err := h.d.Models.Resolve(ctx, req.Model, req.Version, "")
	if model.ErrorCode(err) == model.CodeNotFound {
		return nil, model.Errorf(model.CodeNotFound, "model %s version %d was deleted before the job ran", req.Model, req.Version)
	}
	if err != nil {
		return nil, fmt.Errorf("load model %s version %d: %w", req.Model, req.Version, err)
	}
	layout, err := scoring.NewLayout(ds.Columns, pred, req.IncludeInput)
	if err != nil {
		return nil, err
	}
	return &scoreSetup{job: job, dataset: ds, version: v, pred: pred, layout: layout}, nil
}
