package e2e

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"gitlab.com/mlserve/mlserve/model"
)

// churnSteps are the README's steps for testdata/churn.csv: the id
// dropped, missing values imputed, numbers standardised, strings one-hot,
// a plan never seen in training refused.
var churnSteps = []map[string]any{
	{"step": "drop", "columns": []string{"id"}},
	{"step": "impute", "strategy": "median", "columns": "numbers"},
	{"step": "impute", "strategy": "most_frequent", "columns": "strings"},
	{"step": "scale", "method": "standard", "columns": "numbers"},
	{"step": "one_hot", "columns": "strings", "unknown": "error"},
}

// TestAPipelineModelAnswersAlikeOnEveryPath trains knn behind the steps
// on data with empty cells and string columns, then predicts every row
// with a score job, native predict (an empty number cell as null, an
// empty string one left out) and, for the rows without empty cells, the
// Open Inference Protocol: every path gives the same class and the same
// probabilities.
func TestAPipelineModelAnswersAlikeOnEveryPath(t *testing.T) {
	t.Parallel()
	api, raw, ds := churnCluster(t)
	job := api.submit(t, map[string]any{"type": "train", "model": "churn", "dataset": ds.ID, "target": "churned", "algorithm": "knn", "preprocess": churnSteps})
	job = api.waitSucceeded(t, job.ID, 2*time.Minute)
	mv := api.version(t, "churn", job.Result.Version)
	if len(mv.Preprocess) != len(churnSteps) || len(mv.Preprocess[1].Columns) != 4 || mv.Preprocess[1].Columns[0].Fill == nil || len(mv.Preprocess[4].Columns[0].Levels) != 3 {
		t.Fatalf("the version shows steps %+v: want each with its fitted values", mv.Preprocess)
	}

	score := api.submit(t, map[string]any{"type": "score", "model": "churn", "version": mv.Version, "dataset": ds.ID})
	api.waitSucceeded(t, score.ID, 2*time.Minute)
	resp := api.openOutput(t, score.ID)
	scored, err := csv.NewReader(resp.Body).ReadAll()
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}

	records, err := csv.NewReader(strings.NewReader(string(raw))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	header, rows := records[0], records[1:]
	if len(scored) != len(rows)+1 {
		t.Fatalf("the score job wrote %d lines for %d rows", len(scored), len(rows))
	}
	instances := make([]map[string]any, len(rows))
	var complete []int // rows without an empty cell
	for r, rec := range rows {
		instances[r] = churnInstance(t, mv, header, rec)
		if !strings.Contains(strings.Join(rec, ",")+",", ",,") {
			complete = append(complete, r)
		}
	}
	p := decodeAs[prediction](t, "predict", api.do(t, http.MethodPost, fmt.Sprintf("/v1/models/churn/versions/%d/predict", mv.Version), map[string]any{"instances": instances}), http.StatusOK)
	oip := inferChurn(t, api, mv, instances, complete)
	for r := range rows {
		line := scored[r+1]
		if p.Predictions[r] != line[0] || !sameProbabilities(t, p.Probabilities[r], mv.Classes, line[1:]) {
			t.Fatalf("row %d: native predict %s %v, score job %v", r+1, p.Predictions[r], p.Probabilities[r], line)
		}
	}
	for k, r := range complete {
		if oip[k] != p.Predictions[r] {
			t.Fatalf("row %d: OIP predicts %s, native predict %s", r+1, oip[k], p.Predictions[r])
		}
	}
	t.Logf("%d rows agree on the score job and native predict, %d of them on OIP", len(rows), len(complete))

	bad := instances[complete[0]]
	bad["plan"] = "gold"
	r := api.do(t, http.MethodPost, "/v1/models/churn/predict", map[string]any{"instances": []any{bad}})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(string(r.body), "instances[0].plan") {
		t.Errorf("a plan never seen in training: %s, want 422 naming instances[0].plan", r)
	}
}

// churnCluster starts an api and a worker and uploads testdata/churn.csv.
func churnCluster(tb testing.TB) (*client, []byte, *model.Dataset) {
	tb.Helper()
	c := newCluster(tb)
	api := c.startAPI()
	c.startWorker(nil)
	raw, err := os.ReadFile("../../testdata/churn.csv")
	if err != nil {
		tb.Fatal(err)
	}
	return api, raw, api.uploadDataset(tb, "churn", raw)
}

