package tasks

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/hibiken/asynq"

	"gitlab.com/mlserve/mlserve/model"
)

// TypeScorePart is the asynq task type of one part of a score job. Part
// tasks share the score queue: whichever worker is free scores the next
// part, which is how a score job spreads over every worker.
const TypeScorePart = "score:part"

// PartPayload is the body of a part task.
type PartPayload struct {
	JobID string `json:"job_id"`
	Index int    `json:"index"`
}

// NewPartTask returns the task that asks a worker to score part of its
// job: its id is the part id (so enqueuing it twice is harmless) and it has
// the score job's timeout and retry budget.
func NewPartTask(part *model.ScorePart, o Options) (*asynq.Task, error) {
	if part.JobID == "" || part.ID != model.PartID(part.JobID, part.Index) {
		return nil, fmt.Errorf("new part task: part %q of job %q has a wrong id", part.ID, part.JobID)
	}
	payload, err := json.Marshal(PartPayload{JobID: part.JobID, Index: part.Index})
	if err != nil {
		return nil, fmt.Errorf("new part task %s: %w", part.ID, err)
	}
	return asynq.NewTask(TypeScorePart, payload,
		asynq.TaskID(part.ID),
		asynq.Queue(QueueName(model.JobScore)),
		asynq.MaxRetry(o.MaxRetry),
		asynq.Timeout(wholeSeconds(o.ScoreTimeout+TimeoutGrace)),
	), nil
}

// ParsePartPayload decodes the payload of a part task.
func ParsePartPayload(t *asynq.Task) (PartPayload, error) {
	var p PartPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return PartPayload{}, fmt.Errorf("parse %s task payload: %w", t.Type(), err)
	}
	if p.JobID == "" || p.Index < 0 {
		return PartPayload{}, fmt.Errorf("parse %s task payload: no job_id or a negative index", t.Type())
	}
	return p, nil
}

// EnqueuePart hands part to whichever worker is free. A task with the
// part's id that exists already is not an error. CodeUnavailable when
// Redis does not answer.
func (q *Queue) EnqueuePart(ctx context.Context, part *model.ScorePart) error {
	task, err := NewPartTask(part, q.opts)
	if err != nil {
		return err
	}
	return q.enqueue(ctx, task, "part "+part.ID)
}
