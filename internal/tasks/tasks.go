// Package tasks is the contract between the API, which enqueues jobs, and the
// worker, which runs them: the asynq task type and queue of each job type,
// the task payload, the options stamped on every task, and Queue, the
// model.JobQueue over asynq.
//
// A task carries only the job id. The job document in the store is the
// source of truth; asynq is the transport.
package tasks

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"gitlab.com/mlserve/mlserve/internal/config"
	"gitlab.com/mlserve/mlserve/model"
)

// The asynq task type of each job type. A job type's queue has the same name.
const (
	TypeTrain = string(model.JobTrain)
	TypeScore = string(model.JobScore)
)

// TimeoutGrace is added to a job's timeout in the asynq Timeout stamped on
// its task. The worker enforces the job timeout itself, so it can record the
// job as failed with code timeout and archive the task; asynq's own deadline,
// counted from dequeue, is a backstop for a worker that is stuck.
const TimeoutGrace = 30 * time.Second

// TypeName returns the asynq task type of jobs of type t.
func TypeName(t model.JobType) string { return string(t) }

// QueueName returns the asynq queue that jobs of type t are enqueued on.
func QueueName(t model.JobType) string { return string(t) }

// Payload is the body of every job task.
type Payload struct {
	JobID string `json:"job_id"`
}

// Options are the execution bounds stamped on every task.
type Options struct {
	// MaxRetry is how many times a failed task is retried after its first
	// attempt.
	MaxRetry int
	// TrainTimeout and ScoreTimeout bound one attempt of a job of each type.
	TrainTimeout time.Duration
	ScoreTimeout time.Duration
}

// OptionsFrom returns the task options the jobs configuration asks for.
func OptionsFrom(c config.Jobs) Options {
	return Options{MaxRetry: c.MaxRetry, TrainTimeout: c.TrainTimeout, ScoreTimeout: c.ScoreTimeout}
}

// Timeout returns the time one attempt of a job of type t may take, or 0 for
// an unknown type.
func (o Options) Timeout(t model.JobType) time.Duration {
	switch t {
	case model.JobTrain:
		return o.TrainTimeout
	case model.JobScore:
		return o.ScoreTimeout
	}
	return 0
}

// NewTask returns the task that carries job: its id is the job id (so
// enqueuing it twice is harmless), it goes to its type's queue, and it has
// an explicit retry budget and timeout. Without them asynq would silently
// apply 25 retries and 30 minutes.
func NewTask(job *model.Job, o Options) (*asynq.Task, error) {
	if job.ID == "" {
		return nil, errors.New("new task: the job has no id")
	}
	timeout := o.Timeout(job.Type)
	if timeout <= 0 {
		return nil, fmt.Errorf("new task for job %s: no timeout for %q jobs", job.ID, job.Type)
	}
	if o.MaxRetry < 0 {
		return nil, fmt.Errorf("new task for job %s: negative max retry %d", job.ID, o.MaxRetry)
	}
	payload, err := json.Marshal(Payload{JobID: job.ID})
	if err != nil {
		return nil, fmt.Errorf("new task for job %s: %w", job.ID, err)
	}
	return asynq.NewTask(TypeName(job.Type), payload,
		asynq.TaskID(job.ID),
		asynq.Queue(QueueName(job.Type)),
		asynq.MaxRetry(o.MaxRetry),
		asynq.Timeout(wholeSeconds(timeout+TimeoutGrace)),
	), nil
}

// wholeSeconds rounds d up to a whole number of seconds: asynq keeps task
// timeouts in seconds, and a timeout that truncates to 0 means "none", after
// which asynq falls back to 30 minutes.
func wholeSeconds(d time.Duration) time.Duration {
	return (d + time.Second - 1).Truncate(time.Second)
}

// ParsePayload decodes the payload of a job task.
func ParsePayload(t *asynq.Task) (Payload, error) {
	var p Payload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return Payload{}, fmt.Errorf("parse %s task payload: %w", t.Type(), err)
	}
	if p.JobID == "" {
		return Payload{}, fmt.Errorf("parse %s task payload: no job_id", t.Type())
	}
	return p, nil
}
