package main

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"gitlab.com/mlserve/mlserve/internal/testenv"
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
		{"algorithm": "gradient_boosting"},
		{"algorithm": "decision_tree"},
		{"algorithm": "knn", "params": map[string]any{"k": 5}},
		{"algorithm": "logistic_regression"},
		{"algorithm": "naive_bayes"},
		{"algorithm": "linear_regression", "target": "Petal width",
			"features": []string{"Sepal length", "Sepal width", "Petal length"}},
		{"name": "golearn forest", "algorithm": "random_forest", "params": map[string]any{"engine": "golearn", "trees": 10}},
		{"name": "forest regression", "algorithm": "random_forest", "target": "Petal width"},
		{"name": "knn regression", "algorithm": "knn", "target": "Petal width", "task": "regression"},
	}
	nameOf := func(j map[string]any) string {
		if n, ok := j["name"].(string); ok {
			return n
		}
		return j["algorithm"].(string)
	}
	ids := make([]string, len(jobs))
	for i, j := range jobs {
		req := map[string]any{"type": "train", "model": "iris", "dataset": dataset, "target": "Species",
			"validation": map[string]any{"holdout": 0.2, "seed": 7}}
		for k, v := range j {
			if k != "name" {
				req[k] = v
			}
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
		algo := nameOf(jobs[i])
		j := dev.waitEnded(t, id)
		if j.Status != model.StatusSucceeded || j.Result == nil || j.Result.Metrics == nil {
			t.Fatalf("%s job ended %s: %+v", algo, j.Status, j.Error)
		}
		versions[algo] = j.Result.Version
		m := j.Result.Metrics
		switch algo {
		case "linear_regression", "forest regression", "knn regression":
			if m.Regression == nil || m.Regression.R2 < 0.8 {
				t.Errorf("%s metrics %+v, want R² ≥ 0.8", algo, m.Regression)
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
			if status != http.StatusOK || json.Unmarshal(body, &mv) != nil || seen[v] || v < 1 || v > len(jobs) {
				t.Errorf("version %d of %s: %d %s", v, algo, status, body)
			}
			seen[v] = true
		}
	})

	t.Run("a version shows its task, engine, feature importances and out-of-bag score or iterations", func(t *testing.T) {
		get := func(name string) model.ModelVersion {
			status, _, body := dev.do(t, http.MethodGet, fmt.Sprintf("/v1/models/iris/versions/%d", versions[name]), nil)
			var mv model.ModelVersion
			if status != http.StatusOK || json.Unmarshal(body, &mv) != nil {
				t.Fatalf("%s: %d %s", name, status, body)
			}
			return mv
		}
		forest := get("random_forest")
		sum := 0.0
		for _, fi := range forest.FeatureImportances {
			sum += fi.Importance
		}
		if forest.Params["engine"] != "cart" || forest.Task != model.TaskClassification || len(forest.FeatureImportances) != 4 ||
			math.Abs(sum-1) > 1e-9 || forest.Metrics.OutOfBag == nil || forest.Metrics.OutOfBag.Rows != 120 {
			t.Errorf("forest version %+v", forest)
		}
		if boost := get("gradient_boosting"); boost.Iterations != 100 || len(boost.FeatureImportances) != 4 {
			t.Errorf("boosting version: %d iterations, importances %v", boost.Iterations, boost.FeatureImportances)
		}
		if old := get("golearn forest"); old.Params["engine"] != "golearn" || old.FeatureImportances != nil || old.Metrics.OutOfBag != nil {
			t.Errorf("golearn forest version %+v", old)
		}
		if reg := get("knn regression"); reg.Task != model.TaskRegression || reg.Classes != nil {
			t.Errorf("knn regression version %+v", reg)
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

// TestDevProgramShowsProgressInsideAFitAndCancelsMidTree trains a forest
// long enough to watch, through the production handlers (the training
// child process): its progress moves tree by tree inside the one fit, and
// a cancel ends it while trees are still being grown.
func TestDevProgramShowsProgressInsideAFitAndCancelsMidTree(t *testing.T) {
	dev := startDev(t, t.TempDir(), nil)
	var b strings.Builder
	b.WriteString("a,b,c,d,y\n")
	r := rand.New(rand.NewPCG(1, 1))
	for range 20000 {
		fmt.Fprintf(&b, "%.4f,%.4f,%.4f,%.4f,%.4f\n", r.Float64(), r.Float64(), r.Float64(), r.Float64(), r.NormFloat64())
	}
	dataset := dev.uploadCSV(t, "noise", []byte(b.String()))
	id := dev.submit(t, map[string]any{"type": "train", "model": "noise", "dataset": dataset, "target": "y",
		"algorithm": "random_forest", "params": map[string]any{"trees": 1000}})
	var j model.Job
	testenv.WaitFor(t, time.Minute, "some trees of the fit done", func() bool {
		j = dev.job(t, id)
		return j.Status == model.StatusRunning && j.Progress.Done >= 3
	})
	// 1 to read, 1000 trees, 1 to evaluate.
	if j.Progress.Total != 1002 || j.Progress.Done >= 1001 {
		t.Fatalf("progress %+v, want some of the 1000 trees of 1002 units", j.Progress)
	}
	asked := time.Now()
	if status, _, body := dev.do(t, http.MethodPost, "/v1/jobs/"+id+"/cancel", nil); status != http.StatusAccepted && status != http.StatusOK {
		t.Fatalf("cancel: %d %s", status, body)
	}
	j = dev.waitEnded(t, id)
	if j.Status != model.StatusCanceled {
		t.Fatalf("job ended %s: %+v", j.Status, j.Error)
	}
	t.Logf("canceled %v after asking, at %d of %d", time.Since(asked).Round(time.Millisecond), j.Progress.Done, j.Progress.Total)
}

// TestDevProgramBoostsOnMissingValues walks gradient boosting's missing
// values through every path: a dataset with empty cells trains, a
// prediction with null and a left-out feature is answered, a score job
// over empty cells scores every row as the same rows predicted online.
func TestDevProgramBoostsOnMissingValues(t *testing.T) {
	dev := startDev(t, t.TempDir(), nil)
	var b strings.Builder
	b.WriteString("level,color,label\n")
	r := rand.New(rand.NewPCG(2, 2))
	for range 600 {
		label := r.IntN(2)
		level := fmt.Sprintf("%.3f", r.NormFloat64())
		if r.Float64() < 0.1+0.8*float64(label) { // missing mostly in class "yes"
			level = ""
		}
		fmt.Fprintf(&b, "%s,%s,%s\n", level, []string{"red", "blue", ""}[r.IntN(3)], []string{"no", "yes"}[label])
	}
	dataset := dev.uploadCSV(t, "gappy", []byte(b.String()))
	j := dev.waitEnded(t, dev.submit(t, map[string]any{"type": "train", "model": "gappy", "dataset": dataset,
		"target": "label", "algorithm": "gradient_boosting"}))
	if j.Status != model.StatusSucceeded || j.Result.Metrics.Classification.Accuracy < 0.8 {
		t.Fatalf("train ended %s: %+v %+v", j.Status, j.Error, j.Result)
	}
	status, _, body := dev.do(t, http.MethodPost, "/v1/models/gappy/predict", map[string]any{
		"instances": []any{map[string]any{"level": nil, "color": "red"}, map[string]any{"color": "blue"}, []any{0.5, nil}}})
	var answer struct{ Predictions []string }
	if status != http.StatusOK || json.Unmarshal(body, &answer) != nil || len(answer.Predictions) != 3 || answer.Predictions[0] != "yes" {
		t.Fatalf("predict: %d %s", status, body)
	}
	score := dev.waitEnded(t, dev.submit(t, map[string]any{"type": "score", "model": "gappy", "dataset": dataset}))
	if score.Status != model.StatusSucceeded || score.Result.Rows != 600 {
		t.Fatalf("score ended %s: %+v %+v", score.Status, score.Error, score.Result)
	}
	header, rows := dev.outputCSV(t, score)
	if len(rows) != 600 || header[0] != "prediction" {
		t.Fatalf("output %q, %d rows", header, len(rows))
	}
}
