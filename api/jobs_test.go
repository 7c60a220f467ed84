package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"gitlab.com/mlserve/mlserve/model"
)

func TestJobCreate(t *testing.T) {
	t.Run("a train job is 202 with Location and the queued job, and is enqueued", func(t *testing.T) {
		e := newTestEnv(t)
		w := e.do(t, "POST", "/v1/jobs", trainBody)
		job := mustJSON[model.Job](t, w, http.StatusAccepted)
		if !validID(job.ID) || job.Status != model.StatusQueued || job.Type != model.JobTrain || job.Request.Target != "species" {
			t.Fatalf("job = %+v", job)
		}
		if got := w.Header().Get("Location"); got != "/v1/jobs/"+job.ID {
			t.Fatalf("Location = %q", got)
		}
		if got := e.queue.enqueuedIDs(); !slices.Equal(got, []string{job.ID}) {
			t.Fatalf("enqueued %v, want [%s]", got, job.ID)
		}
	})
	t.Run("a train job records its task, inferred or given, and its engine's defaults", func(t *testing.T) {
		e := newTestEnv(t)
		for _, tt := range []struct{ body, task, engine string }{
			{`{"type":"train","model":"iris","dataset":"` + irisDataset + `","target":"species","algorithm":"random_forest"}`, model.TaskClassification, "cart"},
			{`{"type":"train","model":"iris","dataset":"` + irisDataset + `","target":"petal_width","algorithm":"random_forest","task":"regression",
				"features":["sepal_length"]}`, model.TaskRegression, "cart"},
			{`{"type":"train","model":"iris","dataset":"` + irisDataset + `","target":"species","algorithm":"decision_tree","params":{"engine":"golearn"}}`,
				model.TaskClassification, "golearn"},
		} {
			job := mustJSON[model.Job](t, e.do(t, "POST", "/v1/jobs", tt.body), http.StatusAccepted)
			if job.Request.Task != tt.task || job.Request.Params["engine"] != tt.engine {
				t.Errorf("request %+v, want task %s and engine %s", job.Request, tt.task, tt.engine)
			}
		}
		w := e.do(t, "POST", "/v1/jobs", `{"type":"train","model":"iris","dataset":"`+irisDataset+`","target":"species","algorithm":"logistic_regression","task":"regression"}`)
		p := mustProblem(t, w, http.StatusUnprocessableEntity)
		if !strings.Contains(p.Errors["task"], "logistic_regression does not do regression") {
			t.Errorf("errors %q", p.Errors)
		}
	})
	t.Run("a score job by the production alias is accepted", func(t *testing.T) {
		e := newTestEnv(t)
		mustJSON[model.Job](t, e.do(t, "POST", "/v1/jobs", scoreBody), http.StatusAccepted)
	})
	t.Run("replaying an idempotency key returns the same job and enqueues it again", func(t *testing.T) {
		e := newTestEnv(t)
		first := mustJSON[model.Job](t, e.do(t, "POST", "/v1/jobs", trainBody, "Idempotency-Key", "k-1"), http.StatusAccepted)
		w := e.do(t, "POST", "/v1/jobs", trainBody, "Idempotency-Key", "k-1")
		second := mustJSON[model.Job](t, w, http.StatusAccepted)
		if second.ID != first.ID || w.Header().Get("Idempotent-Replayed") != "true" {
			t.Fatalf("replay gave job %s (replayed=%q), want %s", second.ID, w.Header().Get("Idempotent-Replayed"), first.ID)
		}
		if got := e.queue.enqueuedIDs(); !slices.Equal(got, []string{first.ID, first.ID}) {
			t.Fatalf("enqueued %v, want the job twice (a duplicate task is harmless)", got)
		}
		third := mustJSON[model.Job](t, e.do(t, "POST", "/v1/jobs", trainBody, "Idempotency-Key", "k-2"), http.StatusAccepted)
		if third.ID == first.ID {
			t.Fatal("another key gave the same job")
		}
	})
	t.Run("replaying the key of a job that already ran does not enqueue it", func(t *testing.T) {
		e := newTestEnv(t)
		job := mustJSON[model.Job](t, e.do(t, "POST", "/v1/jobs", trainBody, "Idempotency-Key", "k"), http.StatusAccepted)
		finish(t, e, job.ID, model.StatusSucceeded)
		got := mustJSON[model.Job](t, e.do(t, "POST", "/v1/jobs", trainBody, "Idempotency-Key", "k"), http.StatusAccepted)
		if got.Status != model.StatusSucceeded || len(e.queue.enqueuedIDs()) != 1 {
			t.Fatalf("status %s, enqueued %v", got.Status, e.queue.enqueuedIDs())
		}
	})
	t.Run("an enqueue failure is 503 and the job is gone", func(t *testing.T) {
		e := newTestEnv(t)
		e.queue.setEnqueueErr(model.Errorf(model.CodeUnavailable, "redis: connection refused"))
		mustProblem(t, e.do(t, "POST", "/v1/jobs", trainBody, "Idempotency-Key", "k"), http.StatusServiceUnavailable)
		page, _ := e.jobs.ListJobs(context.Background(), model.JobFilter{})
		if len(page.Jobs) != 0 {
			t.Fatalf("jobs after a failed enqueue: %v", page.Jobs)
		}
		// The client's retry with the same key then succeeds.
		e.queue.setEnqueueErr(nil)
		job := mustJSON[model.Job](t, e.do(t, "POST", "/v1/jobs", trainBody, "Idempotency-Key", "k"), http.StatusAccepted)
		if got := e.queue.enqueuedIDs(); !slices.Equal(got, []string{job.ID}) {
			t.Fatalf("enqueued %v after the retry", got)
		}
	})
	t.Run("an enqueue failure on a replay keeps the earlier job", func(t *testing.T) {
		e := newTestEnv(t)
		job := mustJSON[model.Job](t, e.do(t, "POST", "/v1/jobs", trainBody, "Idempotency-Key", "k"), http.StatusAccepted)
		e.queue.setEnqueueErr(errors.New("redis down"))
		mustProblem(t, e.do(t, "POST", "/v1/jobs", trainBody, "Idempotency-Key", "k"), http.StatusServiceUnavailable)
		if _, err := e.jobs.Job(context.Background(), job.ID); err != nil {
			t.Fatalf("the earlier job is gone: %v", err)
		}
	})
	t.Run("a store failure is 503 with the store's message", func(t *testing.T) {
		e := newTestEnv(t, func(d *Deps) { d.Datasets = failingDatasets{model.Errorf(model.CodeUnavailable, "mongo is down")} })
		p := mustProblem(t, e.do(t, "POST", "/v1/jobs", trainBody), http.StatusServiceUnavailable)
		if p.Detail != "mongo is down" {
			t.Fatalf("detail = %q", p.Detail)
		}
	})
	t.Run("an unexpected store error is 500 internal error, logged with the request id", func(t *testing.T) {
		e := newTestEnv(t, func(d *Deps) { d.Datasets = failingDatasets{errors.New("secret internals")} })
		p := mustProblem(t, e.do(t, "POST", "/v1/jobs", trainBody, headerRequestID, "r-500"), http.StatusInternalServerError)
		if p.Detail != "internal error" {
			t.Fatalf("detail = %q leaks internals", p.Detail)
		}
		if logs := e.logs.String(); !strings.Contains(logs, "secret internals") || !strings.Contains(logs, `"request_id":"r-500"`) {
			t.Fatalf("the real error is not logged with the request id:\n%s", logs)
		}
	})
}

