package mongo

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"gitlab.com/mlserve/mlserve/model"
)

// StartAttempt implements model.JobStore. The returned job's Attempts is
// this execution's fencing token for SetProgress, Requeue and Finish.
func (s *Store) StartAttempt(ctx context.Context, id string, now time.Time) (*model.Job, error) {
	return s.updateJob(ctx, "start attempt", id,
		bson.D{
			{Key: "status", Value: bson.D{{Key: "$in", Value: bson.A{model.StatusQueued, model.StatusRunning}}}},
			{Key: "cancel_requested", Value: bson.D{{Key: "$ne", Value: true}}},
		},
		bson.D{
			{Key: "$set", Value: bson.D{{Key: "status", Value: model.StatusRunning}}},
			{Key: "$inc", Value: bson.D{{Key: "attempts", Value: 1}}},
			// $min sets started_at when it is absent and keeps the first.
			{Key: "$min", Value: bson.D{{Key: "started_at", Value: utcMillis(now)}}},
		},
		func(j *model.Job) string {
			if j.CancelRequested {
				return fmt.Sprintf("cancellation of job %s was requested", id)
			}
			return fmt.Sprintf("job %s is %s", id, j.Status)
		})
}

// SetProgress implements model.JobStore. On CodeConflict it also returns the
// job as stored.
func (s *Store) SetProgress(ctx context.Context, id string, attempt int, p model.Progress) (*model.Job, error) {
	return s.updateJob(ctx, "set progress", id, current(attempt),
		bson.D{{Key: "$set", Value: bson.D{{Key: "progress", Value: p}}}},
		stale(id, attempt))
}

// Requeue implements model.JobStore. It also refuses (CodeConflict) when
// cancellation was requested: such a job must end canceled, not wait in the
// queue, and StartAttempt would never start it again. The worker's next
// delivery of the task finishes it instead.
func (s *Store) Requeue(ctx context.Context, id string, attempt int, lastErr *model.JobError) error {
	set := bson.D{{Key: "status", Value: model.StatusQueued}}
	if lastErr != nil {
		set = append(set, bson.E{Key: "error", Value: lastErr})
	}
	cond := append(current(attempt), bson.E{Key: "cancel_requested", Value: bson.D{{Key: "$ne", Value: true}}})
	_, err := s.updateJob(ctx, "requeue job", id, cond,
		bson.D{{Key: "$set", Value: set}},
		func(j *model.Job) string {
			if j.Status == model.StatusRunning && j.Attempts == attempt && j.CancelRequested {
				return fmt.Sprintf("cancellation of job %s was requested", id)
			}
			return stale(id, attempt)(j)
		})
	return err
}

// Finish implements model.JobStore. A nil result or jobErr removes the
// stored one, so a job that succeeded after a retry shows no error.
func (s *Store) Finish(ctx context.Context, id string, attempt int, status model.JobStatus, result *model.JobResult, jobErr *model.JobError, now time.Time) error {
	if !status.Terminal() {
		return model.Errorf(model.CodeInvalid, "finish job %s: status %q is not terminal", id, status)
	}
	set := bson.D{
		{Key: "status", Value: status},
		{Key: "finished_at", Value: utcMillis(now)},
	}
	unset := bson.D{}
	if result != nil {
		set = append(set, bson.E{Key: "result", Value: result})
	} else {
		unset = append(unset, bson.E{Key: "result", Value: ""})
	}
	if jobErr != nil {
		set = append(set, bson.E{Key: "error", Value: jobErr})
	} else {
		unset = append(unset, bson.E{Key: "error", Value: ""})
	}
	update := bson.D{{Key: "$set", Value: set}}
	if len(unset) > 0 {
		update = append(update, bson.E{Key: "$unset", Value: unset})
	}
	_, err := s.updateJob(ctx, "finish job", id, current(attempt), update, stale(id, attempt))
	return err
}

// current matches a running job whose latest attempt is attempt: the fence
// that keeps a stale execution from overwriting a newer one.
func current(attempt int) bson.D {
	return bson.D{
		{Key: "status", Value: model.StatusRunning},
		{Key: "attempts", Value: attempt},
	}
}

// stale explains why attempt of job id no longer owns the job.
func stale(id string, attempt int) func(*model.Job) string {
	return func(j *model.Job) string {
		return fmt.Sprintf("attempt %d of job %s is not current: the job is %s at attempt %d", attempt, id, j.Status, j.Attempts)
	}
}
