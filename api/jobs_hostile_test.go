package api

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"gitlab.com/mlserve/mlserve/internal/apikey"
	"gitlab.com/mlserve/mlserve/internal/config"
	"gitlab.com/mlserve/mlserve/model"
)

func TestJobCreateCapsProblems(t *testing.T) {
	e := newTestEnv(t, func(d *Deps) { d.Limits.BodyBytes = 1 << 20 })
	const n = 50_000
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf(`"u%d"`, i)
	}
	body := `{"type":"train","model":"iris","dataset":"` + irisDataset + `","target":"species","algorithm":"random_forest","features":[` +
		strings.Join(names, ",") + `]}`
	w := e.do(t, "POST", "/v1/jobs", body)
	if w.Body.Len() > 8<<10 {
		t.Errorf("the 422 is %d bytes for a %d-byte body; want a few KB", w.Body.Len(), len(body))
	}
	p := mustProblem(t, w, http.StatusUnprocessableEntity)
	if len(p.Errors) != maxProblems {
		t.Errorf("%d problems, want %d", len(p.Errors), maxProblems)
	}
	if got := p.Errors["features[0]"]; got != `no column "u0" in the dataset` {
		t.Errorf("features[0]: %q", got)
	}
	if want := fmt.Sprintf("; and %d more problems", n-maxProblems); !strings.HasSuffix(p.Detail, want) {
		t.Errorf("detail %q does not end %q", p.Detail, want)
	}
	if got := strings.Count(p.Detail, "no column"); got != maxProblems {
		t.Errorf("the detail repeats %d problems, want %d", got, maxProblems)
	}
}

func TestJobCreateValidationRule(t *testing.T) {
	e := newTestEnv(t)
	submit := func(validation string) *httptest.ResponseRecorder {
		return e.do(t, "POST", "/v1/jobs", `{"type":"train","model":"iris","dataset":"`+irisDataset+
			`","target":"species","algorithm":"random_forest"`+validation+`}`)
	}
	for _, tt := range []struct {
		validation string
		want       model.ValidationSpec
	}{
		{``, model.ValidationSpec{Holdout: 0.2, Seed: 1}},
		{`,"validation":{}`, model.ValidationSpec{Holdout: 0.2, Seed: 1}},
		{`,"validation":{"holdout":0.2}`, model.ValidationSpec{Holdout: 0.2, Seed: 1}},
		{`,"validation":{"folds":5}`, model.ValidationSpec{Folds: 5, Seed: 1}},
		{`,"validation":{"holdout":0.3,"seed":0}`, model.ValidationSpec{Holdout: 0.3, Seed: 0}},
	} {
		job := mustJSON[model.Job](t, submit(tt.validation), http.StatusAccepted)
		if job.Request.Validation == nil || *job.Request.Validation != tt.want {
			t.Errorf("%q records validation %+v, want %+v", tt.validation, job.Request.Validation, tt.want)
		}
	}
	p := mustProblem(t, submit(`,"validation":{"holdout":0}`), http.StatusUnprocessableEntity)
	if !strings.Contains(p.Errors["validation.holdout"], "no rows to test") {
		t.Errorf("holdout 0: errors %q", p.Errors)
	}
	p = mustProblem(t, submit(`,"validation":{"holdout":"big"}`), http.StatusBadRequest)
	if _, ok := p.Errors["validation.holdout"]; !ok {
		t.Errorf("a string holdout: errors %q", p.Errors)
	}
	p = mustProblem(t, submit(`,"validation":{"holdot":0.3}`), http.StatusBadRequest)
	if p.Errors["validation.holdot"] != "unknown field" {
		t.Errorf("a misspelt holdout: errors %q", p.Errors)
	}
	type catalog struct {
		Validation struct {
			Default model.ValidationSpec `json:"default"`
			Rule    string               `json:"rule"`
		} `json:"validation"`
	}
	c := mustJSON[catalog](t, e.do(t, "GET", "/v1/algorithms", ""), http.StatusOK)
	if c.Validation.Rule != model.ValidationRule || c.Validation.Default != (model.ValidationSpec{Holdout: 0.2, Seed: 1}) {
		t.Errorf("the catalog's validation is %+v", c.Validation)
	}
}

