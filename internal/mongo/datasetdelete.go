package mongo

import (
	"context"
	"errors"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"gitlab.com/mlserve/mlserve/model"
)

// DeleteDataset implements model.DatasetStore.
//
// The check for live jobs and the delete are two operations, and without
// transactions nothing makes them atomic: a job submitted between them
// (its submit-time check saw the dataset) is created anyway, and fails
// when it runs because its dataset is not found. A download already
// streaming the file may likewise end short.
//
// The document goes first: from then on the dataset is invisible and
// unusable. The file goes after it; when that fails, or the process dies in
// between, the file is an orphan no document points at, harmless but for
// its space, so the failure is logged and the delete still succeeds.
func (s *Store) DeleteDataset(ctx context.Context, id string) error {
	if err := s.requireNoLiveJob(ctx, id); err != nil {
		return err
	}
	opCtx, cancel := s.op(ctx)
	res, err := s.db.Collection(collDatasets).DeleteOne(opCtx, bson.D{{Key: "_id", Value: id}})
	cancel()
	if err != nil {
		return storeErr("delete dataset", err)
	}
	if res.DeletedCount == 0 {
		return unknownDataset(id)
	}
	if err := s.removeFile(ctx, BucketDatasets, id); err != nil {
		s.logger.WarnContext(ctx, "delete dataset file; it stays behind as an orphan", "dataset_id", id, "err", err)
	}
	return nil
}

// requireNoLiveJob returns CodeConflict, naming one, when a queued or
// running job references dataset id. The query leads with status so it
// rides the status index and reads only live jobs, which are few.
func (s *Store) requireNoLiveJob(ctx context.Context, id string) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	var job model.Job
	err := s.db.Collection(collJobs).FindOne(ctx,
		bson.D{
			{Key: "status", Value: bson.D{{Key: "$in", Value: bson.A{model.StatusQueued, model.StatusRunning}}}},
			{Key: "request.dataset", Value: id},
		},
		options.FindOne().SetProjection(bson.D{{Key: "_id", Value: 1}, {Key: "status", Value: 1}}),
	).Decode(&job)
	switch {
	case errors.Is(err, mongo.ErrNoDocuments):
		return nil
	case err != nil:
		return storeErr("find jobs using dataset", err)
	}
	return model.Errorf(model.CodeConflict, "dataset %s is used by %s job %s; cancel the job or wait for it to end", id, job.Status, job.ID)
}