// finish moves a queued job through one attempt to a terminal status.
func finish(tb testing.TB, e *testEnv, id string, status model.JobStatus) {
	tb.Helper()
	ctx := context.Background()
	j, err := e.jobs.StartAttempt(ctx, id, testNow)
	if err != nil {
		tb.Fatal(err)
	}
	if err := e.jobs.Finish(ctx, id, j.Attempts, status, nil, nil, testNow); err != nil {
		tb.Fatal(err)
	}
}

func TestJobCreateInvalid(t *testing.T) {
	train := func(extra string) string {
		return `{"type":"train","model":"iris","dataset":"` + irisDataset + `","target":"species","algorithm":"random_forest"` + extra + `}`
	}
	tests := []struct {
		name   string
		body   string
		header string // Idempotency-Key
		field  string // the field the errors map must name
	}{
		{"an unknown job type names type", `{"type":"export","model":"iris","dataset":"` + irisDataset + `"}`, "", "type"},
		{"a missing type names type", `{"model":"iris","dataset":"` + irisDataset + `"}`, "", "type"},
		{"a missing model names model", `{"type":"train","dataset":"` + irisDataset + `","target":"species","algorithm":"knn"}`, "", "model"},
		{"a model name with a slash names model", `{"type":"train","model":"a/b","dataset":"` + irisDataset + `","target":"species","algorithm":"knn"}`, "", "model"},
		{"an unknown dataset names dataset", `{"type":"train","model":"iris","dataset":"nope","target":"species","algorithm":"knn"}`, "", "dataset"},
		{"an unknown algorithm names algorithm", `{"type":"train","model":"iris","dataset":"` + irisDataset + `","target":"species","algorithm":"xgboost"}`, "", "algorithm"},
		{"a missing target names target", `{"type":"train","model":"iris","dataset":"` + irisDataset + `","algorithm":"knn"}`, "", "target"},
		{"a target the dataset lacks names target", train(`,"target":"colour"`), "", "target"},
		{"a feature the dataset lacks names it", train(`,"features":["sepal_length","colour"]`), "", "features[1]"},
		{"the target as a feature names it", train(`,"features":["species"]`), "", "features[0]"},
		{"linear regression on a string target names target", `{"type":"train","model":"iris","dataset":"` + irisDataset + `","target":"species","algorithm":"linear_regression"}`, "", "target"},
		{"a dataset with only the target names features", `{"type":"train","model":"m","dataset":"` + narrowDataset + `","target":"y","algorithm":"knn"}`, "", "features"},
		{"both holdout and folds names validation.folds", train(`,"validation":{"holdout":0.2,"folds":5}`), "", "validation.folds"},
		{"a score field on a train job names it", train(`,"alias":"production"`), "", "alias"},
		{"score with both version and alias names alias", `{"type":"score","model":"iris","dataset":"` + irisDataset + `","version":1,"alias":"production"}`, "", "alias"},
		{"score of an unknown model names model", `{"type":"score","model":"nope","dataset":"` + irisDataset + `"}`, "", "model"},
		{"score of an unknown version names version", `{"type":"score","model":"iris","dataset":"` + irisDataset + `","version":9}`, "", "version"},
		{"score by an unknown alias names alias", `{"type":"score","model":"iris","dataset":"` + irisDataset + `","alias":"staging"}`, "", "alias"},
		{"score on a dataset lacking a feature names dataset", `{"type":"score","model":"iris","dataset":"` + irisDataset + `","version":2}`, "", "dataset"},
		{"a train field on a score job names it", `{"type":"score","model":"iris","dataset":"` + irisDataset + `","target":"species"}`, "", "target"},
		{"an overlong idempotency key names the header", trainBody, strings.Repeat("k", 256), "Idempotency-Key"},
		{"a step on a column that is no feature names it", train(`,"preprocess":[{"step":"scale","method":"standard","columns":["colour"]}]`), "", "preprocess[0].columns[0]"},
		{"a grid over an unknown parameter names it", train(`,"search":{"grid":{"depth":[1,2]}}`), "", "search.grid.depth"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			var headers []string
			if tt.header != "" {
				headers = []string{"Idempotency-Key", tt.header}
			}
			p := mustProblem(t, e.do(t, "POST", "/v1/jobs", tt.body, headers...), http.StatusUnprocessableEntity)
			if p.Errors[tt.field] == "" {
				t.Fatalf("errors = %v, want an entry for %q", p.Errors, tt.field)
			}
			if len(e.queue.enqueuedIDs()) != 0 || len(e.jobs.order) != 0 {
				t.Fatal("an invalid request created or enqueued a job")
			}
		})
	}
}

