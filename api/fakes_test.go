package api

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"gitlab.com/mlserve/mlserve/model"
)

// fakeJobs is an in-memory model.JobStore with the documented semantics:
// an idempotency key binds a job and a request until it expires, cancel and
// attempts follow the state machine, listings are newest first with an
// opaque cursor.
type fakeJobs struct {
	mu      sync.Mutex
	jobs    map[string]*model.Job
	keys    map[string]model.Idempotency // by Key; JobID in keyJobs
	keyJobs map[string]string            // Key → job id
	order   []string                     // ids in creation order
	seq     int
	now     func() time.Time
	filters []model.JobFilter // every ListJobs filter, for passthrough checks
	// scores, when set, loses a job's parts and outputs with the job, as
	// DeleteJob promises.
	scores *fakeScores
}

// fakeMaxPage is the fake store's own page-size cap and default.
const fakeMaxPage = 50

func newFakeJobs(now func() time.Time) *fakeJobs {
	return &fakeJobs{jobs: map[string]*model.Job{}, keys: map[string]model.Idempotency{}, keyJobs: map[string]string{}, now: now}
}

func clone(j *model.Job) *model.Job {
	c := *j
	return &c
}

func (s *fakeJobs) CreateJob(_ context.Context, job *model.Job, idem *model.Idempotency) (*model.Job, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if idem != nil {
		claim, ok := s.keys[idem.Key]
		j, live := s.jobs[s.keyJobs[idem.Key]]
		switch {
		case !ok || !s.now().Before(claim.Expires) || !live:
		case claim.RequestHash != idem.RequestHash:
			return nil, false, model.Invalid(map[string]string{"Idempotency-Key": "was used with a different request"})
		default:
			return clone(j), false, nil
		}
	}
	s.seq++
	id := fmt.Sprintf("%024x", s.seq)
	j := clone(job)
	j.ID, j.Status, j.CreatedAt = id, model.StatusQueued, s.now()
	s.jobs[id] = j
	s.order = append(s.order, id)
	if idem != nil {
		s.keys[idem.Key], s.keyJobs[idem.Key] = *idem, id
	}
	return clone(j), true, nil
}

func (s *fakeJobs) Job(_ context.Context, id string) (*model.Job, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j, ok := s.jobs[id]
	if !ok {
		return nil, model.Errorf(model.CodeNotFound, "job %s not found", id)
	}
	return clone(j), nil
}

func (s *fakeJobs) ListJobs(_ context.Context, f model.JobFilter) (*model.JobPage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.filters = append(s.filters, f)
	limit := f.Limit
	if limit <= 0 || limit > fakeMaxPage {
		limit = fakeMaxPage
	}
	start := len(s.order) - 1
	if f.Cursor != "" {
		i := slices.Index(s.order, f.Cursor)
		if i < 0 {
			return nil, &model.Error{Code: model.CodeInvalid, Message: "bad cursor", Fields: map[string]string{"cursor": "not a cursor of this listing"}}
		}
		start = i - 1
	}
	page := &model.JobPage{}
	for i := start; i >= 0; i-- {
		j := s.jobs[s.order[i]]
		if j == nil || (f.Type != "" && j.Type != f.Type) || (f.Status != "" && j.Status != f.Status) ||
			(f.Model != "" && j.Request.Model != f.Model) {
			continue
		}
		if len(page.Jobs) == limit {
			page.NextCursor = page.Jobs[len(page.Jobs)-1].ID
			break
		}
		page.Jobs = append(page.Jobs, clone(j))
	}
	return page, nil
}

func (s *fakeJobs) DeleteQueuedJob(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if j, ok := s.jobs[id]; ok && j.Status == model.StatusQueued {
		delete(s.jobs, id)
	}
	return nil
}

