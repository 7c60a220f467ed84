package app

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"time"

	"gitlab.com/mlserve/mlserve/api"
	"gitlab.com/mlserve/mlserve/internal/config"
	"gitlab.com/mlserve/mlserve/internal/metrics"
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
	if b.Metrics != nil {
		polled := make(chan struct{})
		go func() {
			defer close(polled)
			b.Metrics.Queue.Run(ctx, func() error { return readQueues(queue, b.Metrics.Queue) }, queuePollEvery, logger)
		}()
		defer func() { stop(); <-polled }()
	}
	if cfg.Ops.Addr != "" {
		served, err := serveOps(ctx, cfg, b, queue, logger)
		if err != nil {
			return err
		}
		defer func() { stop(); <-served }()
	}
	w := worker.New(b.Redis, b.jobStore(), handlers, cfg.Worker, cfg.Jobs, logger)
	return w.Run(ctx)
}

// queuePollEvery is how often a worker reads the queues' sizes for
// mlserve_queue_tasks: a few cheap Redis reads, whatever the scrape rate.
const queuePollEvery = 5 * time.Second

// readQueues reads queue's sizes into m.
func readQueues(queue *tasks.Queue, m *metrics.Queue) error {
	stats, err := queue.Stats()
	for _, s := range stats {
		m.Set(s.Queue, s.Tasks, s.OldestPending)
	}
	return err
}

// serveOps serves the worker's operations listener on ops.addr until ctx is
// done; served closes once it has shut down.
func serveOps(ctx context.Context, cfg *config.Config, b *Backends, queue *tasks.Queue, logger *slog.Logger) (served <-chan struct{}, err error) {
	ln, err := net.Listen("tcp", cfg.Ops.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s (ops.addr): %w", cfg.Ops.Addr, err)
	}
	h := api.NewOpsServer(logger, b.checks(queue), b.Metrics)
	httpCfg := cfg.HTTP
	httpCfg.Addr = cfg.Ops.Addr
	srv := api.NewHTTPServer(httpCfg, h, logger)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := api.Serve(ctx, srv, ln, cfg.HTTP.ShutdownTimeout); err != nil {
			logger.Error("ops listener", "err", err)
		}
	}()
	logger.Info("ops listening", "addr", ln.Addr().String())
	return done, nil
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
