package worker

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"gitlab.com/mlserve/mlserve/internal/testenv"
	"gitlab.com/mlserve/mlserve/model"
)

// succeed is a handler that reports two steps of progress and succeeds.
func succeed(ctx context.Context, job *model.Job, progress Reporter) (*model.JobResult, error) {
	for i := range int64(2) {
		if err := progress.Report(ctx, model.Progress{Done: i + 1, Total: 2}); err != nil {
			return nil, err
		}
	}
	return &model.JobResult{Model: job.Request.Model, Version: 1}, nil
}

// blockUntilDone returns a handler that signals on started, then waits for
// its context to end and returns the context's error, and sends the
// context's cause on causes.
func blockUntilDone(started chan<- string, causes chan<- error) HandlerFunc {
	return func(ctx context.Context, job *model.Job, _ Reporter) (*model.JobResult, error) {
		started <- job.ID
		<-ctx.Done()
		if causes != nil {
			causes <- context.Cause(ctx)
		}
		return nil, ctx.Err()
	}
}

func TestASucceedingJobEndsSucceededWithItsProgressAndResult(t *testing.T) {
	for _, tt := range []struct {
		name  string
		redis func(testing.TB) string
	}{
		{"on redis-server", testenv.Redis},
		{"on miniredis (mlserve-dev)", testenv.MiniRedis},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnvOn(t, tt.redis(t))
			e.startWorker(Handlers{model.JobTrain: HandlerFunc(succeed)})
			job := e.submit(model.JobTrain, "iris")

			got := e.waitEnded(job.ID)
			if got.Status != model.StatusSucceeded || got.Attempts != 1 {
				t.Errorf("status, attempts = %s, %d; want succeeded, 1", got.Status, got.Attempts)
			}
			if got.Progress != (model.Progress{Done: 2, Total: 2}) {
				t.Errorf("progress = %+v, want 2 of 2", got.Progress)
			}
			if got.Result == nil || got.Result.Model != "iris" || got.Result.Version != 1 {
				t.Errorf("result = %+v, want iris version 1", got.Result)
			}
			if got.StartedAt == nil || got.FinishedAt == nil || got.Error != nil {
				t.Errorf("started_at, finished_at, error = %v, %v, %v; want both times and no error", got.StartedAt, got.FinishedAt, got.Error)
			}
			e.waitTaskGone(job)
		})
	}
}

func TestAFailedAttemptIsRetriedAndTheJobCanStillSucceed(t *testing.T) {
	e := newEnv(t)
	var calls atomic.Int32
	e.startWorker(Handlers{model.JobScore: HandlerFunc(func(ctx context.Context, job *model.Job, p Reporter) (*model.JobResult, error) {
		if calls.Add(1) == 1 {
			return nil, errors.New("read dataset: connection reset")
		}
		return &model.JobResult{Rows: 150}, nil
	})})
	job := e.submit(model.JobScore, "iris")

	got := e.waitEnded(job.ID)
	if got.Status != model.StatusSucceeded || got.Attempts != 2 {
		t.Errorf("status, attempts = %s, %d; want succeeded, 2", got.Status, got.Attempts)
	}
	if got.Error != nil {
		t.Errorf("error = %+v, want none once the job succeeded", got.Error)
	}
}

func TestAJobFailsAtOnceOnAnErrorThatARetryCannotFix(t *testing.T) {
	e := newEnv(t)
	var calls atomic.Int32
	e.startWorker(Handlers{model.JobTrain: HandlerFunc(func(context.Context, *model.Job, Reporter) (*model.JobResult, error) {
		calls.Add(1)
		return nil, model.Errorf(model.CodeInvalid, "column %q is not in the dataset", "species")
	})})
	job := e.submit(model.JobTrain, "iris")

	got := e.waitEnded(job.ID)
	if got.Status != model.StatusFailed || got.Attempts != 1 {
		t.Errorf("status, attempts = %s, %d; want failed, 1", got.Status, got.Attempts)
	}
	wantJobError(t, got, model.CodeInvalid, `column "species" is not in the dataset`)
	e.waitTaskState(job, asynq.TaskStateArchived)
	if n := calls.Load(); n != 1 {
		t.Errorf("handler ran %d times, want 1", n)
	}
}

