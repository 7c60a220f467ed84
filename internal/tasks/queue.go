package tasks

import (
	"context"
	"errors"
	"fmt"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"gitlab.com/mlserve/mlserve/model"
)

// Queue is the model.JobQueue over asynq. It shares the process's Redis
// client, and closing it leaves that client open.
type Queue struct {
	rdb       redis.UniversalClient
	client    *asynq.Client
	inspector *asynq.Inspector
	opts      Options
}

// NewQueue returns a queue that enqueues on rdb with the task options o.
func NewQueue(rdb redis.UniversalClient, o Options) *Queue {
	return &Queue{
		rdb:       rdb,
		client:    asynq.NewClientFromRedisClient(rdb),
		inspector: asynq.NewInspectorFromRedisClient(rdb),
		opts:      o,
	}
}

// Enqueue hands job to the workers. A task with the job's id that already
// exists (pending, running, waiting for a retry or archived) is not an
// error: that is how a client's retry of an idempotent submit heals an
// enqueue that was lost. CodeUnavailable when Redis does not answer.
func (q *Queue) Enqueue(ctx context.Context, job *model.Job) error {
	task, err := NewTask(job, q.opts)
	if err != nil {
		return err
	}
	return q.enqueue(ctx, task, "job "+job.ID)
}

// enqueue enqueues task, treating a task with its id that exists already
// as enqueued.
func (q *Queue) enqueue(ctx context.Context, task *asynq.Task, what string) error {
	_, err := q.client.EnqueueContext(ctx, task)
	switch {
	case err == nil, errors.Is(err, asynq.ErrTaskIDConflict), errors.Is(err, asynq.ErrDuplicateTask):
		return nil
	}
	return unavailable("enqueue "+what, err)
}

// Cancel removes the task of a job that is not running, or signals the
// worker running it to cancel its context. It is best effort: the worker
// obeys the job document, which CancelJob has already updated, and notices
// the request by polling even when the signal is lost.
//
// The asynq inspector takes no context, so ctx is not honoured.
func (q *Queue) Cancel(_ context.Context, job *model.Job) error {
	if job.Status == model.StatusRunning {
		if err := q.inspector.CancelProcessing(job.ID); err != nil {
			return unavailable("signal cancellation of job "+job.ID, err)
		}
		return nil
	}
	err := q.inspector.DeleteTask(QueueName(job.Type), job.ID)
	switch {
	case err == nil, errors.Is(err, asynq.ErrTaskNotFound), errors.Is(err, asynq.ErrQueueNotFound):
		return nil
	}
	// The task may be active: a worker dequeued it but has not started the
	// attempt yet (it will find the job canceled and drop it), or it started
	// just after CancelJob read the job. Signal it to be sure.
	if cerr := q.inspector.CancelProcessing(job.ID); cerr != nil {
		return unavailable("cancel task of job "+job.ID, errors.Join(err, cerr))
	}
	return nil
}

// Ping checks that Redis answers; CodeUnavailable when it does not.
func (q *Queue) Ping(ctx context.Context) error {
	if err := q.rdb.Ping(ctx).Err(); err != nil {
		return unavailable("ping redis", err)
	}
	return nil
}

// Close releases nothing today: the asynq client and inspector run on the
// shared Redis client, which its owner closes. It exists so callers need not
// change if the queue ever owns resources.
func (q *Queue) Close() error { return nil }

// unavailable wraps a Redis failure in a CodeUnavailable error that keeps
// the cause in its chain (and its message, for the logs).
func unavailable(op string, err error) error {
	return fmt.Errorf("%s: %w: %w", op, model.Errorf(model.CodeUnavailable, "the job queue is unavailable"), err)
}
