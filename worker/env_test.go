package worker

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"gitlab.com/mlserve/mlserve/internal/config"
	"gitlab.com/mlserve/mlserve/internal/mongo"
	"gitlab.com/mlserve/mlserve/internal/tasks"
	"gitlab.com/mlserve/mlserve/internal/testenv"
	"gitlab.com/mlserve/mlserve/model"
)

// waitBound bounds every wait for a condition. It is not a performance
// claim: the conditions normally hold within a second or two.
const waitBound = 30 * time.Second

// env is a job store (the real one, on an embedded FerretDB), a Redis and
// what a test needs to submit jobs and run workers on them.
type env struct {
	tb        testing.TB
	jobs      *mongo.Store
	rdb       *redis.Client
	inspector *asynq.Inspector
	logger    *slog.Logger
	// Tests adjust these before submitting jobs and starting workers.
	jobsCfg   config.Jobs
	workerCfg config.Worker
	// workerJobs, when set, is the store the workers use instead of jobs.
	workerJobs model.JobStore
}

// newEnv returns an env on a real redis-server.
func newEnv(tb testing.TB) *env {
	tb.Helper()
	return newEnvOn(tb, testenv.Redis(tb))
}

// newEnvOn returns an env on the Redis at redisAddr.
func newEnvOn(tb testing.TB, redisAddr string) *env {
	tb.Helper()
	logger := testLogger(tb)
	store, err := mongo.Open(context.Background(), testenv.Mongo(tb), logger)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close(context.Background()) })
	// The dataset of submit's jobs, which a job needs to be created.
	if err := store.InsertDataset(context.Background(), &model.Dataset{ID: "ds1", Name: "ds1"}); err != nil {
		tb.Fatal(err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: redisAddr})
	tb.Cleanup(func() { rdb.Close() })
	return &env{
		tb:        tb,
		jobs:      store,
		rdb:       rdb,
		inspector: asynq.NewInspectorFromRedisClient(rdb),
		logger:    logger,
		jobsCfg:   config.Jobs{TrainTimeout: time.Minute, ScoreTimeout: time.Minute, MaxRetry: 2},
		workerCfg: config.Worker{
			Concurrency:     2,
			Queues:          map[string]int{"train": 2, "score": 1},
			ShutdownTimeout: time.Second,
			CancelPoll:      50 * time.Millisecond,
		},
	}
}

// submit creates a queued job of type t for the named model and enqueues
// it, as the API does.
func (e *env) submit(t model.JobType, modelName string) *model.Job {
	e.tb.Helper()
	ctx := context.Background()
	job, _, err := e.jobs.CreateJob(ctx, &model.Job{
		Type:    t,
		Request: model.JobRequest{Type: t, Model: modelName, Dataset: "ds1"},
	}, nil)
	if err != nil {
		e.tb.Fatal(err)
	}
	if err := e.queue().Enqueue(ctx, job); err != nil {
		e.tb.Fatal(err)
	}
	return job
}

func (e *env) queue() *tasks.Queue {
	return tasks.NewQueue(e.rdb, tasks.OptionsFrom(e.jobsCfg))
}

// startWorker runs a worker with handlers until the returned stop is
// called or the test ends. stop shuts the worker down and waits for Run to
// return. asynq's pacing is shortened so retries come quickly.
func (e *env) startWorker(handlers Handlers) (stop func()) {
	e.tb.Helper()
	var jobs model.JobStore = e.jobs
	if e.workerJobs != nil {
		jobs = e.workerJobs
	}
	w := New(e.rdb, jobs, handlers, e.workerCfg, e.jobsCfg, e.logger)
	w.retryDelay = func(int, error, *asynq.Task) time.Duration { return 10 * time.Millisecond }
	w.storeRetryDelay = 10 * time.Millisecond
	w.delayedCheckEvery = 100 * time.Millisecond
	w.taskCheckEvery = 50 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				e.tb.Errorf("worker: %v", err)
			}
		})
	}
	e.tb.Cleanup(stop)
	return stop
}

// job returns the job as stored.
func (e *env) job(id string) *model.Job {
	e.tb.Helper()
	job, err := e.jobs.Job(context.Background(), id)
	if err != nil {
		e.tb.Fatal(err)
	}
	return job
}

// waitJob waits until the stored job satisfies cond and returns it.
func (e *env) waitJob(id, what string, cond func(*model.Job) bool) *model.Job {
	e.tb.Helper()
	var job *model.Job
	testenv.WaitFor(e.tb, waitBound, "job "+id+" "+what, func() bool {
		job = e.job(id)
		return cond(job)
	})
	return job
}

// waitEnded waits until the job is terminal and returns it.
func (e *env) waitEnded(id string) *model.Job {
	e.tb.Helper()
	return e.waitJob(id, "to end", func(j *model.Job) bool { return j.Status.Terminal() })
}

// waitTaskState waits until the job's task is in state.
func (e *env) waitTaskState(job *model.Job, state asynq.TaskState) {
	e.tb.Helper()
	deadline := time.Now().Add(waitBound)
	for {
		info, err := e.inspector.GetTaskInfo(tasks.QueueName(job.Type), job.ID)
		if err == nil && info.State == state {
			return
		}
		if time.Now().After(deadline) {
			e.tb.Fatalf("gave up after %v waiting for task %s to be %v: last seen %+v, %v", waitBound, job.ID, state, info, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitTaskGone waits until the job's task no longer exists, which is how
// asynq acknowledges a task.
func (e *env) waitTaskGone(job *model.Job) {
	e.tb.Helper()
	testenv.WaitFor(e.tb, waitBound, "task "+job.ID+" to be acknowledged", func() bool {
		_, err := e.inspector.GetTaskInfo(tasks.QueueName(job.Type), job.ID)
		return errors.Is(err, asynq.ErrTaskNotFound)
	})
}

// receive waits for a value on ch.
func receive[T any](tb testing.TB, ch <-chan T, what string) T {
	tb.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitBound):
		tb.Fatalf("gave up after %v waiting for %s", waitBound, what)
		panic("unreachable")
	}
}

// wantJobError checks a job's error code and that its message contains
// fragment.
func wantJobError(tb testing.TB, job *model.Job, code, fragment string) {
	tb.Helper()
	if job.Error == nil {
		tb.Fatalf("job %s has no error, want code %s", job.ID, code)
	}
	if job.Error.Code != code || !strings.Contains(job.Error.Message, fragment) {
		tb.Errorf("job error = %+v, want code %s and a message containing %q", *job.Error, code, fragment)
	}
}

// testLogger logs through tb while the test runs and drops what asynq's
// goroutines log after it ended.
func testLogger(tb testing.TB) *slog.Logger {
	w := &tbWriter{tb: tb}
	tb.Cleanup(w.close)
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tbWriter struct {
	mu     sync.Mutex
	tb     testing.TB
	closed bool
}

func (w *tbWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.closed {
		w.tb.Log(strings.TrimSuffix(string(p), "\n"))
	}
	return len(p), nil
}

func (w *tbWriter) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
}