func TestAJobFailsWithItsLastErrorWhenRetriesRunOut(t *testing.T) {
	e := newEnv(t)
	e.jobsCfg.MaxRetry = 1
	var calls atomic.Int32
	e.startWorker(Handlers{model.JobTrain: HandlerFunc(func(context.Context, *model.Job, Reporter) (*model.JobResult, error) {
		calls.Add(1)
		return nil, errors.New("write artifact: disk full")
	})})
	job := e.submit(model.JobTrain, "iris")

	got := e.waitEnded(job.ID)
	if got.Status != model.StatusFailed || got.Attempts != 2 {
		t.Errorf("status, attempts = %s, %d; want failed, 2", got.Status, got.Attempts)
	}
	wantJobError(t, got, model.CodeInternal, "disk full")
	e.waitTaskState(job, asynq.TaskStateArchived)
	if n := calls.Load(); n != 2 {
		t.Errorf("handler ran %d times, want 2", n)
	}
}

func TestAPanickingHandlerFailsItsJobAndTheWorkerRunsTheNextOne(t *testing.T) {
	e := newEnv(t)
	e.startWorker(Handlers{model.JobTrain: HandlerFunc(func(ctx context.Context, job *model.Job, p Reporter) (*model.JobResult, error) {
		if job.Request.Model == "crash" {
			var m map[string]int
			m["boom"]++ // a nil map write: a runtime panic
		}
		return succeed(ctx, job, p)
	})})

	crashed := e.waitEnded(e.submit(model.JobTrain, "crash").ID)
	if crashed.Status != model.StatusFailed || crashed.Attempts != 1 {
		t.Errorf("status, attempts = %s, %d; want failed, 1", crashed.Status, crashed.Attempts)
	}
	wantJobError(t, crashed, model.CodeInternal, "crashed")

	next := e.waitEnded(e.submit(model.JobTrain, "iris").ID)
	if next.Status != model.StatusSucceeded {
		t.Errorf("the job after the panic is %s, want succeeded", next.Status)
	}
}

func TestCancelingARunningJobCancelsItsHandler(t *testing.T) {
	tests := []struct {
		name string
		// signal also calls queue.Cancel, as the API does; without it the
		// worker learns of the request by polling only.
		signal     bool
		cancelPoll time.Duration
		wantCause  error
	}{
		{"with the cancel signal and no polling", true, time.Hour, context.Canceled},
		{"by polling alone", false, 50 * time.Millisecond, ErrCancelRequested},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.workerCfg.CancelPoll = tt.cancelPoll
			started, causes := make(chan string, 1), make(chan error, 1)
			e.startWorker(Handlers{model.JobTrain: blockUntilDone(started, causes)})
			job := e.submit(model.JobTrain, "iris")
			receive(t, started, "the handler to start")

			ctx := context.Background()
			canceled, err := e.jobs.CancelJob(ctx, job.ID, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if tt.signal {
				if err := e.queue().Cancel(ctx, canceled); err != nil {
					t.Fatal(err)
				}
			}

			if cause := receive(t, causes, "the handler's context to end"); !errors.Is(cause, tt.wantCause) {
				t.Errorf("handler's context cause = %v, want %v", cause, tt.wantCause)
			}
			got := e.waitEnded(job.ID)
			if got.Status != model.StatusCanceled || got.Attempts != 1 {
				t.Errorf("status, attempts = %s, %d; want canceled, 1", got.Status, got.Attempts)
			}
			wantJobError(t, got, model.CodeCanceled, "canceled")
		})
	}
}

func TestReportTellsAHandlerThatIgnoresItsContextToStop(t *testing.T) {
	e := newEnv(t)
	e.workerCfg.CancelPoll = time.Hour // only Report can notice
	started, reportErrs := make(chan string, 1), make(chan error, 1)
	e.startWorker(Handlers{model.JobScore: HandlerFunc(func(ctx context.Context, job *model.Job, p Reporter) (*model.JobResult, error) {
		started <- job.ID
		for i := int64(0); ; i++ {
			if err := p.Report(context.Background(), model.Progress{Done: i, Total: 1 << 40}); err != nil {
				reportErrs <- err
				return nil, err
			}
			time.Sleep(10 * time.Millisecond)
		}
	})})
	job := e.submit(model.JobScore, "iris")
	receive(t, started, "the handler to start")
	if _, err := e.jobs.CancelJob(context.Background(), job.ID, time.Now()); err != nil {
		t.Fatal(err)
	}

	err := receive(t, reportErrs, "Report to return an error")
	if !errors.Is(err, ErrCancelRequested) || !errors.Is(err, context.Canceled) {
		t.Errorf("Report error = %v, want ErrCancelRequested, a context.Canceled", err)
	}
	if got := e.waitEnded(job.ID); got.Status != model.StatusCanceled {
		t.Errorf("status = %s, want canceled", got.Status)
	}
}

