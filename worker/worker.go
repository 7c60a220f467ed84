// Package worker runs mlserve's jobs: an asynq server pulls job tasks from
// Redis, and a lifecycle wrapper around each Handler keeps the job document
// in the store (the source of truth) in step: it starts a fenced attempt,
// watches for cancellation, enforces the job's timeout, and records the
// outcome, retrying, failing, canceling or handing the job back.
package worker

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"gitlab.com/mlserve/mlserve/internal/config"
	"gitlab.com/mlserve/mlserve/internal/logx"
	"gitlab.com/mlserve/mlserve/internal/tasks"
	"gitlab.com/mlserve/mlserve/model"
)

// Defaults for settings a zero config leaves unset.
const (
	defaultCancelPoll = 2 * time.Second
	// storeTimeout bounds the store writes that record an outcome. They run
	// on a context that outlives the task's, so a shutdown cannot cut them.
	storeTimeout = 15 * time.Second
	// handbackTimeout bounds how long Run waits, after asynq has stopped,
	// for interrupted handlers to return and hand their jobs back.
	handbackTimeout = 10 * time.Second
	// taskCheckEvery is how often an idle worker asks Redis for a task.
	// asynq's default, 1 s, is also the latency from submit to running on
	// an idle worker; SPEC 8 wants that under 250 ms. Ten cheap polls a
	// second per worker are nothing to Redis.
	taskCheckEvery = 100 * time.Millisecond
)

// Worker is the asynq server running mlserve's jobs.
type Worker struct {
	rdb      redis.UniversalClient
	jobs     model.JobStore
	handlers Handlers
	cfg      config.Worker
	opts     tasks.Options
	logger   *slog.Logger
	now      func() time.Time

	// asynq pacing, shortened by tests: how long asynq waits before a retry
	// (of a failed job, or after a store failure) and how often it looks
	// for due retries and for new tasks.
	retryDelay        asynq.RetryDelayFunc
	storeRetryDelay   time.Duration
	delayedCheckEvery time.Duration
	taskCheckEvery    time.Duration

	running   inflight
	redisDown atomic.Bool
}

// New returns a worker that runs jobs from rdb with handlers and records
// them in jobs. It serves only the queues of the job types it has handlers
// for: a job of another type waits, queued and cancelable, for a worker that
// can run it (during a rolling upgrade that adds a job type, say).
func New(rdb redis.UniversalClient, jobs model.JobStore, handlers Handlers, cfg config.Worker, jobsCfg config.Jobs, logger *slog.Logger) *Worker {
	if cfg.CancelPoll <= 0 {
		cfg.CancelPoll = defaultCancelPoll
	}
	return &Worker{
		rdb:             rdb,
		jobs:            jobs,
		handlers:        handlers,
		cfg:             cfg,
		opts:            tasks.OptionsFrom(jobsCfg),
		logger:          logger,
		now:             time.Now,
		retryDelay:      tasks.RetryDelay,
		storeRetryDelay: defaultStoreRetryDelay,
		taskCheckEvery:  taskCheckEvery,
	}
}

// Run processes jobs until ctx is done, then shuts down gracefully: it stops
// fetching tasks, lets running jobs finish within worker.shutdown_timeout,
// and hands the others back (asynq requeues their tasks, the lifecycle
// requeues their jobs) for another worker to run again. It fails at once
// when Redis does not answer. A Worker runs once.
func (w *Worker) Run(ctx context.Context) error {
	if err := w.rdb.Ping(ctx).Err(); err != nil {
		if ctx.Err() != nil {
			return nil // stopped before it started
		}
		return fmt.Errorf("ping redis: %w", err)
	}
	srv := asynq.NewServerFromRedisClient(w.rdb, asynq.Config{
		Concurrency:              w.cfg.Concurrency,
		Queues:                   w.queues(),
		ShutdownTimeout:          w.cfg.ShutdownTimeout,
		RetryDelayFunc:           w.retryDelayFor,
		IsFailure:                isFailure,
		DelayedTaskCheckInterval: w.delayedCheckEvery,
		TaskCheckInterval:        w.taskCheckEvery,
		Logger:                   logx.Asynq(w.logger.With("component", "asynq")),
		ErrorHandler:             asynq.ErrorHandlerFunc(w.logTaskError),
		HealthCheckFunc:          w.healthCheck,
	})
	if err := srv.Start(w.mux()); err != nil {
		return fmt.Errorf("start asynq server: %w", err)
	}
	w.logger.Info("worker started", "concurrency", w.cfg.Concurrency, "queues", w.queues())
	<-ctx.Done()
	w.logger.Info("worker stopping", "shutdown_timeout", w.cfg.ShutdownTimeout)
	srv.Shutdown()
	// asynq does not wait for the handlers it aborted; wait for them so
	// their jobs are handed back before the process (and its store) goes.
	if !w.running.wait(handbackTimeout) {
		w.logger.Warn("handlers still running after shutdown; their jobs stay running until a worker redelivers them")
	}
	w.logger.Info("worker stopped")
	return nil
}

// queues gives the queue of every job type this worker handles its
// configured weight. A queue with no weight, or a zero one, gets 1: asynq
// ignores such a queue, and its jobs would wait forever. With no handlers at
// all asynq serves its own "default" queue, which mlserve never uses.
func (w *Worker) queues() map[string]int {
	q := make(map[string]int, len(w.handlers))
	for t := range w.handlers {
		q[tasks.QueueName(t)] = max(w.cfg.Queues[string(t)], 1)
	}
	return q
}

// mux routes each handled job type's tasks to the lifecycle around its
// handler, and part tasks to the handler that splits its jobs into parts.
func (w *Worker) mux() *asynq.ServeMux {
	mux := asynq.NewServeMux()
	for t, h := range w.handlers {
		mux.HandleFunc(tasks.TypeName(t), func(ctx context.Context, task *asynq.Task) error {
			return w.dropIfLast(ctx, task, w.process(ctx, task, h))
		})
		if pr, ok := h.(partRunner); ok {
			mux.HandleFunc(tasks.TypeScorePart, func(ctx context.Context, task *asynq.Task) error {
				return w.processPart(ctx, task, pr)
			})
		}
	}
	return mux
}

// partRunner is a Handler whose jobs are split into parts that part tasks
// score (ScoreHandler). Part tasks go on the queue of the handler's job type.
type partRunner interface {
	RunPart(ctx context.Context, jobID string, index int) error
}

// processPart runs one delivery of a part task.
func (w *Worker) processPart(ctx context.Context, task *asynq.Task, pr partRunner) error {
	w.running.add()
	defer w.running.done()
	p, err := tasks.ParsePartPayload(task)
	if err != nil {
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	return pr.RunPart(ctx, p.JobID, p.Index)
}

// logTaskError logs a task error that asynq is about to retry or archive.
func (w *Worker) logTaskError(ctx context.Context, task *asynq.Task, err error) {
	id, _ := asynq.GetTaskID(ctx)
	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, _ := asynq.GetMaxRetry(ctx)
	w.logger.Warn("job task failed", "job_id", id, "type", task.Type(), "retried", retried, "max_retry", maxRetry, "err", err)
}

// healthCheck logs when Redis stops answering asynq's periodic ping, and
// when it answers again.
func (w *Worker) healthCheck(err error) {
	switch {
	case err != nil:
		w.redisDown.Store(true)
		w.logger.Error("redis health check failed", "err", err)
	case w.redisDown.Swap(false):
		w.logger.Info("redis answers again")
	}
}
