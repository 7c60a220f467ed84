package worker

import (
	"context"
	"errors"
	"fmt"

	"gitlab.com/mlserve/mlserve/internal/scoring"
	"gitlab.com/mlserve/mlserve/model"
)

// errClaimLost stops a scoring whose claim on its part lapsed and was taken
// by another scorer, which will finish the part.
var errClaimLost = errors.New("the claim on the part was taken over by another scorer")

// scoreClaimed scores a part that owner has just claimed: it reads the
// part's range of the dataset, writes the scored rows into a new output
// file and records the part as done with that file. Whatever happens, the
// file is either recorded or removed, and the claim is recorded, released or
// lapses.
//
// A part whose rows do not fit the model is recorded as failed, which fails
// the job; it returns nil then. It returns errClaimLost, an error of ctx, or
// a store failure, after which the part stays pending for any scorer.
func (h *ScoreHandler) scoreClaimed(ctx context.Context, s *scoreSetup, part *model.ScorePart, owner string) error {
	return h.settlePart(ctx, part, owner, h.writePart(ctx, s, part, owner))
}

// settlePart leaves owner's claimed part as err says: as it is (nil: done),
// failed (an error of the part itself) or released for another scorer.
func (h *ScoreHandler) settlePart(ctx context.Context, part *model.ScorePart, owner string, err error) error {
	var jobErr *model.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &jobErr) && !retryable(err):
		h.failPart(ctx, part, jobErr)
		return nil
	}
	rctx, done := storeContext(ctx)
	defer done()
	if rerr := h.d.Scores.ReleasePart(rctx, part.ID, owner); rerr != nil {
		h.d.Logger.Warn("release part; its claim lapses instead", "part", part.ID, "err", rerr)
	}
	return err
}

// writePart does scoreClaimed's work, short of handling its failure.
func (h *ScoreHandler) writePart(ctx context.Context, s *scoreSetup, part *model.ScorePart, owner string) error {
	in, err := h.d.Datasets.OpenDatasetRange(ctx, s.dataset.ID, part.Offset, part.Length)
	if err != nil {
		return fmt.Errorf("open rows of part %s: %w", part.ID, err)
	}
	defer in.Close()
	out, err := h.d.Scores.CreatePartOutput(ctx, part)
	if err != nil {
		return fmt.Errorf("create the output of part %s: %w", part.ID, err)
	}
	renewed := h.d.Now()
	rows, err := scoring.Score(ctx, in, s.layout, s.pred, out, func(int64) error {
		if h.d.Now().Sub(renewed) < h.d.Lease/3 {
			return nil
		}
		renewed = h.d.Now()
		return h.renew(ctx, part, owner)
	})
	if err == nil && rows != part.Rows {
		err = model.Errorf(model.CodeCorrupt, "part %d of the dataset has %d rows, its plan says %d", part.Index, rows, part.Rows)
	}
	if err == nil {
		err = out.Close()
	}
	if err != nil {
		out.Abort()
		return inPart(part, err)
	}
	err = h.d.Scores.CompletePart(ctx, part.ID, owner, out.ID(), out.Size(), h.d.Now())
	if model.ErrorCode(err) == model.CodeConflict {
		// Another scoring of the part finished first; its file counts.
		out.Abort()
		return nil
	}
	if err != nil {
		out.Abort()
		return fmt.Errorf("record part %s as done: %w", part.ID, err)
	}
	if h.d.Scored != nil {
		h.d.Scored(rows)
	}
	return nil
}

// renew extends owner's claim on part while it scores.
func (h *ScoreHandler) renew(ctx context.Context, part *model.ScorePart, owner string) error {
	now := h.d.Now()
	_, err := h.d.Scores.ClaimPart(ctx, part.ID, owner, now, now.Add(h.d.Lease))
	if model.ErrorCode(err) == model.CodeConflict {
		return errClaimLost
	}
	if err != nil {
		// The claim still holds for a while; the next batch tries again.
		h.d.Logger.Warn("renew the claim on a part", "part", part.ID, "err", err)
	}
	return nil
}

// failPart records that part cannot be scored; the job's coordinator fails
// the job with jobErr.
func (h *ScoreHandler) failPart(ctx context.Context, part *model.ScorePart, jobErr *model.Error) {
	sctx, done := storeContext(ctx)
	defer done()
	err := h.d.Scores.FailPart(sctx, part.ID, &model.JobError{Code: jobErr.Code, Message: jobErr.Message}, h.d.Now())
	if err != nil && model.ErrorCode(err) != model.CodeConflict {
		h.d.Logger.Warn("record part as failed", "part", part.ID, "err", err)
	}
}

// inPart says which rows a scoring error is about: the scorer numbers the
// records of its part, a user wants the dataset's rows.
func inPart(part *model.ScorePart, err error) error {
	var e *model.Error
	if !errors.As(err, &e) {
		return err
	}
	return model.Errorf(e.Code, "part %d (rows %d to %d): %s", part.Index, part.FirstRow+1, part.FirstRow+part.Rows, e.Message)
}
