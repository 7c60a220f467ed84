package app

import (
	"context"
	"log/slog"

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
	if err := requeueLive(ctx, b.Store, queue); err != nil {
		// Not fatal: the jobs stay in the store and the next start retries.
		logger.Warn("requeue live jobs", "err", err)
	}
	w := worker.New(b.Redis, b.Store, handlers, cfg.Worker, cfg.Jobs, logger)
	return w.Run(ctx)
}

// requeueLive enqueues every queued or running job again. A task that still
// exists is left alone (the task id is the job id), so this only restores
// tasks that Redis lost, e.g. when it restarted without persistence or when
// mlserve-dev restarted with its in-memory Redis but kept its MongoDB data.
func requeueLive(ctx context.Context, jobs model.JobStore, queue model.JobQueue) error {
	for _, status := range []model.JobStatus{model.StatusQueued, model.StatusRunning} {
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
