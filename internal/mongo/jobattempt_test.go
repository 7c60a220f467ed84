package mongo

import (
	"context"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"gitlab.com/mlserve/mlserve/model"
)

func TestStartAttempt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newJobStore(t)
	first := time.Date(2026, 1, 2, 3, 4, 5, 678_901_234, time.UTC)

	t.Run("each start counts an attempt and the first start time stays", func(t *testing.T) {
		job := createJob(t, s, trainJob("iris"))
		one, err := s.StartAttempt(ctx, job.ID, first)
		if err != nil {
			t.Fatal(err)
		}
		if one.Status != model.StatusRunning || one.Attempts != 1 || one.StartedAt == nil || !one.StartedAt.Equal(utcMillis(first)) {
			t.Fatalf("first start: status %s, attempts %d, started_at %v", one.Status, one.Attempts, one.StartedAt)
		}
		if err := s.Requeue(ctx, job.ID, 1, &model.JobError{Code: model.CodeUnavailable, Message: "redis down"}); err != nil {
			t.Fatal(err)
		}
		requeued, err := s.Job(ctx, job.ID)
		if err != nil {
			t.Fatal(err)
		}
		if requeued.Status != model.StatusQueued || requeued.Error == nil || requeued.Error.Message != "redis down" {
			t.Errorf("requeued: status %s, error %+v", requeued.Status, requeued.Error)
		}
		two, err := s.StartAttempt(ctx, job.ID, first.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if two.Attempts != 2 || !two.StartedAt.Equal(utcMillis(first)) {
			t.Errorf("second start: attempts %d, started_at %v, want 2 and %v", two.Attempts, two.StartedAt, utcMillis(first))
		}
		// A redelivery while running (the first worker died) starts too.
		three, err := s.StartAttempt(ctx, job.ID, first.Add(-time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if three.Attempts != 3 || !three.StartedAt.Equal(utcMillis(first.Add(-time.Minute))) {
			t.Errorf("third start: attempts %d, started_at %v", three.Attempts, three.StartedAt)
		}
		// Success after a failed attempt leaves no error behind.
		if err := s.Finish(ctx, job.ID, 3, model.StatusSucceeded, &model.JobResult{Rows: 10}, nil, first); err != nil {
			t.Fatal(err)
		}
		done, err := s.Job(ctx, job.ID)
		if err != nil || done.Error != nil || done.Result == nil {
			t.Errorf("finished job: error %+v, result %+v, err %v", done.Error, done.Result, err)
		}
	})
	t.Run("concurrent starts each get their own attempt", func(t *testing.T) {
		job := createJob(t, s, trainJob("iris"))
		const n = 8
		attempts := make([]int, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				j, err := s.StartAttempt(ctx, job.ID, first)
				if err != nil {
					t.Errorf("start %d: %v", i, err)
					return
				}
				attempts[i] = j.Attempts
			})
		}
		wg.Wait()
		slices.Sort(attempts)
		if want := []int{1, 2, 3, 4, 5, 6, 7, 8}; !slices.Equal(attempts, want) {
			t.Errorf("attempts %v, want %v", attempts, want)
		}
	})
	t.Run("an unknown job is not found", func(t *testing.T) {
		_, err := s.StartAttempt(ctx, "0123456789abcdef01234567", first)
		wantCode(t, err, model.CodeNotFound)
	})
}

func TestFencing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newJobStore(t)
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

	job := createJob(t, s, trainJob("iris"))
	stale, err := s.StartAttempt(ctx, job.ID, now)
	if err != nil {
		t.Fatal(err)
	}
	cur, err := s.StartAttempt(ctx, job.ID, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetProgress(ctx, job.ID, cur.Attempts, model.Progress{Done: 2, Total: 5}); err != nil {
		t.Fatal(err)
	}
	before, err := s.Job(ctx, job.ID)
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name string
		call func() error
	}{
		{"a stale attempt cannot report progress", func() error {
			_, err := s.SetProgress(ctx, job.ID, stale.Attempts, model.Progress{Done: 5, Total: 5})
			return err
		}},
		{"a stale attempt cannot requeue", func() error {
			return s.Requeue(ctx, job.ID, stale.Attempts, &model.JobError{Code: "x", Message: "x"})
		}},
		{"a stale attempt cannot finish", func() error {
			return s.Finish(ctx, job.ID, stale.Attempts, model.StatusFailed, nil, &model.JobError{Code: "x", Message: "x"}, now)
		}},
		{"a future attempt cannot finish", func() error {
			return s.Finish(ctx, job.ID, cur.Attempts+1, model.StatusSucceeded, nil, nil, now)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantCode(t, tc.call(), model.CodeConflict)
			after, err := s.Job(ctx, job.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(after, before) {
				t.Errorf("the job changed:\n%+v\nwas\n%+v", after, before)
			}
		})
	}

	t.Run("the current attempt finishes and then owns nothing", func(t *testing.T) {
		result := &model.JobResult{Model: "iris", Version: 3}
		if err := s.Finish(ctx, job.ID, cur.Attempts, model.StatusSucceeded, result, nil, now); err != nil {
			t.Fatal(err)
		}
		done, err := s.Job(ctx, job.ID)
		if err != nil {
			t.Fatal(err)
		}
		if done.Status != model.StatusSucceeded || !reflect.DeepEqual(done.Result, result) || done.FinishedAt == nil || done.Progress.Done != 2 {
			t.Errorf("finished job: %+v", done)
		}
		wantCode(t, s.Finish(ctx, job.ID, cur.Attempts, model.StatusFailed, nil, nil, now), model.CodeConflict)
		_, err = s.StartAttempt(ctx, job.ID, now)
		wantCode(t, err, model.CodeConflict)
	})
	t.Run("finishing with a live status is refused", func(t *testing.T) {
		wantCode(t, s.Finish(ctx, job.ID, cur.Attempts, model.StatusQueued, nil, nil, now), model.CodeInvalid)
	})
}
