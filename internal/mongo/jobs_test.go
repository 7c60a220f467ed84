package mongo

import (
	"context"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"gitlab.com/mlserve/mlserve/model"
)

// trainJob returns a train job for the named model, as the API builds it.
func trainJob(name string) *model.Job {
	return &model.Job{
		Type: model.JobTrain,
		Request: model.JobRequest{
			Type: model.JobTrain, Model: name, Dataset: jobDataset,
			Target: "species", Algorithm: "random_forest",
		},
	}
}

// jobDataset is the dataset of trainJob's jobs.
const jobDataset = "ds1"

// newJobStore is newStore holding the dataset jobDataset, which a job
// needs to be created.
func newJobStore(tb testing.TB) *Store {
	tb.Helper()
	s := newStore(tb)
	if err := s.InsertDataset(context.Background(), &model.Dataset{ID: jobDataset, Name: "ds1"}); err != nil {
		tb.Fatal(err)
	}
	return s
}

func createJob(tb testing.TB, s *Store, job *model.Job) *model.Job {
	tb.Helper()
	stored, created, err := s.CreateJob(context.Background(), job, nil)
	if err != nil || !created {
		tb.Fatalf("create job: created=%v err=%v", created, err)
	}
	return stored
}

func TestCreateJob(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newJobStore(t)

	t.Run("a new job is stored queued and reads back equal", func(t *testing.T) {
		job, created, err := s.CreateJob(ctx, trainJob("iris"), nil)
		if err != nil || !created {
			t.Fatalf("created=%v err=%v", created, err)
		}
		if len(job.ID) != 24 || job.Status != model.StatusQueued || job.CreatedAt.IsZero() {
			t.Errorf("stored job has id %q, status %q, created_at %v", job.ID, job.Status, job.CreatedAt)
		}
		got, err := s.Job(ctx, job.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, job) {
			t.Errorf("read back\n%+v\nwant\n%+v", got, job)
		}
	})
	t.Run("an unknown job is not found", func(t *testing.T) {
		_, err := s.Job(ctx, "0123456789abcdef01234567")
		wantCode(t, err, model.CodeNotFound)
	})
	t.Run("concurrent creators with one key create exactly one job; the others get it or are told to retry", func(t *testing.T) {
		const n = 8
		idem := keyFor("concurrent", "same")
		var wg sync.WaitGroup
		jobs := make([]*model.Job, n)
		created := make([]bool, n)
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() { jobs[i], created[i], errs[i] = s.CreateJob(ctx, trainJob("iris"), idem) })
		}
		wg.Wait()
		var first *model.Job
		for i := range n {
			if created[i] {
				if first != nil {
					t.Fatalf("two creators created a job: %s and %s", first.ID, jobs[i].ID)
				}
				first = jobs[i]
			}
		}
		if first == nil {
			t.Fatal("no creator created the job")
		}
		for i := range n {
			switch {
			case errs[i] != nil:
				wantCode(t, errs[i], model.CodeConflict)
			case jobs[i].ID != first.ID:
				t.Errorf("creator %d got job %s, want %s", i, jobs[i].ID, first.ID)
			}
		}
	})
}