func TestJobGet(t *testing.T) {
	e := newTestEnv(t)
	job := mustJSON[model.Job](t, e.do(t, "POST", "/v1/jobs", trainBody), http.StatusAccepted)
	t.Run("a known job is 200 with the job", func(t *testing.T) {
		got := mustJSON[model.Job](t, e.do(t, "GET", "/v1/jobs/"+job.ID, ""), http.StatusOK)
		if got.ID != job.ID || got.Status != model.StatusQueued {
			t.Fatalf("got %+v", got)
		}
	})
	for _, id := range []string{strings.Repeat("f", 24), "not-an-id", strings.Repeat("A", 24), strings.Repeat("0", 25)} {
		t.Run(fmt.Sprintf("job %q is a 404 problem", id), func(t *testing.T) {
			mustProblem(t, e.do(t, "GET", "/v1/jobs/"+id, ""), http.StatusNotFound)
		})
	}
}

func TestJobCancel(t *testing.T) {
	t.Run("a queued job is canceled at once and its task removed", func(t *testing.T) {
		e := newTestEnv(t)
		job := mustJSON[model.Job](t, e.do(t, "POST", "/v1/jobs", trainBody), http.StatusAccepted)
		got := mustJSON[model.Job](t, e.do(t, "POST", "/v1/jobs/"+job.ID+"/cancel", ""), http.StatusAccepted)
		if got.Status != model.StatusCanceled || got.FinishedAt == nil {
			t.Fatalf("got %+v, want canceled with finished_at", got)
		}
		if !slices.Equal(e.queue.canceledIDs(), []string{job.ID}) {
			t.Fatalf("queue cancels = %v", e.queue.canceledIDs())
		}
	})
	t.Run("a running job is flagged for its worker", func(t *testing.T) {
		e := newTestEnv(t)
		job := mustJSON[model.Job](t, e.do(t, "POST", "/v1/jobs", trainBody), http.StatusAccepted)
		if _, err := e.jobs.StartAttempt(context.Background(), job.ID, testNow); err != nil {
			t.Fatal(err)
		}
		got := mustJSON[model.Job](t, e.do(t, "POST", "/v1/jobs/"+job.ID+"/cancel", ""), http.StatusAccepted)
		if got.Status != model.StatusRunning || !got.CancelRequested {
			t.Fatalf("got %+v, want running with cancel_requested", got)
		}
	})
	t.Run("a queue that cannot cancel does not fail the request", func(t *testing.T) {
		e := newTestEnv(t)
		e.queue.cancelErr = errors.New("redis down")
		job := mustJSON[model.Job](t, e.do(t, "POST", "/v1/jobs", trainBody), http.StatusAccepted)
		mustJSON[model.Job](t, e.do(t, "POST", "/v1/jobs/"+job.ID+"/cancel", ""), http.StatusAccepted)
	})
	t.Run("a terminal job is a 409 problem", func(t *testing.T) {
		e := newTestEnv(t)
		job := mustJSON[model.Job](t, e.do(t, "POST", "/v1/jobs", trainBody), http.StatusAccepted)
		finish(t, e, job.ID, model.StatusFailed)
		mustProblem(t, e.do(t, "POST", "/v1/jobs/"+job.ID+"/cancel", ""), http.StatusConflict)
		if len(e.queue.canceledIDs()) != 0 {
			t.Fatal("the queue was asked to cancel a terminal job")
		}
	})
	t.Run("an unknown job is a 404 problem", func(t *testing.T) {
		e := newTestEnv(t)
		mustProblem(t, e.do(t, "POST", "/v1/jobs/"+strings.Repeat("e", 24)+"/cancel", ""), http.StatusNotFound)
	})
}

