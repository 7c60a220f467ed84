package worker

import (
	"context"
	"time"

	"gitlab.com/mlserve/mlserve/model"
)

// watch polls the job every worker.cancel_poll while its handler runs, and
// cancels the handler's context when the job's cancellation was requested or
// the attempt no longer owns the job. It is what makes cancellation work
// when asynq's cancel signal is lost (it is a Redis pub/sub message) and
// what stops a stale attempt early. It returns when ctx is done.
func (a *attempt) watch(ctx context.Context, cancel context.CancelCauseFunc) {
	t := time.NewTicker(a.w.cfg.CancelPoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		job, err := a.w.jobs.Job(ctx, a.job.ID)
		switch {
		case err != nil:
			if ctx.Err() == nil {
				a.log.Warn("poll job for cancellation", "err", err)
			}
		case job.CancelRequested:
			a.log.Info("job cancellation requested")
			cancel(ErrCancelRequested)
			return
		case job.Status != model.StatusRunning || job.Attempts != a.n:
			cancel(ErrStaleAttempt)
			return
		}
	}
}

// reporter is the Reporter of one attempt.
type reporter struct {
	a      *attempt
	ctx    context.Context // the handler's context
	cancel context.CancelCauseFunc
}

// Report implements Reporter.
func (r *reporter) Report(ctx context.Context, p model.Progress) error {
	if r.ctx.Err() != nil {
		return context.Cause(r.ctx)
	}
	job, err := r.a.w.jobs.SetProgress(ctx, r.a.job.ID, r.a.n, p)
	switch {
	case model.ErrorCode(err) == model.CodeConflict:
		r.cancel(ErrStaleAttempt)
		return ErrStaleAttempt
	case err != nil:
		if r.ctx.Err() != nil {
			return context.Cause(r.ctx)
		}
		r.a.log.Warn("record job progress", "err", err)
		return nil
	case job.CancelRequested:
		r.a.log.Info("job cancellation requested")
		r.cancel(ErrCancelRequested)
		return ErrCancelRequested
	}
	return nil
}
