package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gitlab.com/mlserve/mlserve/model"
)

// RunPart scores part index of job jobID for a part task, unless there is
// nothing to do: the job is gone, finished or being canceled, or the part
// is done, failed or claimed by another scorer. It stops, leaving the part
// to others, when the job is canceled or finishes meanwhile.
//
// A nil error acknowledges the task; any other is a failure the task is
// retried for (a part that cannot be scored is recorded as failed and
// returns nil: the job's coordinator fails the job).
func (h *ScoreHandler) RunPart(ctx context.Context, jobID string, index int) error {
	job, err := h.d.Jobs.Job(ctx, jobID)
	switch {
	case model.ErrorCode(err) == model.CodeNotFound:
		return nil
	case err != nil:
		return fmt.Errorf("look up job %s: %w", jobID, err)
	case !partsWanted(job):
		return nil
	}
	owner := h.newOwner()
	now := h.d.Now()
	part, err := h.d.Scores.ClaimPart(ctx, model.PartID(jobID, index), owner, now, now.Add(h.d.Lease))
	switch model.ErrorCode(err) {
	case "":
	case model.CodeConflict, model.CodeNotFound:
		return nil
	default:
		return fmt.Errorf("claim part %d of job %s: %w", index, jobID, err)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		h.watchJob(ctx, jobID, cancel)
	}()
	defer func() { cancel(nil); <-watched }()

	s, err := h.setup(ctx, job)
	if err == nil {
		err = h.scoreClaimed(ctx, s, part, owner)
	} else {
		err = h.settlePart(ctx, part, owner, err)
	}
	if errors.Is(err, errClaimLost) || errors.Is(context.Cause(ctx), errJobGone) {
		return nil
	}
	return err
}

// partsWanted reports whether job's parts should still be scored: it is
// live and nobody asked to cancel it. A queued job counts: its coordinator
// was interrupted, and will find the parts done when it runs again.
func partsWanted(job *model.Job) bool {
	return !job.Status.Terminal() && !job.CancelRequested
}

// errJobGone is the context cause that stops a part task whose job was
// canceled, finished or deleted while it scored.
var errJobGone = errors.New("the part's job is no longer running")

// watchJob polls the job every Poll and cancels ctx with errJobGone when
// its parts are no longer wanted. It returns when ctx is done.
func (h *ScoreHandler) watchJob(ctx context.Context, jobID string, cancel context.CancelCauseFunc) {
	t := time.NewTicker(h.d.Poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		job, err := h.d.Jobs.Job(ctx, jobID)
		switch {
		case model.ErrorCode(err) == model.CodeNotFound, err == nil && !partsWanted(job):
			cancel(errJobGone)
			return
		case err != nil && ctx.Err() == nil:
			h.d.Logger.Warn("poll the job of a part", "job_id", jobID, "err", err)
		}
	}
}
