package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"

	"github.com/hibiken/asynq"

	"gitlab.com/mlserve/mlserve/internal/tasks"
	"gitlab.com/mlserve/mlserve/model"
)

// process runs one delivery of a job task. Its error tells asynq what to do
// with the task: nil acknowledges it, an error wrapping asynq.SkipRetry
// archives it, any other error retries it with backoff, and a storeError
// retries it without using up its retry budget. The job document is updated
// first, so it never claims less than asynq will do.
func (w *Worker) process(ctx context.Context, task *asynq.Task, h Handler) error {
	w.running.add()
	defer w.running.done()
	p, err := tasks.ParsePayload(task)
	if err != nil {
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	log := w.logger.With("job_id", p.JobID, "type", task.Type())
	job, err := w.jobs.StartAttempt(ctx, p.JobID, w.now())
	switch model.ErrorCode(err) {
	case "":
	case model.CodeConflict:
		return w.notStarted(ctx, job, log)
	case model.CodeNotFound:
		log.Warn("dropping the task of an unknown job")
		return fmt.Errorf("start job %s: %w: %w", p.JobID, err, asynq.SkipRetry)
	default:
		return storeFailed("start job %s: %w", p.JobID, err)
	}
	a := &attempt{w: w, job: job, n: job.Attempts, log: log.With("attempt", job.Attempts)}
	a.log.Info("job started")
	return a.settle(ctx, a.run(ctx, h))
}

// notStarted handles a delivery whose job cannot start: it ended already
// (a duplicate or late delivery), or its cancellation was requested while
// it ran, and the attempt that should have ended it was interrupted.
func (w *Worker) notStarted(ctx context.Context, job *model.Job, log *slog.Logger) error {
	if job == nil {
		return nil
	}
	if job.Status == model.StatusRunning && job.CancelRequested {
		a := &attempt{w: w, job: job, n: job.Attempts, log: log.With("attempt", job.Attempts)}
		return a.finish(ctx, model.StatusCanceled, nil, canceledOnRequest())
	}
	log.Info("job cannot start; dropping its task", "status", job.Status, "cancel_requested", job.CancelRequested)
	return nil
}

// attempt is one execution of a job. Every write it makes is fenced by n,
// so a stale execution cannot overwrite a newer one.
type attempt struct {
	w   *Worker
	job *model.Job
	n   int // the job's attempts after StartAttempt
	log *slog.Logger
}

// outcome is how a handler returned.
type outcome struct {
	result   *model.JobResult
	err      error
	panicked bool
	ctxErr   error // the handler context's Err when the handler returned
	cause    error // and its context.Cause
}

// run calls h with a context that ends when asynq cancels the task, when
// the job's timeout passes, or when the watcher sees that the job was
// canceled or the attempt superseded. A panic becomes an outcome.
func (a *attempt) run(ctx context.Context, h Handler) (o outcome) {
	ctx, cancel := context.WithCancelCause(ctx)
	if d := a.w.opts.Timeout(a.job.Type); d > 0 {
		var stop context.CancelFunc
		ctx, stop = context.WithTimeout(ctx, d)
		defer stop()
	}
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		a.watch(ctx, cancel)
	}()
	defer func() {
		o.ctxErr, o.cause = ctx.Err(), context.Cause(ctx)
		cancel(nil) // stops the watcher
		<-watched
	}()
	defer func() {
		if v := recover(); v != nil {
			o.panicked = true
			o.err = fmt.Errorf("job handler panicked: %v", v)
			a.log.Error("job handler panicked", "panic", v, "stack", string(debug.Stack()))
		}
	}()
	o.result, o.err = h.Run(ctx, a.job, &reporter{a: a, ctx: ctx, cancel: cancel})
	return o
}

// settle records the outcome and tells asynq what to do with the task.
func (a *attempt) settle(ctx context.Context, o outcome) error {
	switch {
	case o.panicked:
		// A panic is a bug: running the job again would only repeat it.
		return a.fail(ctx, &model.JobError{Code: model.CodeInternal, Message: "the job handler crashed"}, o.err)
	case o.err == nil:
		return a.finish(ctx, model.StatusSucceeded, o.result, nil)
	case o.ctxErr != nil:
		return a.interrupted(ctx, o)
	case !retryable(o.err):
		return a.fail(ctx, jobError(o.err), o.err)
	}
	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, _ := asynq.GetMaxRetry(ctx)
	if retried >= maxRetry {
		return a.fail(ctx, jobError(o.err), o.err)
	}
	a.log.Warn("job attempt failed; it will be retried", "err", o.err, "retried", retried, "max_retry", maxRetry)
	if err := a.requeue(ctx, jobError(o.err)); err != nil {
		return err
	}
	return o.err
}

