package tasks

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"gitlab.com/mlserve/mlserve/internal/testenv"
	"gitlab.com/mlserve/mlserve/model"
)

// newTestQueue returns a queue on rdb and an inspector to look behind it.
func newTestQueue(tb testing.TB, addr string) (*Queue, *asynq.Inspector) {
	tb.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	tb.Cleanup(func() { rdb.Close() })
	q := NewQueue(rdb, Options{MaxRetry: 3, TrainTimeout: 10 * time.Minute, ScoreTimeout: 90 * time.Second})
	tb.Cleanup(func() { q.Close() })
	return q, asynq.NewInspectorFromRedisClient(rdb)
}

func TestEnqueueStampsTheJobsOptionsOnItsTask(t *testing.T) {
	q, inspector := newTestQueue(t, testenv.Redis(t))
	ctx := context.Background()
	for _, tt := range []struct {
		job     *model.Job
		timeout time.Duration
	}{
		{&model.Job{ID: "aaaaaaaaaaaaaaaaaaaaaaaa", Type: model.JobTrain}, 10*time.Minute + TimeoutGrace},
		{&model.Job{ID: "bbbbbbbbbbbbbbbbbbbbbbbb", Type: model.JobScore}, 90*time.Second + TimeoutGrace},
	} {
		t.Run(string(tt.job.Type)+" task carries its queue, retry budget and timeout", func(t *testing.T) {
			if err := q.Enqueue(ctx, tt.job); err != nil {
				t.Fatal(err)
			}
			info, err := inspector.GetTaskInfo(string(tt.job.Type), tt.job.ID)
			if err != nil {
				t.Fatal(err)
			}
			if info.Queue != string(tt.job.Type) || info.Type != string(tt.job.Type) {
				t.Errorf("queue, type = %q, %q; want %q for both", info.Queue, info.Type, tt.job.Type)
			}
			if info.MaxRetry != 3 {
				t.Errorf("max retry = %d, want 3", info.MaxRetry)
			}
			if info.Timeout != tt.timeout {
				t.Errorf("timeout = %v, want %v", info.Timeout, tt.timeout)
			}
			if info.State != asynq.TaskStatePending {
				t.Errorf("state = %v, want pending", info.State)
			}
			p, err := ParsePayload(asynq.NewTask(info.Type, info.Payload))
			if err != nil || p.JobID != tt.job.ID {
				t.Errorf("payload = %+v, %v; want job id %s", p, err, tt.job.ID)
			}
		})
	}
}

func TestEnqueueingAJobTwiceIsNotAnError(t *testing.T) {
	q, inspector := newTestQueue(t, testenv.Redis(t))
	job := &model.Job{ID: "cccccccccccccccccccccccc", Type: model.JobTrain}
	for i := range 2 {
		if err := q.Enqueue(context.Background(), job); err != nil {
			t.Fatalf("enqueue #%d: %v", i+1, err)
		}
	}
	pending, err := inspector.ListPendingTasks("train")
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 1 {
		t.Errorf("%d pending tasks, want 1", len(pending))
	}
}

func TestCancelOfAQueuedJobDeletesItsTask(t *testing.T) {
	q, inspector := newTestQueue(t, testenv.Redis(t))
	ctx := context.Background()
	job := &model.Job{ID: "dddddddddddddddddddddddd", Type: model.JobScore}
	if err := q.Enqueue(ctx, job); err != nil {
		t.Fatal(err)
	}
	job.Status = model.StatusCanceled // what CancelJob returns for a queued job
	if err := q.Cancel(ctx, job); err != nil {
		t.Fatal(err)
	}
	if _, err := inspector.GetTaskInfo("score", job.ID); !errors.Is(err, asynq.ErrTaskNotFound) {
		t.Errorf("task info after cancel: %v, want task not found", err)
	}
	// Canceling again, or a job that was never enqueued, is not an error.
	if err := q.Cancel(ctx, job); err != nil {
		t.Errorf("second cancel: %v", err)
	}
}

func TestCancelOfARunningJobSignalsItsWorker(t *testing.T) {
	addr := testenv.Redis(t)
	q, _ := newTestQueue(t, addr)
	sub := redis.NewClient(&redis.Options{Addr: addr}).Subscribe(context.Background(), "asynq:cancel")
	t.Cleanup(func() { sub.Close() })
	if _, err := sub.Receive(context.Background()); err != nil { // the subscription confirmation
		t.Fatal(err)
	}
	job := &model.Job{ID: "eeeeeeeeeeeeeeeeeeeeeeee", Type: model.JobTrain, Status: model.StatusRunning, CancelRequested: true}
	if err := q.Cancel(context.Background(), job); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	msg, err := sub.ReceiveMessage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if msg.Payload != job.ID {
		t.Errorf("cancellation published for %q, want %q", msg.Payload, job.ID)
	}
}

func TestTheQueueIsUnavailableWhileRedisIsDown(t *testing.T) {
	srv := testenv.StartRedis(t)
	q, _ := newTestQueue(t, srv.Addr)
	ctx := context.Background()
	if err := q.Ping(ctx); err != nil {
		t.Fatalf("ping while redis is up: %v", err)
	}
	srv.Stop()
	job := &model.Job{ID: "ffffffffffffffffffffffff", Type: model.JobTrain}
	if code := model.ErrorCode(q.Ping(ctx)); code != model.CodeUnavailable {
		t.Errorf("ping while redis is down: code %q, want %q", code, model.CodeUnavailable)
	}
	if code := model.ErrorCode(q.Enqueue(ctx, job)); code != model.CodeUnavailable {
		t.Errorf("enqueue while redis is down: code %q, want %q", code, model.CodeUnavailable)
	}
	srv.Start()
	if err := q.Enqueue(ctx, job); err != nil {
		t.Errorf("enqueue after redis restarted: %v", err)
	}
}
