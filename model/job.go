package model

import (
	"context"
	"time"
)

// JobType names a kind of asynchronous work. It is also the asynq task type
// and the queue the task is enqueued on.
type JobType string

// The job types.
const (
	JobTrain JobType = "train"
	JobScore JobType = "score"
)

// JobTypes lists every job type, in a stable order.
func JobTypes() []JobType { return []JobType{JobTrain, JobScore} }

// JobStatus is where a job is in its life.
type JobStatus string

// The job statuses. Queued and running are live; the rest are terminal.
const (
	StatusQueued    JobStatus = "queued"
	StatusRunning   JobStatus = "running"
	StatusSucceeded JobStatus = "succeeded"
	StatusFailed    JobStatus = "failed"
	StatusCanceled  JobStatus = "canceled"
)

// Terminal reports whether a job in status s will never change again.
func (s JobStatus) Terminal() bool {
	return s == StatusSucceeded || s == StatusFailed || s == StatusCanceled
}

// Valid reports whether s is one of the job statuses.
func (s JobStatus) Valid() bool {
	switch s {
	case StatusQueued, StatusRunning, StatusSucceeded, StatusFailed, StatusCanceled:
		return true
	}
	return false
}

// Progress counts the units of work a job has done out of its total
// (stages and folds for training, rows for scoring).
type Progress struct {
	Done  int64 `json:"done" bson:"done"`
	Total int64 `json:"total" bson:"total"`
	// PartsDone and PartsTotal count a score job's parts (see ScorePart);
	// PartsTotal is 0 until the job's plan is stored.
	PartsDone  int `json:"parts_done,omitempty" bson:"parts_done,omitempty"`
	PartsTotal int `json:"parts_total,omitempty" bson:"parts_total,omitempty"`
}

// JobError is why a job failed.
type JobError struct {
	Code    string `json:"code" bson:"code"`
	Message string `json:"message" bson:"message"`
}

// Job is one asynchronous unit of work. Its document in the store is the
// source of truth for its status; the task queue only carries it.
type Job struct {
	ID         string     `json:"id" bson:"_id"`
	Type       JobType    `json:"type" bson:"type"`
	Status     JobStatus  `json:"status" bson:"status"`
	Progress   Progress   `json:"progress" bson:"progress"`
	Attempts   int        `json:"attempts" bson:"attempts"`
	CreatedAt  time.Time  `json:"created_at" bson:"created_at"`
	StartedAt  *time.Time `json:"started_at,omitempty" bson:"started_at,omitempty"`
	FinishedAt *time.Time `json:"finished_at,omitempty" bson:"finished_at,omitempty"`
	Request    JobRequest `json:"request" bson:"request"`
	Result     *JobResult `json:"result,omitempty" bson:"result,omitempty"`
	Error      *JobError  `json:"error,omitempty" bson:"error,omitempty"`
	// CancelRequested is set when a user asks to cancel a running job; the
	// worker running it sees the flag and ends the job canceled.
	CancelRequested bool `json:"cancel_requested,omitempty" bson:"cancel_requested,omitempty"`
}

// JobRequest is what a user submitted. One struct serves every job type;
// Valid checks that only the fields of the request's type are set.
type JobRequest struct {
	Type    JobType `json:"type" bson:"type"`
	Model   string  `json:"model" bson:"model"`
	Dataset string  `json:"dataset" bson:"dataset"`

	// Train.
	Target    string   `json:"target,omitempty" bson:"target,omitempty"`
	Features  []string `json:"features,omitempty" bson:"features,omitempty"`
	Algorithm string   `json:"algorithm,omitempty" bson:"algorithm,omitempty"`
	// Task is TaskClassification, TaskRegression, or "" to infer it from
	// the target (see InferTask).
	Task       string          `json:"task,omitempty" bson:"task,omitempty"`
	Params     map[string]any  `json:"params,omitempty" bson:"params,omitempty"`
	Validation *ValidationSpec `json:"validation,omitempty" bson:"validation,omitempty"`
	SetAlias   string          `json:"set_alias,omitempty" bson:"set_alias,omitempty"`
	// Preprocess are the steps applied to the features before the
	// algorithm sees them (SPEC 5.1).
	Preprocess []Step `json:"preprocess,omitempty" bson:"preprocess,omitempty"`
	// Search, when set, chooses the algorithm's parameters (or the
	// algorithm) by cross-validation (SPEC 5.1).
	Search *SearchSpec `json:"search,omitempty" bson:"search,omitempty"`

	// Score. The API resolves the model version when the job is submitted
	// and records it in Version (keeping Alias as given), so moving an
	// alias later does not change what a queued or running job scores with.
	Version      int    `json:"version,omitempty" bson:"version,omitempty"`
	Alias        string `json:"alias,omitempty" bson:"alias,omitempty"`
	IncludeInput bool   `json:"include_input,omitempty" bson:"include_input,omitempty"`
}

// ValidationSpec says how a training job evaluates its model: a seeded
// holdout fraction, or k-fold cross-validation when Folds > 1.
type ValidationSpec struct {
	Holdout float64 `json:"holdout" bson:"holdout"`
	Folds   int     `json:"folds" bson:"folds"`
	Seed    int64   `json:"seed" bson:"seed"`
}