// interrupted settles an attempt whose handler stopped because its context
// ended.
func (a *attempt) interrupted(ctx context.Context, o outcome) error {
	if errors.Is(o.cause, ErrStaleAttempt) {
		a.log.Info("attempt superseded; leaving the job to its current attempt")
		return nil
	}
	cancelRequested := errors.Is(o.cause, ErrCancelRequested)
	if !cancelRequested {
		// asynq's cancellation signal (queue.Cancel) outruns the watcher's
		// polling: look at the job once more.
		sctx, done := storeContext(ctx)
		job, err := a.w.jobs.Job(sctx, a.job.ID)
		done()
		cancelRequested = err == nil && job.CancelRequested
	}
	switch {
	case cancelRequested:
		return a.finish(ctx, model.StatusCanceled, nil, canceledOnRequest())
	case errors.Is(o.ctxErr, context.DeadlineExceeded):
		msg := fmt.Sprintf("the job ran past its %s timeout", a.w.opts.Timeout(a.job.Type))
		return a.fail(ctx, &model.JobError{Code: model.CodeTimeout, Message: msg}, o.ctxErr)
	}
	// asynq stopped the task: the worker is shutting down (asynq has put
	// the task back in its queue) or the task was canceled without a cancel
	// request on the job (asynq retries it). Either way the job waits again.
	a.log.Info("job interrupted; handing it back", "cause", o.cause)
	if err := a.requeue(ctx, nil); err != nil {
		return err
	}
	return fmt.Errorf("job %s interrupted: %w", a.job.ID, o.cause)
}

// fail ends the job failed and archives its task.
func (a *attempt) fail(ctx context.Context, jobErr *model.JobError, cause error) error {
	if err := a.finish(ctx, model.StatusFailed, nil, jobErr); err != nil {
		return err // retried: the next delivery runs the job again
	}
	return fmt.Errorf("%w: %w", cause, asynq.SkipRetry)
}

// finish records the attempt's terminal status. A stale attempt's outcome
// is dropped: the job belongs to a newer attempt or has ended.
func (a *attempt) finish(ctx context.Context, status model.JobStatus, result *model.JobResult, jobErr *model.JobError) error {
	sctx, done := storeContext(ctx)
	defer done()
	err := a.w.jobs.Finish(sctx, a.job.ID, a.n, status, result, jobErr, a.w.now())
	switch model.ErrorCode(err) {
	case "":
		attrs := []any{"status", status}
		if jobErr != nil {
			attrs = append(attrs, "error_code", jobErr.Code, "error", jobErr.Message)
		}
		a.log.Info("job finished", attrs...)
		return nil
	case model.CodeConflict:
		a.log.Info("attempt is stale; its outcome is dropped", "status", status, "err", err)
		return nil
	}
	return storeFailed("record job %s as %s: %w", a.job.ID, status, err)
}

// requeue hands the job back to the queue, keeping lastErr when the
// attempt failed. When the store refuses because the attempt is stale, or
// because cancellation was requested, the next delivery of the task
// settles the job.
func (a *attempt) requeue(ctx context.Context, lastErr *model.JobError) error {
	sctx, done := storeContext(ctx)
	defer done()
	err := a.w.jobs.Requeue(sctx, a.job.ID, a.n, lastErr)
	switch model.ErrorCode(err) {
	case "":
		return nil
	case model.CodeConflict:
		a.log.Info("job not requeued", "err", err)
		return nil
	}
	return storeFailed("requeue job %s: %w", a.job.ID, err)
}

// storeContext returns a context for recording an outcome: it keeps ctx's
// values but not its cancellation, which has often happened already (a
// shutdown, a cancel signal), and it is bounded on its own.
func storeContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
}

// canceledOnRequest is the error of a job canceled by a user, worded as the
// store words it for a job canceled while queued.
func canceledOnRequest() *model.JobError {
	return &model.JobError{Code: model.CodeCanceled, Message: "canceled on request"}
}
