package mongo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"gitlab.com/mlserve/mlserve/model"
)

// CreateJob implements model.JobStore. It stores job as a fresh queued job:
// it sets ID, CreatedAt and Status and clears what only the worker sets.
// With idem the key is claimed first (see createIdempotent). A job whose
// dataset is deleted meanwhile is taken back (see DeleteDataset).
func (s *Store) CreateJob(ctx context.Context, job *model.Job, idem *model.Idempotency) (*model.Job, bool, error) {
	job.ID = bson.NewObjectID().Hex()
	job.Status = model.StatusQueued
	job.CreatedAt = utcMillis(s.now())
	job.Progress = model.Progress{}
	job.Attempts = 0
	job.StartedAt, job.FinishedAt = nil, nil
	job.Result, job.Error = nil, nil
	job.CancelRequested = false
	if idem != nil {
		return s.createIdempotent(ctx, job, idem)
	}
	if err := s.insert(ctx, collJobs, job); err != nil {
		return nil, false, storeErr("create job", err)
	}
	if err := s.keepIfDatasetUsable(ctx, job); err != nil {
		return nil, false, err
	}
	return job, true, nil
}

// Job implements model.JobStore.
func (s *Store) Job(ctx context.Context, id string) (*model.Job, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	var job model.Job
	err := s.db.Collection(collJobs).FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&job)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, model.Errorf(model.CodeNotFound, "unknown job %q", id)
	}
	if err != nil {
		return nil, storeErr("get job", err)
	}
	return &job, nil
}

// DeleteQueuedJob implements model.JobStore. Deleting a job that is gone or
// no longer queued is not an error. The Idempotency-Key that created the
// job, if any, is released with it.
func (s *Store) DeleteQueuedJob(ctx context.Context, id string) error {
	unlock := s.jobLocks.lock(id)
	defer unlock()
	ctx, cancel := s.op(ctx)
	defer cancel()
	res, err := s.db.Collection(collJobs).DeleteOne(ctx, bson.D{
		{Key: "_id", Value: id},
		{Key: "status", Value: model.StatusQueued},
	})
	if err != nil {
		return storeErr("delete queued job", err)
	}
	if res.DeletedCount == 0 {
		return nil
	}
	// The key of a job that never ran is free at once, for the retry.
	_, err = s.db.Collection(collIdempotency).DeleteMany(ctx, bson.D{{Key: "job_id", Value: id}})
	return storeErr("release the idempotency key of a deleted job", err)
}

// insert inserts one document; the error is the driver's, unmapped.
func (s *Store) insert(ctx context.Context, coll string, doc any) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	_, err := s.db.Collection(coll).InsertOne(ctx, doc)
	return err
}

// updateJob applies update to job id when it also matches cond, and returns
// the job as updated. When nothing matches it returns the job as it is with
// CodeConflict and the message conflict gives, or CodeNotFound.
func (s *Store) updateJob(ctx context.Context, op, id string, cond, update bson.D, conflict func(*model.Job) string) (*model.Job, error) {
	unlock := s.jobLocks.lock(id)
	opCtx, cancel := s.op(ctx)
	var job model.Job
	err := s.db.Collection(collJobs).FindOneAndUpdate(opCtx,
		append(bson.D{{Key: "_id", Value: id}}, cond...),
		update,
		options.FindOneAndUpdate().SetReturnDocument(options.After),
	).Decode(&job)
	cancel()
	unlock()
	if err == nil {
		return &job, nil
	}
	if !errors.Is(err, mongo.ErrNoDocuments) {
		return nil, storeErr(op, err)
	}
	current, err := s.Job(ctx, id)
	if err != nil {
		return nil, err
	}
	return current, fmt.Errorf("%s: %w", op, model.Errorf(model.CodeConflict, "%s", conflict(current)))
}

// CancelJob implements model.JobStore. A queued job ends canceled with
// error code canceled. With CodeConflict it also returns the job as it is.
func (s *Store) CancelJob(ctx context.Context, id string, now time.Time) (*model.Job, error) {
	// A job can move between queued and running while we look: each try is
	// one conditional update, and the status seen by the failed one picks
	// the next.
	status := model.StatusQueued
	for range 4 {
		var update bson.D
		switch status {
		case model.StatusQueued:
			update = bson.D{{Key: "$set", Value: bson.D{
				{Key: "status", Value: model.StatusCanceled},
				{Key: "finished_at", Value: utcMillis(now)},
				{Key: "error", Value: model.JobError{Code: model.CodeCanceled, Message: "canceled on request"}},
			}}}
		case model.StatusRunning:
			update = bson.D{{Key: "$set", Value: bson.D{{Key: "cancel_requested", Value: true}}}}
		}
		job, err := s.updateJob(ctx, "cancel job", id,
			bson.D{{Key: "status", Value: status}}, update,
			func(j *model.Job) string { return fmt.Sprintf("job %s is already %s", id, j.Status) })
		if model.ErrorCode(err) != model.CodeConflict || job.Status.Terminal() {
			return job, err
		}
		status = job.Status
	}
	return nil, model.Errorf(model.CodeConflict, "job %s keeps changing status; try again", id)
}