// JobResult is what a job produced. Train jobs fill Model, Version and
// Metrics; score jobs fill Model and Version (the version that scored),
// Rows, OutputBytes (the size of the CSV output, header included) and
// Columns (the output's columns, see ScoreOutputColumns).
type JobResult struct {
	Model       string   `json:"model,omitempty" bson:"model,omitempty"`
	Version     int      `json:"version,omitempty" bson:"version,omitempty"`
	Metrics     *Metrics `json:"metrics,omitempty" bson:"metrics,omitempty"`
	Rows        int64    `json:"rows,omitempty" bson:"rows,omitempty"`
	OutputBytes int64    `json:"output_bytes,omitempty" bson:"output_bytes,omitempty"`
	Columns     []Column `json:"columns,omitempty" bson:"columns,omitempty"`
}

// JobFilter selects jobs for a listing. Zero fields match everything.
type JobFilter struct {
	Type   JobType
	Status JobStatus
	Model  string
	// Limit caps the page size; the store applies its own maximum.
	Limit int
	// Cursor is the opaque NextCursor of the previous page, or "".
	Cursor string
}

// JobPage is one page of a job listing, newest first.
type JobPage struct {
	Jobs []*Job `json:"jobs"`
	// NextCursor fetches the next page; "" when this is the last one.
	NextCursor string `json:"next_cursor,omitempty"`
}

// JobStore keeps job documents. Every method is a single-document operation,
// so it needs no transactions; the worker's updates are fenced by the attempt
// number, so a stale execution can never overwrite a newer one.
type JobStore interface {
	// CreateJob inserts a new queued job and fills its ID and CreatedAt.
	// With idem, a second call with the same unexpired idem.Key returns the
	// job the first call created and created=false; with another
	// RequestHash it is CodeInvalid, and while the first call has not
	// stored its job yet, CodeConflict. An expired key is free again.
	// A job whose dataset is deleted at the same time is not created:
	// CodeInvalid naming "dataset" when it is gone, CodeConflict while its
	// delete is under way (see DatasetStore.DeleteDataset).
	CreateJob(ctx context.Context, job *Job, idem *Idempotency) (stored *Job, created bool, err error)
	// Job returns the job with the given id, or CodeNotFound.
	Job(ctx context.Context, id string) (*Job, error)
	// ListJobs returns one page of jobs matching f, newest first.
	ListJobs(ctx context.Context, f JobFilter) (*JobPage, error)
	// DeleteQueuedJob removes a job that is still queued (used when it could
	// not be enqueued); a job in any other status is left alone.
	DeleteQueuedJob(ctx context.Context, id string) error
	// DeleteJob removes a finished job: its document first, so it is gone
	// at once, then what it left in the store (a score job's parts and
	// output files). CodeConflict while the job is queued or running;
	// CodeNotFound.
	DeleteJob(ctx context.Context, id string) error

	// StartAttempt moves a queued or running job, whose cancellation was not
	// requested, to running, increments its attempts and sets started_at on
	// the first attempt. It returns the updated job. When the job cannot
	// start it returns the job as it is and CodeConflict (it is terminal or
	// cancellation was requested), or CodeNotFound.
	StartAttempt(ctx context.Context, id string, now time.Time) (*Job, error)
	// SetProgress records progress for the given attempt of a running job.
	// It returns the job as stored after the update, so the caller also
	// learns whether cancellation was requested, or CodeConflict when the
	// attempt is no longer the current one.
	SetProgress(ctx context.Context, id string, attempt int, p Progress) (*Job, error)
	// Requeue hands a running attempt back: the job becomes queued again,
	// keeping lastErr (nil when the attempt was interrupted, not failed).
	// It is a no-op returning CodeConflict when the attempt is stale.
	Requeue(ctx context.Context, id string, attempt int, lastErr *JobError) error
	// Finish ends the given attempt of a running job with a terminal status
	// and its result or error, and sets finished_at. CodeConflict when the
	// attempt is stale or the job is no longer running.
	Finish(ctx context.Context, id string, attempt int, status JobStatus, result *JobResult, jobErr *JobError, now time.Time) error

	// CancelJob asks for a job to be canceled: a queued job becomes canceled
	// at once; a running job gets CancelRequested and its worker ends it.
	// It returns the updated job, CodeConflict for a terminal job, or
	// CodeNotFound.
	CancelJob(ctx context.Context, id string, now time.Time) (*Job, error)
}

// JobQueue carries jobs to the workers. The task id is the job id, so
// enqueuing the same job twice is harmless.
type JobQueue interface {
	// Enqueue hands a queued job to the workers. An existing task with the
	// job's id is not an error. CodeUnavailable when the queue is down.
	Enqueue(ctx context.Context, job *Job) error
	// Cancel removes a job's pending task or signals the worker running it.
	// It is best effort: the job document is what the worker obeys.
	Cancel(ctx context.Context, job *Job) error
	// Ping checks that the queue's backing store answers.
	Ping(ctx context.Context) error
}

// Idempotency binds an Idempotency-Key to the job it created: Key is the
// hash of the caller's scope (its API key's name, one shared scope with auth
// off) and the client's key, so callers cannot see each other's keys;
// RequestHash is the hash of the canonical request, so the key cannot be
// replayed with another body; the binding holds until Expires.
type Idempotency struct {
	Key         string
	RequestHash string
	Expires     time.Time
}