// churnInstance is one CSV record as a native predict instance of mv's
// features: an empty number cell null, an empty string cell left out.
func churnInstance(tb testing.TB, mv *model.ModelVersion, header, rec []string) map[string]any {
	tb.Helper()
	in := map[string]any{}
	for _, f := range mv.Features {
		at := -1
		for i, h := range header {
			if h == f.Name {
				at = i
			}
		}
		switch v := rec[at]; {
		case v == "" && f.Type == model.ColumnNumber:
			in[f.Name] = nil
		case v == "":
		case f.Type == model.ColumnNumber:
			x, err := strconv.ParseFloat(v, 64)
			if err != nil {
				tb.Fatal(err)
			}
			in[f.Name] = x
		default:
			in[f.Name] = v
		}
	}
	return in
}

// inferChurn predicts the given instances through OIP, a tensor per
// feature, and returns the predicted labels.
func inferChurn(tb testing.TB, c *client, mv *model.ModelVersion, instances []map[string]any, rows []int) []string {
	tb.Helper()
	var inputs []map[string]any
	for _, f := range mv.Features {
		data := make([]any, len(rows))
		for k, r := range rows {
			data[k] = instances[r][f.Name]
		}
		datatype := "FP64"
		if f.Type == model.ColumnString {
			datatype = "BYTES"
		}
		inputs = append(inputs, map[string]any{"name": f.Name, "shape": []int{len(rows)}, "datatype": datatype, "data": data})
	}
	r := c.do(tb, http.MethodPost, fmt.Sprintf("/v2/models/churn/versions/%d/infer", mv.Version), map[string]any{"inputs": inputs})
	if r.status != http.StatusOK {
		tb.Fatalf("OIP infer: %s", r)
	}
	var out struct {
		Outputs []struct {
			Name string            `json:"name"`
			Data []json.RawMessage `json:"data"`
		} `json:"outputs"`
	}
	if err := json.Unmarshal(r.body, &out); err != nil {
		tb.Fatal(err)
	}
	labels := make([]string, len(rows))
	for _, o := range out.Outputs {
		if o.Name == "predictions" {
			for k, d := range o.Data {
				_ = json.Unmarshal(d, &labels[k])
			}
		}
	}
	return labels
}

// sameProbabilities reports whether a native answer's probabilities are
// the score job's, which writes them in class order in the shortest form
// that reads back exactly.
func sameProbabilities(tb testing.TB, native map[string]float64, classes, cells []string) bool {
	tb.Helper()
	if len(cells) != len(classes) {
		return false
	}
	for k, class := range classes {
		x, err := strconv.ParseFloat(cells[k], 64)
		if err != nil || x != native[class] {
			return false
		}
	}
	return true
}

// TestASearchRegistersItsBestModelWithEveryTrial runs a search over two
// algorithms in the worker's training processes: every trial is
// recorded, the best is registered and evaluated on the holdout, and the
// job's progress counted the trials.
func TestASearchRegistersItsBestModelWithEveryTrial(t *testing.T) {
	t.Parallel()
	api, _, ds := churnCluster(t)
	job := api.submit(t, map[string]any{"type": "train", "model": "churn", "dataset": ds.ID, "target": "churned", "preprocess": churnSteps,
		"search": map[string]any{"metric": "accuracy", "folds": 3, "algorithms": map[string]any{
			"knn":           map[string]any{"grid": map[string]any{"k": []int{1, 5, 15}}},
			"random_forest": map[string]any{"random": map[string]any{"trials": 2, "params": map[string]any{"trees": map[string]any{"int": []int{10, 40}}}}},
		}}})
	job = api.waitSucceeded(t, job.ID, 3*time.Minute)
	if job.Progress.Done != 6 || job.Progress.Total != 6 {
		t.Errorf("progress %+v: want 6 of 6 (5 trials and the final fit)", job.Progress)
	}
	mv := api.version(t, "churn", job.Result.Version)
	s := mv.Search
	if s == nil || len(s.Trials) != 5 {
		t.Fatalf("the version records search %+v: want 5 trials", s)
	}
	best := 0
	for i, tr := range s.Trials {
		if tr.Status != model.TrialSucceeded || tr.Mean == nil || tr.Seconds <= 0 || len(tr.Scores) != 3 {
			t.Fatalf("trial %d: %+v", i, tr)
		}
		if *tr.Mean > *s.Trials[best].Mean {
			best = i
		}
	}
	if mv.Algorithm != s.Trials[best].Algorithm || *s.Best.Mean != *s.Trials[best].Mean || mv.Metrics.Method != model.MethodHoldout {
		t.Errorf("version %s (%s metrics), best %+v: want trial %d registered and scored on the holdout", mv.Algorithm, mv.Metrics.Method, s.Best, best)
	}
	t.Logf("best of %d trials: %s %v, %.3f mean 3-fold accuracy; %.3f on the holdout", len(s.Trials), s.Best.Algorithm, s.Best.Params, *s.Best.Mean, mv.Metrics.Classification.Accuracy)
}