func TestJobCreateIdempotencyKey(t *testing.T) {
	const otherAdmin = "mls_other-admin"
	clock := testNow
	e := newTestEnv(t, withKeys, func(d *Deps) {
		d.Auth.Keys = append(d.Auth.Keys, config.APIKey{Name: "other", Hash: apikey.Sum(otherAdmin), Scopes: []string{config.ScopeAdmin}})
		d.IdempotencyTTL = time.Hour
		d.Now = func() time.Time { return clock }
	})
	e.jobs.now = func() time.Time { return clock }
	submit := func(bearer, body string) *httptest.ResponseRecorder {
		return e.do(t, "POST", "/v1/jobs", body, "Authorization", "Bearer "+bearer, "Idempotency-Key", "order-1")
	}
	first := mustJSON[model.Job](t, submit(adminKey, trainBody), http.StatusAccepted)

	t.Run("the same request, spaced otherwise, replays the job", func(t *testing.T) {
		w := submit(adminKey, strings.ReplaceAll(trainBody, ",", " , "))
		if got := mustJSON[model.Job](t, w, http.StatusAccepted); got.ID != first.ID || w.Header().Get("Idempotent-Replayed") != "true" {
			t.Errorf("replay gave %s (replayed %q), want %s", got.ID, w.Header().Get("Idempotent-Replayed"), first.ID)
		}
	})
	t.Run("another request under the key is a 422 saying so", func(t *testing.T) {
		other := strings.Replace(trainBody, `"model":"iris"`, `"model":"iris2"`, 1)
		p := mustProblem(t, submit(adminKey, other), http.StatusUnprocessableEntity)
		if !strings.Contains(p.Errors["Idempotency-Key"], "different request") {
			t.Errorf("errors %q", p.Errors)
		}
	})
	t.Run("another caller's same key is its own", func(t *testing.T) {
		got := mustJSON[model.Job](t, submit(otherAdmin, trainBody), http.StatusAccepted)
		if got.ID == first.ID {
			t.Errorf("another API key got the first caller's job %s", got.ID)
		}
	})
	t.Run("after the TTL the key makes a new job", func(t *testing.T) {
		clock = testNow.Add(time.Hour)
		got := mustJSON[model.Job](t, submit(adminKey, trainBody), http.StatusAccepted)
		if got.ID == first.ID {
			t.Errorf("an expired key replayed job %s", got.ID)
		}
	})
}

func TestIdempotencyHash(t *testing.T) {
	req := func(key, scope string) *http.Request {
		r := httptest.NewRequest("POST", "/v1/jobs", nil)
		r.Header.Set(headerIdempotencyKey, key)
		return withPrincipal(r, &principal{name: scope})
	}
	body := &model.JobRequest{Type: model.JobTrain, Model: "iris"}
	a, err := idempotency(req("k", "ops"), body, testNow)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := idempotency(req("k", "other"), body, testNow)
	c, _ := idempotency(req("k", "ops"), &model.JobRequest{Type: model.JobTrain, Model: "iris2"}, testNow)
	if a.Key == b.Key || a.RequestHash != b.RequestHash || a.Key != c.Key || a.RequestHash == c.RequestHash || !a.Expires.Equal(testNow) {
		t.Errorf("scopes %s/%s, requests %s/%s", a.Key, b.Key, a.RequestHash, c.RequestHash)
	}
	if len(a.Key) != 64 {
		t.Errorf("the key is stored as %q, want a hash", a.Key)
	}
	if none, err := idempotency(req("", "ops"), body, testNow); none != nil || err != nil {
		t.Errorf("no header: %v, %v", none, err)
	}
	if _, err := idempotency(req(strings.Repeat("x", 256), "ops"), body, testNow); model.ErrorCode(err) != model.CodeInvalid {
		t.Errorf("a 256-character key: %v", err)
	}
}