func (s *fakeJobs) DeleteJob(ctx context.Context, id string) error {
	s.mu.Lock()
	j, ok := s.jobs[id]
	switch {
	case !ok:
		s.mu.Unlock()
		return model.Errorf(model.CodeNotFound, "job %s not found", id)
	case !j.Status.Terminal():
		s.mu.Unlock()
		return model.Errorf(model.CodeConflict, "job %s is %s; only a finished job can be deleted", id, j.Status)
	}
	delete(s.jobs, id)
	s.mu.Unlock()
	if s.scores != nil {
		return s.scores.DeleteParts(ctx, id)
	}
	return nil
}

func (s *fakeJobs) StartAttempt(_ context.Context, id string, now time.Time) (*model.Job, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j, ok := s.jobs[id]
	switch {
	case !ok:
		return nil, model.Errorf(model.CodeNotFound, "job %s not found", id)
	case j.Status.Terminal() || j.CancelRequested:
		return clone(j), model.Errorf(model.CodeConflict, "job %s cannot start", id)
	}
	j.Status = model.StatusRunning
	j.Attempts++
	if j.StartedAt == nil {
		j.StartedAt = &now
	}
	return clone(j), nil
}

// running returns the job when attempt is its current running attempt.
func (s *fakeJobs) running(id string, attempt int) (*model.Job, error) {
	j, ok := s.jobs[id]
	if !ok {
		return nil, model.Errorf(model.CodeNotFound, "job %s not found", id)
	}
	if j.Status != model.StatusRunning || j.Attempts != attempt {
		return nil, model.Errorf(model.CodeConflict, "attempt %d of job %s is stale", attempt, id)
	}
	return j, nil
}

func (s *fakeJobs) SetProgress(_ context.Context, id string, attempt int, p model.Progress) (*model.Job, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j, err := s.running(id, attempt)
	if err != nil {
		return nil, err
	}
	j.Progress = p
	return clone(j), nil
}

func (s *fakeJobs) Requeue(_ context.Context, id string, attempt int, lastErr *model.JobError) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	j, err := s.running(id, attempt)
	if err != nil {
		return err
	}
	j.Status, j.Error = model.StatusQueued, lastErr
	return nil
}

func (s *fakeJobs) Finish(_ context.Context, id string, attempt int, status model.JobStatus, result *model.JobResult, jobErr *model.JobError, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	j, err := s.running(id, attempt)
	if err != nil {
		return err
	}
	j.Status, j.Result, j.Error, j.FinishedAt = status, result, jobErr, &now
	return nil
}

func (s *fakeJobs) CancelJob(_ context.Context, id string, now time.Time) (*model.Job, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j, ok := s.jobs[id]
	switch {
	case !ok:
		return nil, model.Errorf(model.CodeNotFound, "job %s not found", id)
	case j.Status.Terminal():
		return clone(j), model.Errorf(model.CodeConflict, "job %s already %s", id, j.Status)
	case j.Status == model.StatusQueued:
		j.Status, j.FinishedAt = model.StatusCanceled, &now
		j.Error = &model.JobError{Code: model.CodeCanceled, Message: "canceled on request"}
	default:
		j.CancelRequested = true
	}
	return clone(j), nil
}

// fakeQueue records what it was asked to do and fails on demand.
type fakeQueue struct {
	mu         sync.Mutex
	enqueued   []string
	canceled   []string
	enqueueErr error
	cancelErr  error
	pingErr    error
}

func (q *fakeQueue) Enqueue(_ context.Context, job *model.Job) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.enqueueErr != nil {
		return q.enqueueErr
	}
	q.enqueued = append(q.enqueued, job.ID)
	return nil
}

func (q *fakeQueue) Cancel(_ context.Context, job *model.Job) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.canceled = append(q.canceled, job.ID)
	return q.cancelErr
}

func (q *fakeQueue) Ping(context.Context) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.pingErr
}

func (q *fakeQueue) setEnqueueErr(err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.enqueueErr = err
}

func (q *fakeQueue) enqueuedIDs() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	return slices.Clone(q.enqueued)
}

func (q *fakeQueue) canceledIDs() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	return slices.Clone(q.canceled)
}
