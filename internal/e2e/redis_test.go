package e2e

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"gitlab.com/mlserve/mlserve/model"
)

// redisOutage is how long the tests keep Redis down.
const redisOutage = 3 * time.Second

// TestScoreJobSurvivesRedisRestart kills redis-server while a worker scores
// 500,000 rows and starts it again, empty, a few seconds later: the job
// still ends succeeded with exact output.
func TestScoreJobSurvivesRedisRestart(t *testing.T) {
	t.Parallel()
	c := newCluster(t)
	api := c.startAPI()
	c.startWorker(scoreWorker)
	mv := trainIris(t, api)
	d := bigDataset(t).head(bigRows / 2)
	ds := api.uploadDataset(t, "half", d.csv)

	job := api.submit(t, scoreRequest(ds.ID))
	mid := waitMidJob(t, api, job.ID)
	c.redis.Stop()
	stopped := time.Now()
	time.Sleep(redisOutage)
	c.redis.Start()
	t.Logf("redis was down for %s from %d of %d parts scored", time.Since(stopped).Round(100*time.Millisecond), mid.Progress.PartsDone, mid.Progress.PartsTotal)

	done := api.waitSucceeded(t, job.ID, recoveryTimeout)
	t.Logf("succeeded %s after redis stopped, in %d attempts", time.Since(stopped).Round(100*time.Millisecond), done.Attempts)
	// Every row's place and echo, and the predictions of one batch in 10.
	checkOutput(t, api, done, d, predictOnline(t, api, mv, d, batchStarts(d.rows(), 10)))
}

// problem is the part of an RFC 9457 answer the tests read.
type problem struct {
	Status int               `json:"status"`
	Detail string            `json:"detail"`
	Checks map[string]string `json:"checks"`
}

// problemOf fails tb unless r is a problem+json with status want.
func problemOf(tb testing.TB, what string, r *response, want int) *problem {
	tb.Helper()
	if r.status != want {
		tb.Fatalf("%s: %v, want %d", what, r, want)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		tb.Errorf("%s: Content-Type %q, want application/problem+json", what, ct)
	}
	var p problem
	if err := json.Unmarshal(r.body, &p); err != nil || p.Status != want {
		tb.Fatalf("%s: body %s is not a problem with status %d (%v)", what, r.body, want, err)
	}
	return &p
}

// TestJobSubmitGets503WhileRedisIsDown stops Redis under a running API and
// worker: submitting a job is a 503 that leaves no job behind, /readyz names
// redis, the serving readiness (the API pods' readiness probe in k8s/)
// stays 200, and a loaded model keeps predicting. Once Redis is back, the same
// processes, never restarted, accept a job and run it.
func TestJobSubmitGets503WhileRedisIsDown(t *testing.T) {
	t.Parallel()
	c := newCluster(t)
	api := c.startAPI()
	c.startWorker(nil)
	mv := trainIris(t, api)
	d, err := generate(2 * predictBatch)
	if err != nil {
		t.Fatal(err)
	}
	ds := api.uploadDataset(t, "small", d.csv)
	instances := map[string]any{"instances": d.instances(mv.Features, 0, 20)}
	// Loads the production version into the API's cache.
	before := decodeAs[prediction](t, "predict", api.do(t, http.MethodPost, "/v1/models/iris/predict", instances), http.StatusOK)

	c.redis.Stop()

	t.Run("a job submitted while redis is down gets 503 and leaves no job behind", func(t *testing.T) {
		problemOf(t, "submit", api.do(t, http.MethodPost, "/v1/jobs", scoreRequest(ds.ID)), http.StatusServiceUnavailable)
		list := decodeAs[model.JobPage](t, "list score jobs", api.do(t, http.MethodGet, "/v1/jobs?type=score", nil), http.StatusOK)
		if len(list.Jobs) != 0 {
			t.Errorf("after the 503, GET /v1/jobs?type=score lists %d jobs: %s", len(list.Jobs), jobSummary(list.Jobs[0]))
		}
	})

	t.Run("readyz is 503 naming redis, and only redis", func(t *testing.T) {
		p := problemOf(t, "readyz", api.do(t, http.MethodGet, "/readyz", nil), http.StatusServiceUnavailable)
		if !strings.Contains(p.Detail, "redis") || strings.Contains(p.Detail, "mongo") {
			t.Errorf("readyz detail %q, want it to name redis and not mongo", p.Detail)
		}
		if p.Checks["redis"] == "ok" || p.Checks["mongo"] != "ok" {
			t.Errorf("readyz checks %v, want redis failing and mongo ok", p.Checks)
		}
	})

	t.Run("the serving readiness stays 200, so Kubernetes keeps the API in its Service", func(t *testing.T) {
		r := api.do(t, http.MethodGet, "/v2/health/ready", nil)
		var health struct {
			Ready bool `json:"ready"`
		}
		if r.status != http.StatusOK || json.Unmarshal(r.body, &health) != nil || !health.Ready {
			t.Errorf("GET /v2/health/ready with redis down: %v, want 200 {\"ready\": true}", r)
		}
	})

	t.Run("the loaded model still predicts, by name and by version", func(t *testing.T) {
		got := decodeAs[prediction](t, "predict", api.do(t, http.MethodPost, "/v1/models/iris/predict", instances), http.StatusOK)
		if got.Version != before.Version || !slices.Equal(got.Predictions, before.Predictions) {
			t.Errorf("predictions while redis is down: version %d %q; before: version %d %q", got.Version, got.Predictions, before.Version, before.Predictions)
		}
		api.predict(t, modelName, mv.Version, d.instances(mv.Features, 0, predictBatch))
	})

	c.redis.Start()

	t.Run("once redis is back, the same api accepts a job and the worker runs it", func(t *testing.T) {
		// A client retrying its submit, with an idempotency key so that a
		// retry can never make two jobs.
		var job *model.Job
		deadline := time.Now().Add(30 * time.Second)
		for job == nil {
			r := api.do(t, http.MethodPost, "/v1/jobs", scoreRequest(ds.ID), "Idempotency-Key", "e2e-after-the-outage")
			switch {
			case r.status == http.StatusAccepted:
				job = decodeAs[model.Job](t, "submit", r, http.StatusAccepted)
			case r.status != http.StatusServiceUnavailable:
				t.Fatalf("submit after redis restarted: %v, want 202 or, for a moment, 503", r)
			case time.Now().After(deadline):
				t.Fatalf("submit still 503 %s after redis restarted: %v", 30*time.Second, r)
			default:
				time.Sleep(pollEvery)
			}
		}
		api.waitReady(t, 30*time.Second)
		done := api.waitSucceeded(t, job.ID, 2*time.Minute)
		checkOutput(t, api, done, d, predictOnline(t, api, mv, d, batchStarts(d.rows(), 1)))
	})
}
