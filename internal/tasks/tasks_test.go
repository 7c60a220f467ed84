package tasks

import (
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"gitlab.com/mlserve/mlserve/model"
)

func TestNewTaskAndParsePayloadRoundTrip(t *testing.T) {
	job := &model.Job{ID: "0123456789abcdef01234567", Type: model.JobScore}
	task, err := NewTask(job, Options{MaxRetry: 2, TrainTimeout: time.Hour, ScoreTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if task.Type() != "score" {
		t.Errorf("task type = %q, want score", task.Type())
	}
	p, err := ParsePayload(task)
	if err != nil {
		t.Fatal(err)
	}
	if p.JobID != job.ID {
		t.Errorf("job id = %q, want %q", p.JobID, job.ID)
	}
}

func TestNewTaskRejectsWhatAsynqWouldSilentlyDefault(t *testing.T) {
	tests := []struct {
		name string
		job  *model.Job
		opts Options
	}{
		{"a job without an id", &model.Job{Type: model.JobTrain}, Options{TrainTimeout: time.Minute}},
		{"a job type without a timeout", &model.Job{ID: "a", Type: model.JobScore}, Options{TrainTimeout: time.Minute}},
		{"an unknown job type", &model.Job{ID: "a", Type: "export"}, Options{TrainTimeout: time.Minute, ScoreTimeout: time.Minute}},
		{"a negative retry budget", &model.Job{ID: "a", Type: model.JobTrain}, Options{MaxRetry: -1, TrainTimeout: time.Minute}},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is an error", func(t *testing.T) {
			if _, err := NewTask(tt.job, tt.opts); err == nil {
				t.Error("NewTask succeeded")
			}
		})
	}
}

func TestParsePayloadRejectsBadPayloads(t *testing.T) {
	for name, payload := range map[string]string{
		"not json":      `{"job_id":`,
		"no job id":     `{}`,
		"empty job id":  `{"job_id":""}`,
		"wrong type id": `{"job_id":12}`,
	} {
		t.Run(name+" is an error", func(t *testing.T) {
			if _, err := ParsePayload(asynq.NewTask(TypeTrain, []byte(payload))); err == nil {
				t.Error("ParsePayload succeeded")
			}
		})
	}
}

func TestWholeSecondsRoundsUp(t *testing.T) {
	for _, tt := range []struct{ in, want time.Duration }{
		{time.Millisecond, time.Second},
		{time.Second, time.Second},
		{1500 * time.Millisecond, 2 * time.Second},
		{time.Hour, time.Hour},
	} {
		if got := wholeSeconds(tt.in); got != tt.want {
			t.Errorf("wholeSeconds(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestRetryDelayBacksOffWithJitterUpToACap(t *testing.T) {
	for _, tt := range []struct {
		retried  int
		min, max time.Duration
	}{
		{0, time.Second, 2 * time.Second},
		{1, 2 * time.Second, 4 * time.Second},
		{3, 8 * time.Second, 16 * time.Second},
		{7, 128 * time.Second, 256 * time.Second},
		{8, 150 * time.Second, 5 * time.Minute},
		{40, 150 * time.Second, 5 * time.Minute},
		{1 << 30, 150 * time.Second, 5 * time.Minute},
	} {
		seen := map[time.Duration]bool{}
		for range 50 {
			d := RetryDelay(tt.retried, nil, nil)
			if d < tt.min || d > tt.max {
				t.Fatalf("RetryDelay(%d) = %v, want within [%v, %v]", tt.retried, d, tt.min, tt.max)
			}
			seen[d] = true
		}
		if len(seen) < 2 {
			t.Errorf("RetryDelay(%d) returned the same delay 50 times: no jitter", tt.retried)
		}
	}
}
