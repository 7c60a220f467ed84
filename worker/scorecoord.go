package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gitlab.com/mlserve/mlserve/internal/scoring"
	"gitlab.com/mlserve/mlserve/model"
)

// Run implements Handler: it coordinates one attempt of a score job.
func (h *ScoreHandler) Run(ctx context.Context, job *model.Job, progress Reporter) (*model.JobResult, error) {
	s, err := h.setup(ctx, job)
	if err != nil {
		return nil, err
	}
	parts, err := h.plan(ctx, s, progress)
	if err != nil {
		return nil, err
	}
	h.offer(ctx, parts)
	parts, err = h.scoreAll(ctx, s, parts, progress)
	if err != nil {
		if errors.Is(context.Cause(ctx), ErrCancelRequested) {
			h.discard(ctx, job)
		}
		return nil, err
	}
	return h.result(ctx, s, parts)
}

// plan returns the job's parts: the recorded ones, or, on the job's first
// attempt that gets this far, new ones made from a scan of the dataset. A
// plan is recorded, by the progress it reports, before any part is offered
// or scored, and never replaced after that; a plan that was not recorded
// (its attempt died first) is discarded whole.
func (h *ScoreHandler) plan(ctx context.Context, s *scoreSetup, progress Reporter) ([]*model.ScorePart, error) {
	job := s.job
	if n := job.Progress.PartsTotal; n > 0 {
		parts, err := h.d.Scores.Parts(ctx, job.ID)
		if err != nil {
			return nil, fmt.Errorf("read the parts of job %s: %w", job.ID, err)
		}
		if len(parts) != n {
			return nil, model.Errorf(model.CodeCorrupt, "job %s has %d parts stored, its plan says %d", job.ID, len(parts), n)
		}
		return parts, nil
	}
	if err := h.d.Scores.DeleteParts(ctx, job.ID); err != nil {
		return nil, fmt.Errorf("discard an unrecorded plan of job %s: %w", job.ID, err)
	}
	ranges, err := h.scan(ctx, s.dataset)
	if err != nil {
		return nil, err
	}
	parts := make([]*model.ScorePart, len(ranges))
	for i, r := range ranges {
		parts[i] = &model.ScorePart{
			ID: model.PartID(job.ID, i), JobID: job.ID, Index: i,
			Offset: r.Offset, Length: r.Length, FirstRow: r.FirstRow, Rows: r.Rows,
			Status: model.PartPending,
		}
	}
	if err := h.d.Scores.CreateParts(ctx, parts); err != nil {
		return nil, fmt.Errorf("store the parts of job %s: %w", job.ID, err)
	}
	p := model.Progress{Total: s.dataset.Rows, PartsTotal: len(parts)}
	if err := progress.Report(ctx, p); err != nil {
		return nil, err
	}
	// Report logs a store failure rather than returning it; the plan must
	// be on record before anyone scores a part of it.
	stored, err := h.d.Jobs.Job(ctx, job.ID)
	if err != nil {
		return nil, fmt.Errorf("check the plan of job %s: %w", job.ID, err)
	}
	if stored.Progress.PartsTotal != len(parts) {
		return nil, model.Errorf(model.CodeUnavailable, "the plan of job %s could not be recorded", job.ID)
	}
	return parts, nil
}

// scan splits the dataset into parts of at most PartRows rows.
func (h *ScoreHandler) scan(ctx context.Context, ds *model.Dataset) ([]scoring.Range, error) {
	_, r, err := h.d.Datasets.OpenDatasetCSV(ctx, ds.ID)
	if model.ErrorCode(err) == model.CodeNotFound {
		return nil, model.Errorf(model.CodeNotFound, "dataset %s was deleted before the job ran", ds.ID)
	}
	if err != nil {
		return nil, fmt.Errorf("open dataset %s: %w", ds.ID, err)
	}
	defer r.Close()
	ranges, err := scoring.Plan(r, int64(h.d.PartRows))
	if err != nil {
		return nil, fmt.Errorf("split dataset %s into parts: %w", ds.ID, err)
	}
	var rows int64
	for _, r := range ranges {
		rows += r.Rows
	}
	if rows != ds.Rows {
		return nil, model.Errorf(model.CodeCorrupt, "dataset %s has %d rows, its document says %d", ds.ID, rows, ds.Rows)
	}
	return ranges, nil
}

// offer enqueues a task for every pending part, so that free workers score
// them alongside this one. It is best effort: without Redis the coordinator
// scores every part itself.
func (h *ScoreHandler) offer(ctx context.Context, parts []*model.ScorePart) {
	for _, p := range parts {
		if p.Status != model.PartPending {
			continue
		}
		if err := h.d.Parts.EnqueuePart(ctx, p); err != nil {
			h.d.Logger.Warn("offer parts to other workers; this one scores them", "job_id", p.JobID, "err", err)
			return
		}
	}
}