func TestDeleteQueuedJob(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newJobStore(t)

	queued := createJob(t, s, trainJob("iris"))
	running := createJob(t, s, trainJob("iris"))
	if _, err := s.StartAttempt(ctx, running.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{queued.ID, running.ID} {
		if err := s.DeleteQueuedJob(ctx, id); err != nil {
			t.Fatalf("delete %s: %v", id, err)
		}
	}
	_, err := s.Job(ctx, queued.ID)
	wantCode(t, err, model.CodeNotFound)
	if _, err := s.Job(ctx, running.ID); err != nil {
		t.Errorf("the running job is gone: %v", err)
	}
}

func TestCancelJob(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newJobStore(t)
	now := time.Date(2026, 1, 2, 3, 4, 5, 678_901_234, time.UTC)

	t.Run("a queued job is canceled at once", func(t *testing.T) {
		job := createJob(t, s, trainJob("iris"))
		got, err := s.CancelJob(ctx, job.ID, now)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != model.StatusCanceled || got.FinishedAt == nil || !got.FinishedAt.Equal(utcMillis(now)) {
			t.Errorf("status %s, finished_at %v", got.Status, got.FinishedAt)
		}
		if got.Error == nil || got.Error.Code != model.CodeCanceled {
			t.Errorf("error %+v, want code canceled", got.Error)
		}
		_, err = s.StartAttempt(ctx, job.ID, now)
		wantCode(t, err, model.CodeConflict)
	})
	t.Run("a running job gets a cancel request its worker obeys", func(t *testing.T) {
		job := createJob(t, s, trainJob("iris"))
		started, err := s.StartAttempt(ctx, job.ID, now)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.CancelJob(ctx, job.ID, now)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != model.StatusRunning || !got.CancelRequested {
			t.Errorf("status %s, cancel_requested %v", got.Status, got.CancelRequested)
		}
		p, err := s.SetProgress(ctx, job.ID, started.Attempts, model.Progress{Done: 1, Total: 2})
		if err != nil || !p.CancelRequested {
			t.Errorf("set progress: cancel_requested %v, err %v", p != nil && p.CancelRequested, err)
		}
		wantCode(t, s.Requeue(ctx, job.ID, started.Attempts, nil), model.CodeConflict)
		again, err := s.StartAttempt(ctx, job.ID, now)
		wantCode(t, err, model.CodeConflict)
		if again == nil || again.Attempts != started.Attempts {
			t.Fatalf("refused start returned %+v", again)
		}
		// What the worker does next: end the job canceled.
		err = s.Finish(ctx, job.ID, again.Attempts, model.StatusCanceled, nil,
			&model.JobError{Code: model.CodeCanceled, Message: "canceled"}, now)
		if err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a finished job cannot be canceled", func(t *testing.T) {
		job := createJob(t, s, trainJob("iris"))
		started, err := s.StartAttempt(ctx, job.ID, now)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Finish(ctx, job.ID, started.Attempts, model.StatusSucceeded, &model.JobResult{Model: "iris", Version: 1}, nil, now); err != nil {
			t.Fatal(err)
		}
		got, err := s.CancelJob(ctx, job.ID, now)
		wantCode(t, err, model.CodeConflict)
		if got == nil || got.Status != model.StatusSucceeded {
			t.Errorf("conflict returned %+v", got)
		}
	})
	t.Run("an unknown job is not found", func(t *testing.T) {
		_, err := s.CancelJob(ctx, "0123456789abcdef01234567", now)
		wantCode(t, err, model.CodeNotFound)
	})
}

// keyFor is an Idempotency of key and request, valid for an hour from now.
func keyFor(key, request string) *model.Idempotency {
	return &model.Idempotency{Key: key, RequestHash: request, Expires: time.Now().Add(time.Hour)}
}

func TestCreateJobIdempotency(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newJobStore(t)

	t.Run("the same key and request return the first job", func(t *testing.T) {
		first, created, err := s.CreateJob(ctx, trainJob("iris"), keyFor("k1", "r"))
		if err != nil || !created {
			t.Fatalf("first: created=%v err=%v", created, err)
		}
		again, created, err := s.CreateJob(ctx, trainJob("iris"), keyFor("k1", "r"))
		if err != nil || created {
			t.Fatalf("second: created=%v err=%v", created, err)
		}
		if !reflect.DeepEqual(again, first) {
			t.Errorf("second call returned\n%+v\nwant\n%+v", again, first)
		}
		other, created, err := s.CreateJob(ctx, trainJob("iris"), keyFor("k2", "r"))
		if err != nil || !created || other.ID == first.ID {
			t.Errorf("another key: id %s created=%v err=%v", other.ID, created, err)
		}
	})
	t.Run("the same key with another request is invalid and creates nothing", func(t *testing.T) {
		first := createKeyed(t, s, keyFor("k3", "r"))
		_, _, err := s.CreateJob(ctx, trainJob("other"), keyFor("k3", "another"))
		wantCode(t, err, model.CodeInvalid)
		if e, _ := err.(*model.Error); e == nil || !strings.Contains(e.Fields["Idempotency-Key"], "different request") {
			t.Errorf("err = %v, want an Idempotency-Key problem", err)
		}
		again, created, err := s.CreateJob(ctx, trainJob("iris"), keyFor("k3", "r"))
		if err != nil || created || again.ID != first.ID {
			t.Errorf("the first request still replays: %v created=%v err=%v", again, created, err)
		}
	})
	t.Run("an expired key is free: a new job, and the old one stays", func(t *testing.T) {
		old := &model.Idempotency{Key: "k4", RequestHash: "r", Expires: time.Now().Add(-time.Second)}
		first := createKeyed(t, s, old)
		second, created, err := s.CreateJob(ctx, trainJob("other"), keyFor("k4", "another"))
		if err != nil || !created || second.ID == first.ID {
			t.Fatalf("after expiry: %v created=%v err=%v", second, created, err)
		}
		if _, err := s.Job(ctx, first.ID); err != nil {
			t.Errorf("the first job: %v", err)
		}
		replay, created, err := s.CreateJob(ctx, trainJob("other"), keyFor("k4", "another"))
		if err != nil || created || replay.ID != second.ID {
			t.Errorf("the renewed key replays %v created=%v err=%v", replay, created, err)
		}
	})
	t.Run("deleting a queued job frees its key at once", func(t *testing.T) {
		first := createKeyed(t, s, keyFor("k5", "r"))
		if err := s.DeleteQueuedJob(ctx, first.ID); err != nil {
			t.Fatal(err)
		}
		again, created, err := s.CreateJob(ctx, trainJob("iris"), keyFor("k5", "r"))
		if err != nil || !created || again.ID == first.ID {
			t.Errorf("after the delete: %v created=%v err=%v", again, created, err)
		}
	})
	t.Run("a claim whose job never came is a conflict, then abandoned", func(t *testing.T) {
		now := time.Now()
		claim := idempotencyDoc{Key: "k6", JobID: "0123456789abcdef0123abcd", RequestHash: "r", ClaimedAt: utcMillis(now), ExpiresAt: utcMillis(now.Add(time.Hour))}
		if err := s.insert(ctx, collIdempotency, claim); err != nil {
			t.Fatal(err)
		}
		_, _, err := s.CreateJob(ctx, trainJob("iris"), keyFor("k6", "r"))
		wantCode(t, err, model.CodeConflict)
		later := *s
		later.now = func() time.Time { return now.Add(2 * claimTimeout) }
		job, created, err := later.CreateJob(ctx, trainJob("iris"), keyFor("k6", "r"))
		if err != nil || !created || job.ID == claim.JobID {
			t.Errorf("after the claim timeout: %v created=%v err=%v", job, created, err)
		}
	})
}

func createKeyed(tb testing.TB, s *Store, idem *model.Idempotency) *model.Job {
	tb.Helper()
	job, created, err := s.CreateJob(context.Background(), trainJob("iris"), idem)
	if err != nil || !created {
		tb.Fatalf("create: created=%v err=%v", created, err)
	}
	return job
}
