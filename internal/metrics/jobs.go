package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"gitlab.com/mlserve/mlserve/model"
)

// Jobs is the job families: jobs ended and their durations by type and
// status, the wait from submit to running, and the rows score jobs scored.
type Jobs struct {
	ended    *prometheus.CounterVec
	duration *prometheus.HistogramVec
	wait     *prometheus.HistogramVec
	rows     prometheus.Counter
}

func newJobs(reg prometheus.Registerer) *Jobs {
	j := &Jobs{
		ended: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mlserve_jobs_total",
			Help: "Jobs ended, by type and terminal status, counted by the process that ended them.",
		}, []string{"type", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "mlserve_job_duration_seconds",
			Help:    "Time from a job's first start (its submission, if it never started) to its end, by type and status.",
			Buckets: jobBuckets,
		}, []string{"type", "status"}),
		wait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "mlserve_job_queue_wait_seconds",
			Help:    "Time from a job's submission to the start of its first attempt, by type.",
			Buckets: jobBuckets,
		}, []string{"type"}),
		rows: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "mlserve_score_rows_total",
			Help: "Rows scored by the score job parts this process completed.",
		}),
	}
	for _, t := range []model.JobType{model.JobTrain, model.JobScore} {
		for _, s := range []model.JobStatus{model.StatusSucceeded, model.StatusFailed, model.StatusCanceled} {
			j.ended.WithLabelValues(string(t), string(s)) // every series from the start: ratios exist before the first failure
		}
	}
	reg.MustRegister(j.ended, j.duration, j.wait, j.rows)
	return j
}

// Ended counts job, which has just reached its terminal status.
func (j *Jobs) Ended(job *model.Job) {
	if !job.Status.Terminal() || job.FinishedAt == nil || !knownType(job.Type) {
		return
	}
	from := job.CreatedAt
	if job.StartedAt != nil {
		from = *job.StartedAt
	}
	t, s := string(job.Type), string(job.Status)
	j.ended.WithLabelValues(t, s).Inc()
	j.duration.WithLabelValues(t, s).Observe(nonNegative(job.FinishedAt.Sub(from)))
}

// Started records the queue wait of job, whose attempt has just started;
// only its first attempt counts (a retry's wait is the backoff).
func (j *Jobs) Started(job *model.Job) {
	if job.Attempts != 1 || job.StartedAt == nil || !knownType(job.Type) {
		return
	}
	j.wait.WithLabelValues(string(job.Type)).Observe(nonNegative(job.StartedAt.Sub(job.CreatedAt)))
}

// Scored counts rows of a score job part this process completed.
func (j *Jobs) Scored(rows int64) { j.rows.Add(float64(rows)) }

func knownType(t model.JobType) bool { return t == model.JobTrain || t == model.JobScore }

func nonNegative(d time.Duration) float64 { return max(d, 0).Seconds() }

// JobStore is a model.JobStore that tells Jobs when a job starts and
// ends: wrapping the store every process writes job outcomes through
// counts each job once, whichever process (an API canceling a queued job, a
// worker finishing one) ends it.
type JobStore struct {
	model.JobStore
	jobs *Jobs
}

// ObserveJobs wraps store.
func ObserveJobs(store model.JobStore, jobs *Jobs) *JobStore {
	return &JobStore{JobStore: store, jobs: jobs}
}

// StartAttempt implements model.JobStore.
func (s *JobStore) StartAttempt(ctx context.Context, id string, now time.Time) (*model.Job, error) {
	job, err := s.JobStore.StartAttempt(ctx, id, now)
	if err == nil {
		s.jobs.Started(job)
	}
	return job, err
}

// Finish implements model.JobStore. The job is read back for its type and
// times; a failed read leaves it uncounted (and says nothing to the
// caller, whose write succeeded).
func (s *JobStore) Finish(ctx context.Context, id string, attempt int, status model.JobStatus, result *model.JobResult, jobErr *model.JobError, now time.Time) error {
	if err := s.JobStore.Finish(ctx, id, attempt, status, result, jobErr, now); err != nil {
		return err
	}
	if job, err := s.JobStore.Job(ctx, id); err == nil && job.Status == status {
		s.jobs.Ended(job)
	}
	return nil
}

// CancelJob implements model.JobStore: a queued job it cancels ends here.
func (s *JobStore) CancelJob(ctx context.Context, id string, now time.Time) (*model.Job, error) {
	job, err := s.JobStore.CancelJob(ctx, id, now)
	if err == nil && job.Status == model.StatusCanceled {
		s.jobs.Ended(job)
	}
	return job, err
}
