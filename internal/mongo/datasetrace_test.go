package mongo

import (
	"context"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"gitlab.com/mlserve/mlserve/model"
)

// TestDeleteDatasetRacesJobSubmission runs many deletes, each at the same
// moment as a job submission for the same dataset, and checks every pair:
// never both succeed, a created job's dataset is still there, a deleted
// dataset has no live job, and a pair that both backed off leaves the
// dataset usable.
func TestDeleteDatasetRacesJobSubmission(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	// Rounds of a few pairs: enough to race, few enough that the embedded
	// store, on a busy machine, answers each operation in its timeout.
	const rounds, perRound = 8, 5
	const tries = rounds * perRound
	type pair struct {
		dataset   string
		job       *model.Job
		deleteErr error
		createErr error
	}
	pairs := make([]pair, tries)
	for i := range pairs {
		pairs[i].dataset = createDataset(t, s, "race", "x,y\n1,2\n").ID
	}
	for r := range rounds {
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := r * perRound; i < (r+1)*perRound; i++ {
			p := &pairs[i]
			wg.Go(func() {
				<-start
				p.deleteErr = s.DeleteDataset(ctx, p.dataset)
			})
			wg.Go(func() {
				<-start
				job := trainJob("iris")
				job.Request.Dataset = p.dataset
				p.job, _, p.createErr = s.CreateJob(ctx, job, nil)
			})
		}
		close(start)
		wg.Wait()
	}

	var deleted, created, neither int
	for i, p := range pairs {
		if c := model.ErrorCode(p.deleteErr); p.deleteErr != nil && c != model.CodeConflict {
			t.Fatalf("try %d: delete failed with %v, want success or a conflict", i, p.deleteErr)
		}
		if c := model.ErrorCode(p.createErr); p.createErr != nil && c != model.CodeConflict && c != model.CodeInvalid {
			t.Fatalf("try %d: submission failed with %v, want success, a conflict or a 422", i, p.createErr)
		}
		live, err := s.db.Collection(collJobs).CountDocuments(ctx, bson.D{{Key: "request.dataset", Value: p.dataset}})
		if err != nil {
			t.Fatal(err)
		}
		_, dsErr := s.Dataset(ctx, p.dataset)
		switch {
		case p.deleteErr == nil && p.createErr == nil:
			t.Fatalf("try %d: both the delete and the submission of job %s succeeded", i, p.job.ID)
		case p.createErr == nil:
			created++
			if dsErr != nil || live != 1 {
				t.Fatalf("try %d: job created, but its dataset: %v, jobs on it: %d", i, dsErr, live)
			}
		case p.deleteErr == nil:
			deleted++
			if model.ErrorCode(dsErr) != model.CodeNotFound || live != 0 {
				t.Fatalf("try %d: dataset deleted, but it reads back as %v and %d jobs use it", i, dsErr, live)
			}
		default:
			neither++
			if dsErr != nil || live != 0 {
				t.Fatalf("try %d: both backed off, but the dataset reads back as %v and %d jobs use it", i, dsErr, live)
			}
			if err := s.requireUsableDataset(ctx, p.dataset); err != nil {
				t.Fatalf("try %d: both backed off and a job still cannot use the dataset: %v", i, err)
			}
		}
	}
	t.Logf("%d tries: %d deleted, %d jobs created, %d both backed off", tries, deleted, created, neither)
}

func TestDeleteMarks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	mark := func(t *testing.T, id string, at time.Time) {
		t.Helper()
		if err := s.markDeleting(ctx, id, deleteMark{Token: bson.NewObjectID().Hex(), At: at}); err != nil {
			t.Fatal(err)
		}
	}
	submit := func(id string) error {
		job := trainJob("iris")
		job.Request.Dataset = id
		_, _, err := s.CreateJob(ctx, job, nil)
		return err
	}
	t.Run("a job for a dataset being deleted is a conflict and is not kept", func(t *testing.T) {
		d := createDataset(t, s, "marked", "x\n1\n")
		mark(t, d.ID, s.now())
		wantCode(t, submit(d.ID), model.CodeConflict)
		if n, _ := s.db.Collection(collJobs).CountDocuments(ctx, bson.D{{Key: "request.dataset", Value: d.ID}}); n != 0 {
			t.Fatalf("%d jobs kept for the marked dataset", n)
		}
	})
	t.Run("a job for a dataset that is gone is a 422 naming dataset", func(t *testing.T) {
		err := submit(bson.NewObjectID().Hex())
		wantCode(t, err, model.CodeInvalid)
		if e, _ := err.(*model.Error); e == nil || e.Fields["dataset"] == "" {
			t.Fatalf("error %v does not name dataset", err)
		}
	})
	t.Run("the mark of a delete that died lapses", func(t *testing.T) {
		d := createDataset(t, s, "stale", "x\n1\n")
		mark(t, d.ID, s.now().Add(-deleteMarkLease-time.Second))
		if err := submit(d.ID); err != nil {
			t.Fatalf("a job for a dataset with a lapsed mark: %v", err)
		}
	})
	t.Run("a refused delete removes its mark", func(t *testing.T) {
		d := createDataset(t, s, "used", "x\n1\n")
		if err := submit(d.ID); err != nil {
			t.Fatal(err)
		}
		wantCode(t, s.DeleteDataset(ctx, d.ID), model.CodeConflict)
		if err := submit(d.ID); err != nil {
			t.Fatalf("a second job after the refused delete: %v", err)
		}
	})
}
