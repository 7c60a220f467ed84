package mongo

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"gitlab.com/mlserve/mlserve/model"
)

func TestDeleteDataset(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	csv := bigCSV(50_000)

	jobOn := func(t *testing.T, dataset string) *model.Job {
		job := trainJob("iris")
		job.Request.Dataset = dataset
		return createJob(t, s, job)
	}
	gone := func(t *testing.T, id string) {
		t.Helper()
		_, err := s.Dataset(ctx, id)
		wantCode(t, err, model.CodeNotFound)
		_, _, err = s.OpenDatasetCSV(ctx, id)
		wantCode(t, err, model.CodeNotFound)
		files, _ := s.db.Collection(BucketDatasets+".files").CountDocuments(ctx, bson.D{{Key: "_id", Value: id}})
		chunks, _ := s.db.Collection(BucketDatasets+".chunks").CountDocuments(ctx, bson.D{{Key: "files_id", Value: id}})
		if files+chunks != 0 {
			t.Fatalf("dataset %s left %d file documents and %d chunks", id, files, chunks)
		}
	}

	t.Run("a dataset no job uses is deleted with its file", func(t *testing.T) {
		d := createDataset(t, s, "iris", csv)
		if err := s.DeleteDataset(ctx, d.ID); err != nil {
			t.Fatal(err)
		}
		gone(t, d.ID)
		wantCode(t, s.DeleteDataset(ctx, d.ID), model.CodeNotFound)
	})
	for _, running := range []bool{false, true} {
		status := map[bool]string{false: "queued", true: "running"}[running]
		t.Run("a "+status+" job using the dataset is a conflict naming it, until it ends", func(t *testing.T) {
			d := createDataset(t, s, "iris", csv)
			job := jobOn(t, d.ID)
			if running {
				if _, err := s.StartAttempt(ctx, job.ID, time.Now()); err != nil {
					t.Fatal(err)
				}
			}
			err := s.DeleteDataset(ctx, d.ID)
			wantCode(t, err, model.CodeConflict)
			if !strings.Contains(err.Error(), job.ID) || !strings.Contains(err.Error(), status) {
				t.Fatalf("conflict %q does not name the %s job %s", err, status, job.ID)
			}
			if _, body := readCSV(t, s, d.ID); body != csv {
				t.Fatal("the refused delete changed the file")
			}

			if running {
				if err := s.Finish(ctx, job.ID, 1, model.StatusSucceeded, &model.JobResult{}, nil, time.Now()); err != nil {
					t.Fatal(err)
				}
			} else if _, err := s.CancelJob(ctx, job.ID, time.Now()); err != nil {
				t.Fatal(err)
			}
			if err := s.DeleteDataset(ctx, d.ID); err != nil {
				t.Fatalf("delete after the job ended: %v", err)
			}
			gone(t, d.ID)
		})
	}
	t.Run("a live job on another dataset does not block", func(t *testing.T) {
		d := createDataset(t, s, "iris", "x,y\n1,2\n")
		jobOn(t, createDataset(t, s, "other", "x,y\n1,2\n").ID)
		if err := s.DeleteDataset(ctx, d.ID); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("an unknown dataset is not found", func(t *testing.T) {
		wantCode(t, s.DeleteDataset(ctx, bson.NewObjectID().Hex()), model.CodeNotFound)
	})
	t.Run("a file already gone does not fail the delete", func(t *testing.T) {
		d := createDataset(t, s, "iris", "x,y\n1,2\n")
		if err := s.removeFile(ctx, BucketDatasets, d.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteDataset(ctx, d.ID); err != nil {
			t.Fatal(err)
		}
	})
}