func TestAJobThatOutrunsItsTimeoutFailsWithCodeTimeout(t *testing.T) {
	e := newEnv(t)
	e.jobsCfg.TrainTimeout = 300 * time.Millisecond
	started := make(chan string, 1)
	e.startWorker(Handlers{model.JobTrain: blockUntilDone(started, nil)})
	job := e.submit(model.JobTrain, "iris")

	got := e.waitEnded(job.ID)
	if got.Status != model.StatusFailed || got.Attempts != 1 {
		t.Errorf("status, attempts = %s, %d; want failed, 1", got.Status, got.Attempts)
	}
	wantJobError(t, got, model.CodeTimeout, "300ms timeout")
	e.waitTaskState(job, asynq.TaskStateArchived)
}

func TestShutdownHandsARunningJobBackForAnotherWorker(t *testing.T) {
	e := newEnv(t)
	started := make(chan string, 1)
	stopA := e.startWorker(Handlers{model.JobTrain: blockUntilDone(started, nil)})
	job := e.submit(model.JobTrain, "iris")
	receive(t, started, "worker A to start the job")

	stopA() // returns once the job is handed back
	if got := e.job(job.ID); got.Status != model.StatusQueued || got.Attempts != 1 {
		t.Fatalf("after worker A stopped: status, attempts = %s, %d; want queued, 1", got.Status, got.Attempts)
	}
	e.waitTaskState(job, asynq.TaskStatePending)

	e.startWorker(Handlers{model.JobTrain: HandlerFunc(succeed)})
	got := e.waitEnded(job.ID)
	if got.Status != model.StatusSucceeded || got.Attempts != 2 {
		t.Errorf("status, attempts = %s, %d; want succeeded, 2", got.Status, got.Attempts)
	}
}

func TestAJobTypeWithoutAHandlerWaitsForAWorkerThatHasOne(t *testing.T) {
	e := newEnv(t)
	e.startWorker(Handlers{model.JobTrain: HandlerFunc(succeed)})
	score := e.submit(model.JobScore, "iris")
	train := e.submit(model.JobTrain, "iris")
	if got := e.waitEnded(train.ID); got.Status != model.StatusSucceeded {
		t.Fatalf("train job %s, want succeeded", got.Status)
	}
	if got := e.job(score.ID); got.Status != model.StatusQueued || got.Attempts != 0 {
		t.Fatalf("score job with no handler = %s after %d attempts, want queued untouched", got.Status, got.Attempts)
	}

	e.startWorker(Handlers{model.JobScore: HandlerFunc(succeed)})
	if got := e.waitEnded(score.ID); got.Status != model.StatusSucceeded || got.Attempts != 1 {
		t.Errorf("score job = %s after %d attempts, want succeeded after 1", got.Status, got.Attempts)
	}
}

