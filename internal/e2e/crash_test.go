package e2e

import (
	"maps"
	"testing"
	"time"

	"gitlab.com/mlserve/mlserve/model"
)

// scoreWorker are the settings of the crash tests' workers: parts of 50,000
// rows, so a 1,000,000-row job has 20 and a crash lands between its first
// part and its last.
var scoreWorker = map[string]string{"MLSERVE_JOBS_SCORE_PART_ROWS": "50000"}

// recoveryTimeout bounds the wait for a job after a crash. asynq re-delivers
// the task of a dead worker once its lease (30 s) has been expired for 30 s,
// which its recoverer checks every minute: 60 to 120 s after the kill.
const recoveryTimeout = 5 * time.Minute

// scoreRequest asks to score dataset with the iris model's production
// version, echoing the input columns.
func scoreRequest(dataset string) map[string]any {
	return map[string]any{
		"type": "score", "model": modelName, "alias": model.AliasProduction,
		"dataset": dataset, "include_input": true,
	}
}

// midJob reports whether a score job has done some of its parts but not
// all, or has ended.
func midJob(j *model.Job) bool {
	p := j.Progress
	return j.Status.Terminal() || (p.PartsDone > 0 && p.PartsDone < p.PartsTotal)
}

// waitMidJob waits until job id has scored some but not all of its parts,
// and fails tb when it ends first.
func waitMidJob(tb testing.TB, c *client, id string) *model.Job {
	tb.Helper()
	j := c.waitJob(tb, id, 20*time.Millisecond, 2*time.Minute, midJob)
	if j.Status.Terminal() {
		tb.Fatalf("job %s ended before it could be interrupted: %s", id, jobSummary(j))
	}
	return j
}

// TestScoreJobSurvivesWorkerSIGKILL kills the only worker while it scores
// 1,000,000 rows and starts a new one: the job ends succeeded, and its
// output is exact, as if nothing had happened.
func TestScoreJobSurvivesWorkerSIGKILL(t *testing.T) {
	t.Parallel()
	c := newCluster(t)
	api := c.startAPI()
	// One job at a time: the killed worker is the one scoring the job, and
	// no other slot of it scores parts on the side.
	settings := map[string]string{"MLSERVE_WORKER_CONCURRENCY": "1"}
	maps.Copy(settings, scoreWorker)
	first := c.startWorker(settings)
	mv := trainIris(t, api)
	d := bigDataset(t)
	ds := api.uploadDataset(t, "big", d.csv)

	job := api.submit(t, scoreRequest(ds.ID))
	mid := waitMidJob(t, api, job.ID)
	first.kill(t)
	killed := time.Now()
	if j := api.job(t, job.ID); j.Status.Terminal() {
		t.Fatalf("job %s ended before the kill landed: %s", job.ID, jobSummary(j))
	}
	t.Logf("SIGKILLed %s with %d of %d parts (%d of %d rows) scored", first, mid.Progress.PartsDone, mid.Progress.PartsTotal, mid.Progress.Done, mid.Progress.Total)

	c.startWorker(settings)
	done := api.waitSucceeded(t, job.ID, recoveryTimeout)
	recovery := time.Since(killed)
	t.Logf("recovery: %s from SIGKILL to succeeded, in %d attempts", recovery.Round(100*time.Millisecond), done.Attempts)
	if done.Attempts < 2 {
		t.Errorf("attempts = %d, want at least 2: the killed attempt and the one that finished", done.Attempts)
	}
	if p := done.Progress; p.Done != int64(bigRows) || p.Total != int64(bigRows) || p.PartsDone != p.PartsTotal || p.PartsTotal != bigRows/50_000 {
		t.Errorf("final progress %+v, want every row and all %d parts done", p, bigRows/50_000)
	}

	checkOutput(t, api, done, d, predictOnline(t, api, mv, d, batchStarts(d.rows(), 1)))
}
