package metrics

import (
	"context"
	"testing"
	"time"

	"gitlab.com/mlserve/mlserve/internal/metrics/metricstest"
	"gitlab.com/mlserve/mlserve/model"
)

// scriptedJobs is a JobStore holding one job per id, whose writes obey
// the statuses as the real store's do, and no more.
type scriptedJobs struct {
	model.JobStore
	jobs map[string]*model.Job
}

func (s *scriptedJobs) Job(_ context.Context, id string) (*model.Job, error) {
	j, ok := s.jobs[id]
	if !ok {
		return nil, model.Errorf(model.CodeNotFound, "no job %s", id)
	}
	c := *j
	return &c, nil
}

func (s *scriptedJobs) StartAttempt(ctx context.Context, id string, now time.Time) (*model.Job, error) {
	j := s.jobs[id]
	if j.Status.Terminal() {
		return s.Job(ctx, id)
	}
	j.Status, j.Attempts = model.StatusRunning, j.Attempts+1
	if j.StartedAt == nil {
		j.StartedAt = &now
	}
	return s.Job(ctx, id)
}

func (s *scriptedJobs) Finish(_ context.Context, id string, attempt int, status model.JobStatus, _ *model.JobResult, _ *model.JobError, now time.Time) error {
	j := s.jobs[id]
	if j.Status != model.StatusRunning || j.Attempts != attempt {
		return model.Errorf(model.CodeConflict, "stale attempt")
	}
	j.Status, j.FinishedAt = status, &now
	return nil
}

func (s *scriptedJobs) CancelJob(ctx context.Context, id string, now time.Time) (*model.Job, error) {
	j := s.jobs[id]
	switch j.Status {
	case model.StatusQueued:
		j.Status, j.FinishedAt = model.StatusCanceled, &now
	case model.StatusRunning:
		j.CancelRequested = true
	default:
		c, _ := s.Job(ctx, id)
		return c, model.Errorf(model.CodeConflict, "already %s", j.Status)
	}
	return s.Job(ctx, id)
}

func TestJobsAreCountedOnceWhenTheyEnd(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	store := &scriptedJobs{jobs: map[string]*model.Job{}}
	for id, typ := range map[string]model.JobType{"ok": model.JobTrain, "fails": model.JobScore, "queued": model.JobTrain, "running": model.JobTrain} {
		store.jobs[id] = &model.Job{ID: id, Type: typ, Status: model.StatusQueued, CreatedAt: t0}
	}
	m := New(Options{})
	jobs := ObserveJobs(store, m.Jobs)
	ctx := context.Background()

	mustStart := func(id string, sec float64) *model.Job {
		j, err := jobs.StartAttempt(ctx, id, at(sec))
		if err != nil {
			t.Fatal(err)
		}
		return j
	}
	mustStart("ok", 2)
	if err := jobs.Finish(ctx, "ok", 1, model.StatusSucceeded, nil, nil, at(5)); err != nil {
		t.Fatal(err)
	}
	if err := jobs.Finish(ctx, "ok", 1, model.StatusSucceeded, nil, nil, at(6)); err == nil {
		t.Fatal("a second finish succeeded")
	}
	mustStart("fails", 1)
	store.jobs["fails"].Status = model.StatusQueued // handed back, then retried: the second start is no queue wait
	mustStart("fails", 30)
	if err := jobs.Finish(ctx, "fails", 2, model.StatusFailed, nil, nil, at(31)); err != nil {
		t.Fatal(err)
	}
	if _, err := jobs.CancelJob(ctx, "queued", at(3)); err != nil {
		t.Fatal(err)
	}
	if _, err := jobs.CancelJob(ctx, "queued", at(4)); err == nil {
		t.Fatal("a second cancel succeeded")
	}
	mustStart("running", 1)
	if _, err := jobs.CancelJob(ctx, "running", at(2)); err != nil { // requested, not ended
		t.Fatal(err)
	}

	s := metricstest.Get(t, m.Handler())
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"mlserve_jobs_total", []string{"type", "train", "status", "succeeded"}, 1},
		{"mlserve_jobs_total", []string{"type", "score", "status", "failed"}, 1},
		{"mlserve_jobs_total", []string{"type", "train", "status", "canceled"}, 1},
		{"mlserve_jobs_total", []string{"type", "train", "status", "failed"}, 0},
		{"mlserve_job_duration_seconds", []string{"type", "train", "status", "succeeded"}, 1},
		{"mlserve_job_queue_wait_seconds", []string{"type", "train"}, 2},
		{"mlserve_job_queue_wait_seconds", []string{"type", "score"}, 1},
	} {
		if got := s.Value(c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	// Durations: first start to end (3 s for "ok", 30 s for "fails", whose
	// first start counts), submit to end for one that never started (3 s).
	sums := map[string]float64{}
	for _, mt := range s["mlserve_job_duration_seconds"].Metric {
		sums[mt.Label[0].GetValue()+"/"+mt.Label[1].GetValue()] = mt.Histogram.GetSampleSum()
	}
	for k, want := range map[string]float64{"succeeded/train": 3, "failed/score": 30, "canceled/train": 3} {
		if sums[k] != want {
			t.Errorf("duration sum of %s = %v, want %v", k, sums[k], want)
		}
	}
}

func TestQueueGaugesHoldTheLastSnapshot(t *testing.T) {
	m := New(Options{})
	m.Queue.Set("train", map[string]int{"pending": 4, "active": 1}, 90*time.Second)
	m.Queue.Set("train", map[string]int{"pending": 2, "active": 1}, 30*time.Second)
	s := metricstest.Get(t, m.Handler())
	if got := s.Value("mlserve_queue_tasks", "queue", "train", "state", "pending"); got != 2 {
		t.Errorf("pending = %v, want 2", got)
	}
	if got := s.Value("mlserve_queue_oldest_pending_seconds", "queue", "train"); got != 30 {
		t.Errorf("oldest pending = %v, want 30", got)
	}
}
