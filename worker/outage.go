package worker

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/hibiken/asynq"
)

// defaultStoreRetryDelay is about how long a task waits to be retried
// after the job store failed (the delay is random in [d/2, d]).
const defaultStoreRetryDelay = 10 * time.Second

// storeError marks a failure of the job store, as opposed to one of the
// job itself. asynq retries such a task without using up the job's retry
// budget (see isFailure), at a steady pace: a job that arrives while
// MongoDB is down must run once it is back, not be archived by asynq while
// its document still says queued (an archived task also blocks enqueuing
// the job again, since the task id is the job id).
type storeError struct{ err error }

func (e *storeError) Error() string { return e.err.Error() }
func (e *storeError) Unwrap() error { return e.err }

// storeFailed returns a storeError with a formatted message.
func storeFailed(format string, args ...any) error {
	return &storeError{fmt.Errorf(format, args...)}
}

// isFailure is asynq's IsFailure: whether an error counts against the
// task's retry budget.
func isFailure(err error) bool {
	var e *storeError
	return !errors.As(err, &e)
}

// retryDelayFor is asynq's RetryDelayFunc: backoff for failed jobs, a
// steady jittered pace while the store is down (n does not grow then).
func (w *Worker) retryDelayFor(n int, err error, t *asynq.Task) time.Duration {
	if !isFailure(err) {
		d := w.storeRetryDelay
		return d/2 + rand.N(d/2+1)
	}
	return w.retryDelay(n, err, t)
}

// dropIfLast turns a store failure on a task's last allowed delivery into
// asynq.RevokeTask. asynq would archive the task there whatever isFailure
// says; revoking deletes it instead, so re-enqueuing the job, which the
// worker does for every queued or running job when it starts, works.
func (w *Worker) dropIfLast(ctx context.Context, task *asynq.Task, err error) error {
	if isFailure(err) {
		return err
	}
	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, _ := asynq.GetMaxRetry(ctx)
	if retried < maxRetry {
		return err
	}
	id, _ := asynq.GetTaskID(ctx)
	w.logger.Error("job store failed on the task's last retry; dropping the task until the job is enqueued again",
		"job_id", id, "type", task.Type(), "err", err)
	return fmt.Errorf("%w: %w", err, asynq.RevokeTask)
}
