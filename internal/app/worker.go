package app

import (
	"context"
	"log/slog"
	"time"

	"gitlab.com/mlserve/mlserve/internal/config"
	"gitlab.com/mlserve/mlserve/internal/tasks"
	"gitlab.com/mlserve/mlserve/model"
	"gitlab.com/mlserve/mlserve/worker"
)

// RunWorker processes jobs with the given handlers until ctx is done, then
// shuts down gracefully: it stops fetching, lets in-flight jobs finish within
// worker.shutdown_timeout and hands the rest back to the queue.
func RunWorker(ctx context.Context, cfg *config.Config, b *Backends, handlers worker.Handlers, logger *slog.Logger) error {
	queue := tasks.NewQueue(b.Redis, tasks.OptionsFrom(cfg.Jobs))
	defer queue.Close()
	ctx, stop := context.WithCancel(ctx)
	reconciled := make(chan struct{})
	go func() {
		defer close(reconciled)
		reconcile(ctx, b.Store, queue, reconcileEvery, logger)
	}()
	defer func() { stop(); <-reconciled }()
	w := worker.New(b.Redis, b.Store, handlers, cfg.Worker, cfg.Jobs, logger)
	return w.Run(ctx)
}

// reconcileEvery is how often a worker gives every queued job a task again.
const reconcileEvery = time.Minute

// reconcile enqueues every live job at once, then every queued job every
// period, until ctx is done: a job whose task Redis lost (a restart without
// persistence, a flush) runs without waiting for a worker to restart.
//
// Running jobs are enqueued only at start. Later, a running job whose task
// is gone is still running in some worker (one that died leaves its task
// behind, for asynq to deliver again); a second task would start a second
// attempt that supersedes the healthy one, and when the first attempt's
// task is acknowledged, asynq, which acknowledges by task id, would delete
// the second's.
func reconcile(ctx context.Context, jobs model.JobStore, queue model.JobQueue, period time.Duration, logger *slog.Logger) {
	t := time.NewTicker(period)
	defer t.Stop()
	statuses := []model.JobStatus{model.StatusQueued, model.StatusRunning}
	for {
		if err := requeue(ctx, jobs, queue, statuses); err != nil && ctx.Err() == nil {
			// Not fatal: the jobs stay in the store and the next round retries.
			logger.Warn("requeue live jobs", "err", err)
		}
		statuses = statuses[:1]
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// requeue enqueues every job in one of the statuses again. A task that
// still exists is left alone (the task id is the job id), so this only
// restores tasks that Redis lost, e.g. when it restarted without
// persistence or when mlserve-dev restarted with its in-memory Redis but
// kept its MongoDB data.
func requeue(ctx context.Context, jobs model.JobStore, queue model.JobQueue, statuses []model.JobStatus) error {
	for _, status := range statuses {
		f := model.JobFilter{Status: status, Limit: 200}
		for {
			page, err := jobs.ListJobs(ctx, f)
			if err != nil {
				return err
			}
			for _, job := range page.Jobs {
				if err := queue.Enqueue(ctx, job); err != nil {
					return err
				}
			}
			if page.NextCursor == "" {
				break
			}
			f.Cursor = page.NextCursor
		}
	}
	return nil
}