func TestJobList(t *testing.T) {
	t.Run("each bad parameter is a 422 naming it", func(t *testing.T) {
		tests := []struct{ query, field string }{
			{"type=export", "type"},
			{"status=done", "status"},
			{"model=Bad/Name", "model"},
			{"limit=0", "limit"},
			{"limit=101", "limit"},
			{"limit=ten", "limit"},
			{"cursor=" + strings.Repeat("c", 513), "cursor"},
			{"staus=queued", "staus"},
			{"type=train&type=score", "type"},
		}
		e := newTestEnv(t)
		for _, tt := range tests {
			p := mustProblem(t, e.do(t, "GET", "/v1/jobs?"+tt.query, ""), http.StatusUnprocessableEntity)
			if p.Errors[tt.field] == "" {
				t.Errorf("?%s: errors = %v, want an entry for %q", tt.query, p.Errors, tt.field)
			}
		}
	})
	t.Run("a malformed query string is 400", func(t *testing.T) {
		e := newTestEnv(t)
		mustProblem(t, e.do(t, "GET", "/v1/jobs?type=%zz", ""), http.StatusBadRequest)
	})
	t.Run("filters reach the store and empty values filter nothing", func(t *testing.T) {
		e := newTestEnv(t)
		cursor := mustJSON[model.Job](t, e.do(t, "POST", "/v1/jobs", trainBody), http.StatusAccepted).ID
		mustJSON[model.JobPage](t, e.do(t, "GET", "/v1/jobs?type=score&status=queued&model=iris&limit=7&cursor="+cursor, ""), http.StatusOK)
		mustJSON[model.JobPage](t, e.do(t, "GET", "/v1/jobs?type=&status=&model=&limit=&cursor=", ""), http.StatusOK)
		want := []model.JobFilter{
			{Type: model.JobScore, Status: model.StatusQueued, Model: "iris", Limit: 7, Cursor: cursor},
			{},
		}
		if !slices.Equal(e.jobs.filters, want) {
			t.Fatalf("store got filters %+v, want %+v", e.jobs.filters, want)
		}
	})
	t.Run("an empty listing is an empty array", func(t *testing.T) {
		e := newTestEnv(t)
		w := e.do(t, "GET", "/v1/jobs", "")
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"jobs":[]`) {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
	})
	t.Run("next_cursor pages through every job, newest first", func(t *testing.T) {
		e := newTestEnv(t)
		var created []string
		for range 5 {
			created = append(created, mustJSON[model.Job](t, e.do(t, "POST", "/v1/jobs", trainBody), http.StatusAccepted).ID)
		}
		mustJSON[model.Job](t, e.do(t, "POST", "/v1/jobs", scoreBody), http.StatusAccepted)
		var seen []string
		path := "/v1/jobs?type=train&limit=2"
		for pages := 0; ; pages++ {
			if pages > 5 {
				t.Fatal("pagination does not end")
			}
			page := mustJSON[model.JobPage](t, e.do(t, "GET", path, ""), http.StatusOK)
			for _, j := range page.Jobs {
				seen = append(seen, j.ID)
			}
			if page.NextCursor == "" {
				break
			}
			path = "/v1/jobs?type=train&limit=2&cursor=" + page.NextCursor
		}
		slices.Reverse(created)
		if !slices.Equal(seen, created) {
			t.Fatalf("paged through %v, want %v", seen, created)
		}
	})
	t.Run("a cursor the store rejects is a 422 naming cursor", func(t *testing.T) {
		e := newTestEnv(t)
		p := mustProblem(t, e.do(t, "GET", "/v1/jobs?cursor=stale", ""), http.StatusUnprocessableEntity)
		if p.Errors["cursor"] == "" {
			t.Fatalf("errors = %v", p.Errors)
		}
	})
}

func TestJobDelete(t *testing.T) {
	t.Run("a succeeded score job is 204, and it and its output are gone", func(t *testing.T) {
		e := newTestEnv(t)
		job := e.runScoreJob(t, model.StatusSucceeded, scoredParts...)
		w := e.do(t, "DELETE", "/v1/jobs/"+job.ID, "")
		if w.Code != http.StatusNoContent || w.Body.Len() != 0 {
			t.Fatalf("%d %s, want 204 and no body", w.Code, w.Body)
		}
		mustProblem(t, e.do(t, "GET", "/v1/jobs/"+job.ID, ""), http.StatusNotFound)
		mustProblem(t, e.do(t, "GET", "/v1/jobs/"+job.ID+"/output", ""), http.StatusNotFound)
		if parts, files, _ := e.scores.held(); parts != 0 || files != 0 {
			t.Fatalf("%d parts and %d output files left", parts, files)
		}
	})
	for _, status := range []model.JobStatus{model.StatusFailed, model.StatusCanceled} {
		t.Run("a "+string(status)+" job is 204", func(t *testing.T) {
			e := newTestEnv(t)
			job := e.runScoreJob(t, status)
			if w := e.do(t, "DELETE", "/v1/jobs/"+job.ID, ""); w.Code != http.StatusNoContent {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
		})
	}
	for _, status := range []model.JobStatus{model.StatusQueued, model.StatusRunning} {
		t.Run("a "+string(status)+" job is a 409 and stays", func(t *testing.T) {
			e := newTestEnv(t)
			job := e.runScoreJob(t, status)
			p := mustProblem(t, e.do(t, "DELETE", "/v1/jobs/"+job.ID, ""), http.StatusConflict)
			if !strings.Contains(p.Detail, string(status)) {
				t.Fatalf("detail %q does not name status %s", p.Detail, status)
			}
			mustJSON[model.Job](t, e.do(t, "GET", "/v1/jobs/"+job.ID, ""), http.StatusOK)
		})
	}
	t.Run("an unknown job is a 404", func(t *testing.T) {
		e := newTestEnv(t)
		mustProblem(t, e.do(t, "DELETE", "/v1/jobs/"+strings.Repeat("e", 24), ""), http.StatusNotFound)
	})
}

func TestJobCreateCapsTheTrialsOfASearch(t *testing.T) {
	e := newTestEnv(t, func(d *Deps) { d.MaxTrials = 2 })
	body := `{"type":"train","model":"iris","dataset":"` + irisDataset + `","target":"species","algorithm":"knn","search":{"grid":{"k":[1,3,5]}}}`
	p := mustProblem(t, e.do(t, "POST", "/v1/jobs", body), http.StatusUnprocessableEntity)
	if !strings.Contains(p.Errors["search"], "3 trials, more than jobs.max_trials (2)") {
		t.Fatalf("errors = %v, want search to name the limit", p.Errors)
	}
	rec := e.do(t, "POST", "/v1/jobs", strings.Replace(body, "[1,3,5]", "[1,3]", 1))
	if rec.Code != http.StatusAccepted {
		t.Fatalf("a search of 2 trials: %d %s", rec.Code, rec.Body)
	}
}
