package mongo

import (
	"context"
	"errors"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"gitlab.com/mlserve/mlserve/model"
)

// DeleteJob implements model.JobStore. The job document goes in one
// conditional delete, so a job that is live at that moment stays whole.
// What a score job left (parts and output files) goes after it, on a
// context detached from ctx's cancellation: a client that hangs up once the
// job is gone must not leave them behind. When that fails they stay, as
// orphans nothing reads, and the failure is logged, not returned: the job
// is deleted.
func (s *Store) DeleteJob(ctx context.Context, id string) error {
	job, err := s.deleteFinishedJob(ctx, id)
	if err != nil {
		return err
	}
	if job.Type != model.JobScore {
		return nil
	}
	cleanup, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	if err := s.DeleteParts(cleanup, id); err != nil {
		s.logger.WarnContext(ctx, "delete the parts of a deleted job; they stay behind", "job_id", id, "err", err)
	}
	return nil
}

// deleteFinishedJob deletes job id when it is terminal and returns it. A
// job can end between a refused delete and the look that explains it, so a
// job seen terminal is deleted again; a terminal job never changes, so a
// second try settles it.
func (s *Store) deleteFinishedJob(ctx context.Context, id string) (*model.Job, error) {
	terminal := bson.A{model.StatusSucceeded, model.StatusFailed, model.StatusCanceled}
	for range 2 {
		unlock := s.jobLocks.lock(id)
		opCtx, cancel := s.op(ctx)
		var job model.Job
		err := s.db.Collection(collJobs).FindOneAndDelete(opCtx,
			bson.D{
				{Key: "_id", Value: id},
				{Key: "status", Value: bson.D{{Key: "$in", Value: terminal}}},
			},
			// No projection: FerretDB v1 does not implement one on
			// findAndModify, and a job document is small.
		).Decode(&job)
		cancel()
		unlock()
		if err == nil {
			return &job, nil
		}
		if !errors.Is(err, mongo.ErrNoDocuments) {
			return nil, storeErr("delete job", err)
		}
		current, err := s.Job(ctx, id)
		if err != nil {
			return nil, err
		}
		if !current.Status.Terminal() {
			return nil, model.Errorf(model.CodeConflict, "job %s is %s; cancel it first", id, current.Status)
		}
	}
	return nil, model.Errorf(model.CodeConflict, "job %s keeps changing; try again", id)
}
