package mongo

import (
	"context"
	"strings"
	"testing"
	"time"

	"gitlab.com/mlserve/mlserve/model"
)

// scoreJob returns a score job for the named model, as the API builds it.
func scoreJob(name string) *model.Job {
	return &model.Job{
		Type: model.JobScore,
		Request: model.JobRequest{
			Type: model.JobScore, Model: name, Dataset: jobDataset, Version: 1,
		},
	}
}

func TestDeleteJob(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newJobStore(t)
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

	// finish runs job to the end with status.
	finish := func(t *testing.T, job *model.Job, status model.JobStatus) {
		t.Helper()
		started, err := s.StartAttempt(ctx, job.ID, now)
		if err != nil {
			t.Fatal(err)
		}
		var jobErr *model.JobError
		if status != model.StatusSucceeded {
			jobErr = &model.JobError{Code: model.CodeInvalid, Message: "x"}
		}
		if err := s.Finish(ctx, job.ID, started.Attempts, status, nil, jobErr, now); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("a finished score job goes with its parts and outputs", func(t *testing.T) {
		job := createJob(t, s, scoreJob("iris"))
		parts := plan(job.ID, 2)
		if err := s.CreateParts(ctx, parts); err != nil {
			t.Fatal(err)
		}
		complete(t, s, parts[0], outputData(300<<10, "done"))
		midway, err := s.CreatePartOutput(ctx, parts[1])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := midway.Write(outputData(300<<10, "midway")); err != nil {
			t.Fatal(err)
		}
		other := createJob(t, s, scoreJob("iris"))
		otherParts := plan(other.ID, 1)
		if err := s.CreateParts(ctx, otherParts); err != nil {
			t.Fatal(err)
		}
		complete(t, s, otherParts[0], outputData(10, "other"))
		finish(t, job, model.StatusSucceeded)
		finish(t, other, model.StatusSucceeded)

		if err := s.DeleteJob(ctx, job.ID); err != nil {
			t.Fatal(err)
		}
		_, err = s.Job(ctx, job.ID)
		wantCode(t, err, model.CodeNotFound)
		if got, err := s.Parts(ctx, job.ID); err != nil || len(got) != 0 {
			t.Fatalf("parts left: %v, %v", got, err)
		}
		if files, chunked := outputIDs(t, s, job.ID+"."); len(files)+len(chunked) != 0 {
			t.Fatalf("left files %v and chunks of %v", files, chunked)
		}
		if got, err := s.Parts(ctx, other.ID); err != nil || len(got) != 1 {
			t.Fatalf("the other job's parts: %v, %v", got, err)
		}
		if files, _ := outputIDs(t, s, other.ID+"."); len(files) != 1 {
			t.Fatalf("the other job's files: %v", files)
		}
		wantCode(t, s.DeleteJob(ctx, job.ID), model.CodeNotFound)
	})
	for _, status := range []model.JobStatus{model.StatusFailed, model.StatusCanceled} {
		t.Run("a "+string(status)+" train job is deleted", func(t *testing.T) {
			job := createJob(t, s, trainJob("iris"))
			finish(t, job, status)
			if err := s.DeleteJob(ctx, job.ID); err != nil {
				t.Fatal(err)
			}
			_, err := s.Job(ctx, job.ID)
			wantCode(t, err, model.CodeNotFound)
		})
	}
	for _, status := range []model.JobStatus{model.StatusQueued, model.StatusRunning} {
		t.Run("a "+string(status)+" job is a conflict and stays whole", func(t *testing.T) {
			job := createJob(t, s, scoreJob("iris"))
			if status == model.StatusRunning {
				if _, err := s.StartAttempt(ctx, job.ID, now); err != nil {
					t.Fatal(err)
				}
			}
			parts := plan(job.ID, 1)
			if err := s.CreateParts(ctx, parts); err != nil {
				t.Fatal(err)
			}
			complete(t, s, parts[0], outputData(10, "done"))

			err := s.DeleteJob(ctx, job.ID)
			wantCode(t, err, model.CodeConflict)
			if want := "job " + job.ID + " is " + string(status) + "; cancel it first"; !strings.Contains(model.ErrorMessage(err), want) {
				t.Fatalf("conflict %q does not say %q", model.ErrorMessage(err), want)
			}
			if got, err := s.Job(ctx, job.ID); err != nil || got.Status != status {
				t.Fatalf("the job after a refused delete: %+v, %v", got, err)
			}
			if got, err := s.Parts(ctx, job.ID); err != nil || len(got) != 1 {
				t.Fatalf("the parts after a refused delete: %v, %v", got, err)
			}
			if files, _ := outputIDs(t, s, job.ID+"."); len(files) != 1 {
				t.Fatalf("the files after a refused delete: %v", files)
			}
		})
	}
	t.Run("an unknown job is not found", func(t *testing.T) {
		wantCode(t, s.DeleteJob(ctx, "0123456789abcdef01234567"), model.CodeNotFound)
	})
}
