package worker

import (
	"context"
	"testing"
	"time"

	"gitlab.com/mlserve/mlserve/internal/testenv"
	"gitlab.com/mlserve/mlserve/model"
)

func TestAScoreJobScoresEveryRowOnceInOrderAcrossItsParts(t *testing.T) {
	e := newScoreEnv(t, 1000)
	e.startWorker(Handlers{model.JobScore: e.handler(90)})
	e.startWorker(Handlers{model.JobScore: e.handler(90)})
	job := e.submitScore()
	done := e.waitEnded(job.ID)
	if done.Status != model.StatusSucceeded {
		t.Fatalf("job ended %s: %+v", done.Status, done.Error)
	}
	want := model.Progress{Done: 1000, Total: 1000, PartsDone: 12, PartsTotal: 12}
	if done.Progress != want {
		t.Errorf("progress = %+v, want %+v", done.Progress, want)
	}
	res := done.Result
	if res.Rows != 1000 || res.Model != "signs" || res.Version != 1 || len(res.Columns) != 6 {
		t.Errorf("result = %+v", res)
	}
	e.checkOutput(done)
	size := int64(len("id,x1,x2,prediction,probability_neg,probability_pos\n"))
	parts, _ := e.jobs.Parts(context.Background(), job.ID)
	for _, p := range parts {
		size += p.OutputBytes
	}
	if res.OutputBytes != size {
		t.Errorf("result says %d output bytes, header and parts make %d", res.OutputBytes, size)
	}
}

func TestAPartDeliveredAgainIsCountedOnceAndKeepsItsOutput(t *testing.T) {
	e := newScoreEnv(t, 300)
	h := e.handler(100)
	ctx := context.Background()
	// The test delivers the part tasks itself.
	job, started, rep := e.planned(h)
	for range 2 {
		if err := h.RunPart(ctx, job.ID, 1); err != nil {
			t.Fatal(err)
		}
	}
	first := e.part(job.ID, 1)
	if first.Status != model.PartDone {
		t.Fatalf("part 1 is %s after two deliveries", first.Status)
	}
	if err := h.RunPart(ctx, job.ID, 1); err != nil {
		t.Fatal(err)
	}
	if again := e.part(job.ID, 1); again.Output != first.Output || again.OutputBytes != first.OutputBytes {
		t.Errorf("a third delivery changed the part: %+v, was %+v", again, first)
	}
	// The coordinator, run now, scores the two other parts and counts the
	// redelivered one once.
	started = e.job(job.ID)
	res, err := h.Run(ctx, started, rep)
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows != 300 || rep.last.Done != 300 || rep.last.PartsDone != 3 {
		t.Errorf("result %+v, progress %+v; want 300 rows in 3 parts", res, rep.last)
	}
	if err := e.jobs.Finish(ctx, job.ID, started.Attempts, model.StatusSucceeded, res, nil, time.Now()); err != nil {
		t.Fatal(err)
	}
	e.checkOutput(e.job(job.ID))
}

func TestAPartWhoseScorerDiedIsTakenOverWhenItsClaimLapses(t *testing.T) {
	e := newScoreEnv(t, 200)
	h := e.handler(100)
	ctx := context.Background()
	job, started, rep := e.planned(h)
	// A scorer claimed part 0, wrote half an output file and died.
	now := time.Now()
	dead, err := e.jobs.ClaimPart(ctx, model.PartID(job.ID, 0), "dead-worker", now, now.Add(300*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.jobs.CreatePartOutput(ctx, dead)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := out.Write(make([]byte, 300<<10)); err != nil { // one full chunk, never closed
		t.Fatal(err)
	}
	if err := h.RunPart(ctx, job.ID, 0); err != nil {
		t.Fatal(err)
	}
	if p := e.part(job.ID, 0); p.Status != model.PartPending || p.Owner != "dead-worker" {
		t.Fatalf("a delivery while the claim holds changed the part: %+v", p)
	}
	time.Sleep(400 * time.Millisecond)
	res, err := h.Run(ctx, e.job(job.ID), rep)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.jobs.Finish(ctx, job.ID, started.Attempts, model.StatusSucceeded, res, nil, time.Now()); err != nil {
		t.Fatal(err)
	}
	e.checkOutput(e.job(job.ID))
}

func TestCancelingAScoreJobStopsEveryPartAndLeavesNoOutput(t *testing.T) {
	e := newScoreEnv(t, 2000)
	e.models.pred = &signPredictor{delay: 5 * time.Millisecond} // ~0.1 s per 100-row part, in batches
	e.startWorker(Handlers{model.JobScore: e.handler(100)})
	e.startWorker(Handlers{model.JobScore: e.handler(100)})
	job := e.submitScore()
	e.waitJob(job.ID, "to have a part done", func(j *model.Job) bool { return j.Progress.PartsDone > 0 })
	if _, err := e.jobs.CancelJob(context.Background(), job.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	done := e.waitEnded(job.ID)
	if done.Status != model.StatusCanceled {
		t.Fatalf("job ended %s, want canceled", done.Status)
	}
	if done.Progress.PartsDone == done.Progress.PartsTotal {
		t.Fatalf("every part was done before the cancel took effect: %+v", done.Progress)
	}
	// Part tasks notice within a poll; afterwards nothing of the job is left.
	testenv.WaitFor(t, waitBound, "the canceled job's parts and outputs to be gone", func() bool {
		parts, err := e.jobs.Parts(context.Background(), job.ID)
		return err == nil && len(parts) == 0 && e.outputFiles(job.ID) == 0
	})
}

func TestAScoreJobFailsWhenItsModelVersionWasDeleted(t *testing.T) {
	e := newScoreEnv(t, 10)
	e.models.version = &model.ModelVersion{Name: "signs", Version: 2}
	e.startWorker(Handlers{model.JobScore: e.handler(100)})
	job := e.submitScore()
	done := e.waitEnded(job.ID)
	if done.Status != model.StatusFailed || done.Error == nil || done.Error.Code != model.CodeNotFound {
		t.Fatalf("job ended %s with %+v; want failed, not_found", done.Status, done.Error)
	}
}

// planned submits a score job and has h start an attempt of it and plan
// it, as its coordinator would before scoring: no worker runs it.
func (e *scoreEnv) planned(h *ScoreHandler) (job, started *model.Job, rep *storeReporter) {
	e.tb.Helper()
	ctx := context.Background()
	job = e.submitScore()
	started, err := e.jobs.StartAttempt(ctx, job.ID, time.Now())
	if err != nil {
		e.tb.Fatal(err)
	}
	s, err := h.setup(ctx, started)
	if err != nil {
		e.tb.Fatal(err)
	}
	rep = &storeReporter{e: e.env, job: started}
	if _, err := h.plan(ctx, s, rep); err != nil {
		e.tb.Fatal(err)
	}
	return job, started, rep
}

// storeReporter records progress in the store for the job's attempt, as
// the worker's reporter does, and remembers the last.
type storeReporter struct {
	e    *env
	job  *model.Job
	last model.Progress
}

func (r *storeReporter) Report(ctx context.Context, p model.Progress) error {
	r.last = p
	_, err := r.e.jobs.SetProgress(ctx, r.job.ID, r.job.Attempts, p)
	return err
}

// part returns part index of the job as stored.
func (e *scoreEnv) part(jobID string, index int) *model.ScorePart {
	e.tb.Helper()
	parts, err := e.jobs.Parts(context.Background(), jobID)
	if err != nil || index >= len(parts) {
		e.tb.Fatalf("parts of %s: %d, %v", jobID, len(parts), err)
	}
	return parts[index]
}