// scoreAll scores every pending part that no other scorer holds, in order,
// and waits for those others hold, until every part is done. It reports
// progress as parts complete and returns the parts as finally stored. A
// failed part fails the job with the part's error.
func (h *ScoreHandler) scoreAll(ctx context.Context, s *scoreSetup, parts []*model.ScorePart, progress Reporter) ([]*model.ScorePart, error) {
	reported := model.Progress{Done: -1}
	for {
		p := partsProgress(s.dataset, parts)
		if p != reported {
			if err := progress.Report(ctx, p); err != nil {
				return nil, err
			}
			reported = p
		}
		if err := partFailure(parts); err != nil {
			return nil, err
		}
		if p.PartsDone == len(parts) {
			return parts, nil
		}
		scored, err := h.scoreNext(ctx, s, parts)
		if err != nil {
			return nil, err
		}
		if !scored {
			if err := sleep(ctx, h.d.Poll); err != nil {
				return nil, err
			}
		}
		if parts, err = h.d.Scores.Parts(ctx, s.job.ID); err != nil {
			return nil, fmt.Errorf("read the parts of job %s: %w", s.job.ID, err)
		}
	}
}

// scoreNext claims the first pending part it can and scores it. It reports
// false when every pending part is held by another scorer.
func (h *ScoreHandler) scoreNext(ctx context.Context, s *scoreSetup, parts []*model.ScorePart) (bool, error) {
	for _, p := range parts {
		if p.Status != model.PartPending || (p.Owner != "" && h.d.Now().Before(p.LeaseUntil)) {
			continue
		}
		owner := h.newOwner()
		now := h.d.Now()
		claimed, err := h.d.Scores.ClaimPart(ctx, p.ID, owner, now, now.Add(h.d.Lease))
		if model.ErrorCode(err) == model.CodeConflict {
			continue // taken a moment ago
		}
		if err != nil {
			return false, fmt.Errorf("claim part %s: %w", p.ID, err)
		}
		err = h.scoreClaimed(ctx, s, claimed, owner)
		if errors.Is(err, errClaimLost) {
			err = nil
		}
		return true, err
	}
	return false, nil
}

// partsProgress is the job's progress according to its parts.
func partsProgress(ds *model.Dataset, parts []*model.ScorePart) model.Progress {
	p := model.Progress{Total: ds.Rows, PartsTotal: len(parts)}
	for _, part := range parts {
		if part.Status == model.PartDone {
			p.Done += part.Rows
			p.PartsDone++
		}
	}
	return p
}

// partFailure is the error of the first failed part, or nil.
func partFailure(parts []*model.ScorePart) error {
	for _, p := range parts {
		if p.Status != model.PartFailed {
			continue
		}
		if p.Error == nil {
			return model.Errorf(model.CodeInternal, "part %d failed", p.Index)
		}
		return model.Errorf(p.Error.Code, "%s", p.Error.Message)
	}
	return nil
}

// result checks the finished parts and sums them up; it also removes the
// output files that no part refers to.
func (h *ScoreHandler) result(ctx context.Context, s *scoreSetup, parts []*model.ScorePart) (*model.JobResult, error) {
	columns := s.layout.Columns()
	res := &model.JobResult{
		Model:       s.version.Name,
		Version:     s.version.Version,
		OutputBytes: int64(len(scoring.CSVHeader(columns))),
		Columns:     columns,
	}
	for _, p := range parts {
		res.Rows += p.Rows
		res.OutputBytes += p.OutputBytes
	}
	if res.Rows != s.dataset.Rows {
		return nil, model.Errorf(model.CodeCorrupt, "the parts of job %s hold %d rows, the dataset %d", s.job.ID, res.Rows, s.dataset.Rows)
	}
	if err := h.d.Scores.RemoveOrphanOutputs(ctx, s.job.ID); err != nil {
		h.d.Logger.Warn("remove output files no part refers to", "job_id", s.job.ID, "err", err)
	}
	return res, nil
}

// discard removes the parts and outputs of a job canceled while it ran:
// nothing of it can be read any more (the job will never have succeeded).
func (h *ScoreHandler) discard(ctx context.Context, job *model.Job) {
	sctx, done := storeContext(ctx)
	defer done()
	if err := h.d.Scores.DeleteParts(sctx, job.ID); err != nil {
		h.d.Logger.Warn("discard the parts of a canceled job", "job_id", job.ID, "err", err)
	}
}

// sleep waits d or until ctx is done, returning its cause then.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return nil
	}
}
