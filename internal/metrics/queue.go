package metrics

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// QueueSnapshot is one queue's task counts by state, and the age of its
// oldest pending task.
type QueueSnapshot struct {
	Queue         string
	Tasks         map[string]int
	OldestPending time.Duration
}

// Queue is the task queue families, set from snapshots read on an interval
// by one loop (Run), never per scrape: a scrape reads memory only.
type Queue struct {
	tasks  *prometheus.GaugeVec
	oldest *prometheus.GaugeVec
}

func newQueue(reg prometheus.Registerer) *Queue {
	q := &Queue{
		tasks: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "mlserve_queue_tasks",
			Help: "Tasks in each asynq queue by state, as last read from Redis.",
		}, []string{"queue", "state"}),
		oldest: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "mlserve_queue_oldest_pending_seconds",
			Help: "Age of each queue's oldest pending task (0 with none), as last read from Redis.",
		}, []string{"queue"}),
	}
	reg.MustRegister(q.tasks, q.oldest)
	return q
}

// Set records snapshots.
func (q *Queue) Set(snapshots []QueueSnapshot) {
	for _, s := range snapshots {
		for state, n := range s.Tasks {
			q.tasks.WithLabelValues(s.Queue, state).Set(float64(n))
		}
		q.oldest.WithLabelValues(s.Queue).Set(s.OldestPending.Seconds())
	}
}

// Run reads the queues with read every period until ctx is done. A failed
// read keeps the last values and is logged once per outage.
func (q *Queue) Run(ctx context.Context, read func() ([]QueueSnapshot, error), every time.Duration, logger *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	failing := false
	for {
		snaps, err := read()
		switch {
		case err == nil:
			q.Set(snaps)
			failing = false
		case !failing && ctx.Err() == nil:
			logger.Warn("read the task queues for metrics", "err", err)
			failing = true
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
