package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"gitlab.com/mlserve/mlserve/model"
)

// TestDevProgramTrainsRegistersAndPromotes walks the README's path with the
// production handlers: upload iris, train every algorithm, read the
// versions' metrics, promote one with an alias.
func TestDevProgramTrainsRegistersAndPromotes(t *testing.T) {
	dev := startDev(t, t.TempDir(), nil)
	dataset := dev.uploadIris(t)

	jobs := []map[string]any{
		{"algorithm": "random_forest", "params": map[string]any{"trees": 50}, "set_alias": "staging"},
		{"algorithm": "decision_tree"},
		{"algorithm": "knn", "params": map[string]any{"k": 5}},
		{"algorithm": "logistic_regression"},
		{"algorithm": "naive_bayes"},
		{"algorithm": "linear_regression", "target": "Petal width",
			"features": []string{"Sepal length", "Sepal width", "Petal length"}},
	}
	ids := make([]string, len(jobs))
	for i, j := range jobs {
		req := map[string]any{"type": "train", "model": "iris", "dataset": dataset, "target": "Species",
			"validation": map[string]any{"holdout": 0.2, "seed": 7}}
		for k, v := range j {
			req[k] = v
		}
		status, _, body := dev.do(t, http.MethodPost, "/v1/jobs", req)
		if status != http.StatusAccepted {
			t.Fatalf("submit %s: %d %s", j["algorithm"], status, body)
		}
		var job model.Job
		if err := json.Unmarshal(body, &job); err != nil {
			t.Fatal(err)
		}
		ids[i] = job.ID
	}

	versions := map[string]int{}
	for i, id := range ids {
		algo := jobs[i]["algorithm"].(string)
		j := dev.waitEnded(t, id)
		if j.Status != model.StatusSucceeded || j.Result == nil || j.Result.Metrics == nil {
			t.Fatalf("%s job ended %s: %+v", algo, j.Status, j.Error)
		}
		versions[algo] = j.Result.Version
		m := j.Result.Metrics
		switch algo {
		case "linear_regression":
			if m.Regression == nil || m.Regression.R2 < 0.8 {
				t.Errorf("linear_regression metrics %+v, want R² ≥ 0.8", m.Regression)
			}
		default:
			if m.Classification == nil || m.Classification.Accuracy < 0.8 || m.TestRows != 30 {
				t.Errorf("%s metrics %+v on %d rows, want accuracy ≥ 0.8 on 30 held-out rows", algo, m.Classification, m.TestRows)
			}
		}
	}

	t.Run("each job registered its own version, numbered from 1", func(t *testing.T) {
		seen := map[int]bool{}
		for algo, v := range versions {
			status, _, body := dev.do(t, http.MethodGet, fmt.Sprintf("/v1/models/iris/versions/%d", v), nil)
			var mv model.ModelVersion
			if status != http.StatusOK || json.Unmarshal(body, &mv) != nil || mv.Algorithm != algo || seen[v] || v < 1 || v > len(jobs) {
				t.Errorf("version %d of %s: %d %s", v, algo, status, body)
			}
			seen[v] = true
		}
	})

	t.Run("set_alias moved staging to the forest, and a PUT promotes it to production", func(t *testing.T) {
		forest := versions["random_forest"]
		status, _, body := dev.do(t, http.MethodPut, "/v1/models/iris/aliases/production", map[string]int{"version": forest})
		if status != http.StatusOK {
			t.Fatalf("promote: %d %s", status, body)
		}
		status, _, body = dev.do(t, http.MethodGet, "/v1/models/iris", nil)
		var sum model.ModelSummary
		if status != http.StatusOK || json.Unmarshal(body, &sum) != nil {
			t.Fatalf("model: %d %s", status, body)
		}
		if sum.Aliases["staging"] != forest || sum.Aliases[model.AliasProduction] != forest || sum.LatestVersion != len(jobs) {
			t.Errorf("model summary %+v; want staging and production at %d, latest %d", sum, forest, len(jobs))
		}
	})
}
