package api

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

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
