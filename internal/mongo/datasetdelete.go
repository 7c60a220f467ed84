package mongo

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"gitlab.com/mlserve/mlserve/model"
)

// A delete and a job submission for the same dataset race: each checks the
// other's document, and without transactions two reads cannot be made
// atomic with a write. They are kept apart the way two processes are by
// flags, with single-document writes only:
//
//   - DeleteDataset marks the dataset's document "deleting" (a token and
//     the time), then looks for a live job using it, then deletes the
//     document only if its own mark is still there;
//   - CreateJob inserts the job, then reads the dataset's document, and
//     takes the job back when the dataset is gone or marked.
//
// Each side writes before it reads, so whichever reads last sees the
// other's write: the delete finds the job (409), or the submission finds
// the mark or the missing dataset (and its job is removed). Both may back
// off in a close race; both never succeed. A mark outlives a crashed
// delete: it counts only for deleteMarkLease, and a delete gives up when it
// took longer than deleteBudget, well inside the lease, so a mark that is
// honoured is never that of a delete that will still go ahead late.
const (
	fieldDeleting   = "deleting"
	deleteMarkLease = 5 * time.Minute
	deleteBudget    = time.Minute
)

// deleteMark is the "deleting" field of a dataset's document.
type deleteMark struct {
	Token string    `bson:"token"`
	At    time.Time `bson:"at"`
}

// DeleteDataset implements model.DatasetStore. A job submitted at the same
// time is either found (CodeConflict) or refused (see CreateJob). A download
// already streaming the file may end short.
//
// The document goes first: from then on the dataset is invisible and
// unusable. The file goes after it; when that fails, or the process dies in
// between, the file is an orphan no document points at, harmless but for
// its space, so the failure is logged and the delete still succeeds.
func (s *Store) DeleteDataset(ctx context.Context, id string) error {
	mark := deleteMark{Token: bson.NewObjectID().Hex(), At: utcMillis(s.now())}
	if err := s.markDeleting(ctx, id, mark); err != nil {
		return err
	}
	if err := s.requireNoLiveJob(ctx, id); err != nil {
		s.unmarkDeleting(ctx, id, mark)
		return err
	}
	if s.now().Sub(mark.At) > deleteBudget {
		s.unmarkDeleting(ctx, id, mark)
		return model.Errorf(model.CodeUnavailable, "deleting dataset %s took too long; delete it again", id)
	}
	opCtx, cancel := s.op(ctx)
	res, err := s.db.Collection(collDatasets).DeleteOne(opCtx, bson.D{{Key: "_id", Value: id}, {Key: fieldDeleting + ".token", Value: mark.Token}})
	cancel()
	if err != nil {
		return storeErr("delete dataset", err)
	}
	if res.DeletedCount == 0 {
		if _, err := s.Dataset(ctx, id); model.ErrorCode(err) == model.CodeNotFound {
			return err
		}
		return model.Errorf(model.CodeConflict, "dataset %s is being deleted by another request", id)
	}
	if err := s.removeFile(ctx, BucketDatasets, id); err != nil {
		s.logger.WarnContext(ctx, "delete dataset file; it stays behind as an orphan", "dataset_id", id, "err", err)
	}
	return nil
}

// markDeleting sets mark on dataset id, replacing any other; CodeNotFound
// when there is no such dataset.
func (s *Store) markDeleting(ctx context.Context, id string, mark deleteMark) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	res, err := s.db.Collection(collDatasets).UpdateOne(ctx, bson.D{{Key: "_id", Value: id}},
		bson.D{{Key: "$set", Value: bson.D{{Key: fieldDeleting, Value: mark}}}})
	if err != nil {
		return storeErr("mark dataset deleting", err)
	}
	if res.MatchedCount == 0 {
		return unknownDataset(id)
	}
	return nil
}

// unmarkDeleting removes mark from dataset id if it is still there. It runs
// even when the client has gone; when it fails, the mark lapses after
// deleteMarkLease.
func (s *Store) unmarkDeleting(ctx context.Context, id string, mark deleteMark) {
	ctx, cancel := s.op(context.WithoutCancel(ctx))
	defer cancel()
	_, err := s.db.Collection(collDatasets).UpdateOne(ctx,
		bson.D{{Key: "_id", Value: id}, {Key: fieldDeleting + ".token", Value: mark.Token}},
		bson.D{{Key: "$unset", Value: bson.D{{Key: fieldDeleting, Value: ""}}}})
	if err != nil {
		s.logger.WarnContext(ctx, "unmark dataset deleting; jobs cannot use it until the mark lapses",
			"dataset_id", id, "lapses_in", deleteMarkLease.String(), "err", err)
	}
}

// keepIfDatasetUsable is called by CreateJob once it has inserted job: it
// removes the job again, and returns why, when the job's dataset is gone or
// being deleted (see requireUsableDataset).
func (s *Store) keepIfDatasetUsable(ctx context.Context, job *model.Job) error {
	if job.Request.Dataset == "" {
		return nil
	}
	err := s.requireUsableDataset(ctx, job.Request.Dataset)
	if err == nil {
		return nil
	}
	if delErr := s.DeleteQueuedJob(context.WithoutCancel(ctx), job.ID); delErr != nil {
		s.logger.ErrorContext(ctx, "take back a job whose dataset is being deleted; it stays queued and fails when it runs",
			"job_id", job.ID, "dataset_id", job.Request.Dataset, "err", delErr)
	}
	return err
}

// requireUsableDataset is CreateJob's side of the race: nil when dataset id
// exists and no delete of it is under way; else the error the submission
// fails with.
func (s *Store) requireUsableDataset(ctx context.Context, id string) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	var doc struct {
		Deleting *deleteMark `bson:"deleting"`
	}
	err := s.db.Collection(collDatasets).FindOne(ctx, bson.D{{Key: "_id", Value: id}},
		options.FindOne().SetProjection(bson.D{{Key: fieldDeleting, Value: 1}})).Decode(&doc)
	switch {
	case errors.Is(err, mongo.ErrNoDocuments):
		return model.Invalid(map[string]string{"dataset": "unknown dataset \"" + id + "\" (it was deleted while the job was submitted)"})
	case err != nil:
		return storeErr("check the job's dataset", err)
	case doc.Deleting != nil && s.now().Sub(doc.Deleting.At) < deleteMarkLease:
		return model.Errorf(model.CodeConflict, "dataset %s is being deleted; submit the job again if the delete fails", id)
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
