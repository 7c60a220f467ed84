package tasks

import (
	"slices"
	"time"

	"gitlab.com/mlserve/mlserve/model"
)

// QueueStats is what one asynq queue holds, by task state.
type QueueStats struct {
	Queue string
	// Tasks counts the queue's tasks by asynq state: pending, active,
	// scheduled, retry, archived, completed, aggregating.
	Tasks map[string]int
	// OldestPending is the age of the oldest pending task, 0 with none.
	OldestPending time.Duration
}

// Stats reads every job queue's counts from Redis. A queue that was never
// used reads as empty.
func (q *Queue) Stats() ([]QueueStats, error) {
	// asynq knows a queue once a task was enqueued on it; its error for an
	// unknown queue is internal to it, so ask which exist first.
	known, err := q.inspector.Queues()
	if err != nil {
		return nil, unavailable("list queues", err)
	}
	var all []QueueStats
	for _, t := range []model.JobType{model.JobTrain, model.JobScore} {
		s := QueueStats{Queue: QueueName(t), Tasks: map[string]int{
			"pending": 0, "active": 0, "scheduled": 0, "retry": 0, "archived": 0, "completed": 0, "aggregating": 0,
		}}
		if !slices.Contains(known, s.Queue) {
			all = append(all, s)
			continue
		}
		info, err := q.inspector.GetQueueInfo(s.Queue)
		if err != nil {
			return nil, unavailable("read queue "+s.Queue, err)
		}
		s.Tasks["pending"], s.Tasks["active"], s.Tasks["scheduled"] = info.Pending, info.Active, info.Scheduled
		s.Tasks["retry"], s.Tasks["archived"], s.Tasks["completed"] = info.Retry, info.Archived, info.Completed
		s.Tasks["aggregating"] = info.Aggregating
		if info.Pending > 0 {
			s.OldestPending = info.Latency
		}
		all = append(all, s)
	}
	return all, nil
}
