package metrics

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Queue is the task queue families, set from what one loop (Run) reads on
// an interval, never per scrape: a scrape reads memory only.
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

// Set records queue's task counts by state and the age of its oldest
// pending task.
func (q *Queue) Set(queue string, tasks map[string]int, oldestPending time.Duration) {
	for state, n := range tasks {
		q.tasks.WithLabelValues(queue, state).Set(float64(n))
	}
	q.oldest.WithLabelValues(queue).Set(oldestPending.Seconds())
}

// Run calls read, which reads the queues and Sets them, every period until
// ctx is done. A failed read keeps the last values and is logged once per
// outage.
func (q *Queue) Run(ctx context.Context, read func() error, every time.Duration, logger *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	failing := false
	for {
		err := read()
		switch {
		case err == nil:
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
