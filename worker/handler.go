package worker

import (
	"context"
	"errors"
	"fmt"

	"gitlab.com/mlserve/mlserve/model"
)

// Handler runs one attempt of a job. The worker has already moved the job to
// running and will record the outcome: Run only does the work.
//
// Jobs are at-least-once: an attempt may be interrupted and the job run
// again, so Run must be idempotent (deterministic output ids, overwrite
// rather than append). It must return soon after ctx is done; the cause
// (context.Cause) says why: ErrCancelRequested, ErrStaleAttempt, the job's
// timeout or the worker shutting down.
//
// A *model.Error with code invalid, malformed, not_found, conflict,
// timeout or canceled fails the job at once; any other error is
// retried with backoff while the job's retry budget lasts.
type Handler interface {
	Run(ctx context.Context, job *model.Job, progress Reporter) (*model.JobResult, error)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, job *model.Job, progress Reporter) (*model.JobResult, error)

// Run calls f.
func (f HandlerFunc) Run(ctx context.Context, job *model.Job, progress Reporter) (*model.JobResult, error) {
	return f(ctx, job, progress)
}

// Handlers maps each job type to its handler.
type Handlers map[model.JobType]Handler

// Reporter records a running job's progress.
type Reporter interface {
	// Report stores p as the job's progress. It returns an error only when
	// the handler should stop: ErrCancelRequested or ErrStaleAttempt (which
	// also cancel the handler's context), or the cause of the handler's
	// context when it is already done. A failure to store the progress is
	// logged, not returned: progress is advisory.
	Report(ctx context.Context, p model.Progress) error
}

// ErrCancelRequested is the context cause, and Report's error, when a user
// asked to cancel the job. It wraps context.Canceled.
var ErrCancelRequested = fmt.Errorf("job cancellation was requested: %w", context.Canceled)

// ErrStaleAttempt is the context cause, and Report's error, when this
// attempt no longer owns the job: another attempt started, or the job ended.
// Nothing the attempt writes will be stored. It wraps context.Canceled.
var ErrStaleAttempt = fmt.Errorf("the attempt is no longer the job's current one: %w", context.Canceled)

// retryable reports whether a handler error may go away on a later attempt:
// plain errors (I/O, a store hiccup) and the codes internal and unavailable.
// The other codes describe the job itself, which a retry does not change.
func retryable(err error) bool {
	code := model.ErrorCode(err)
	return code == model.CodeInternal || code == model.CodeUnavailable
}

// jobError is what a job shows for err: a domain error's code and message,
// else code internal with the error text, which is the only clue a user
// gets about why the job failed.
func jobError(err error) *model.JobError {
	var e *model.Error
	if errors.As(err, &e) {
		return &model.JobError{Code: e.Code, Message: e.Message}
	}
	return &model.JobError{Code: model.CodeInternal, Message: err.Error()}
}