func TestACanceledJobWhoseWorkerDiedEndsCanceledAtItsNextDelivery(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	job := e.submit(model.JobTrain, "iris")
	// A worker started the job and died; then a user canceled it.
	if _, err := e.jobs.StartAttempt(ctx, job.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := e.jobs.CancelJob(ctx, job.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	e.startWorker(Handlers{model.JobTrain: HandlerFunc(func(context.Context, *model.Job, Reporter) (*model.JobResult, error) {
		calls.Add(1)
		return nil, nil
	})})

	got := e.waitEnded(job.ID)
	if got.Status != model.StatusCanceled {
		t.Errorf("status = %s, want canceled", got.Status)
	}
	e.waitTaskGone(job)
	if n := calls.Load(); n != 0 {
		t.Errorf("handler ran %d times, want 0", n)
	}
}

func TestTheTaskOfAnUnknownJobIsArchived(t *testing.T) {
	e := newEnv(t)
	e.startWorker(Handlers{model.JobTrain: HandlerFunc(succeed)})
	ghost := &model.Job{ID: "0123456789abcdef01234567", Type: model.JobTrain}
	if err := e.queue().Enqueue(context.Background(), ghost); err != nil {
		t.Fatal(err)
	}
	e.waitTaskState(ghost, asynq.TaskStateArchived)
}

func TestRunFailsAtOnceWhenRedisIsDown(t *testing.T) {
	srv := testenv.StartRedis(t)
	e := newEnvOn(t, srv.Addr)
	srv.Stop()
	w := New(e.rdb, e.jobs, nil, e.workerCfg, e.jobsCfg, e.logger)
	if err := w.Run(context.Background()); err == nil {
		t.Error("Run succeeded with Redis down")
	}
}

// outageStore is the real store, except that StartAttempt fails as if
// MongoDB were down until failures runs out.
type outageStore struct {
	model.JobStore
	failures atomic.Int32
}

func (s *outageStore) StartAttempt(ctx context.Context, id string, now time.Time) (*model.Job, error) {
	if s.failures.Add(-1) >= 0 {
		return nil, model.Errorf(model.CodeUnavailable, "the store is unavailable")
	}
	return s.JobStore.StartAttempt(ctx, id, now)
}

func TestAJobDeliveredWhileTheStoreIsDownRunsOnceItIsBack(t *testing.T) {
	e := newEnv(t)
	e.jobsCfg.MaxRetry = 1 // a store outage must not use up the job's retries
	store := &outageStore{JobStore: e.jobs}
	store.failures.Store(3)
	e.workerJobs = store
	e.startWorker(Handlers{model.JobTrain: HandlerFunc(succeed)})
	job := e.submit(model.JobTrain, "iris")

	got := e.waitEnded(job.ID)
	if got.Status != model.StatusSucceeded || got.Attempts != 1 {
		t.Errorf("status, attempts = %s, %d; want succeeded, 1", got.Status, got.Attempts)
	}
	if n := store.failures.Load(); n >= 0 {
		t.Errorf("StartAttempt was tried %d times too few: the outage was not exercised", n+1)
	}
}

func TestASupersededAttemptStopsAndLeavesTheJobToTheNewOne(t *testing.T) {
	e := newEnv(t)
	started, causes := make(chan string, 1), make(chan error, 1)
	e.startWorker(Handlers{model.JobTrain: blockUntilDone(started, causes)})
	job := e.submit(model.JobTrain, "iris")
	receive(t, started, "the handler to start")
	// Another worker starts the job, as after this worker's lease expired.
	if _, err := e.jobs.StartAttempt(context.Background(), job.ID, time.Now()); err != nil {
		t.Fatal(err)
	}

	if cause := receive(t, causes, "the handler's context to end"); !errors.Is(cause, ErrStaleAttempt) {
		t.Errorf("handler's context cause = %v, want ErrStaleAttempt", cause)
	}
	e.waitTaskGone(job)
	if got := e.job(job.ID); got.Status != model.StatusRunning || got.Attempts != 2 {
		t.Errorf("status, attempts = %s, %d; want running, 2 (the new attempt's)", got.Status, got.Attempts)
	}
}

func TestAStoreOutageOnTheLastRetryDropsTheTaskSoTheJobCanBeEnqueuedAgain(t *testing.T) {
	e := newEnv(t)
	e.jobsCfg.MaxRetry = 0
	store := &outageStore{JobStore: e.jobs}
	store.failures.Store(1)
	e.workerJobs = store
	e.startWorker(Handlers{model.JobTrain: HandlerFunc(succeed)})
	job := e.submit(model.JobTrain, "iris")

	e.waitTaskGone(job)
	if got := e.job(job.ID); got.Status != model.StatusQueued {
		t.Fatalf("status = %s, want queued", got.Status)
	}
	if err := e.queue().Enqueue(context.Background(), job); err != nil { // as a worker does when it starts
		t.Fatal(err)
	}
	if got := e.waitEnded(job.ID); got.Status != model.StatusSucceeded {
		t.Errorf("status = %s, want succeeded", got.Status)
	}
}
