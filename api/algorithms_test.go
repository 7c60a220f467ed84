package api

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"gitlab.com/mlserve/mlserve/model"
)

func TestAlgorithmsListsEveryAlgorithmAJobMayName(t *testing.T) {
	e := newTestEnv(t)
	w := e.do(t, http.MethodGet, "/v1/algorithms", "")
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var body struct{ Algorithms []model.Algorithm }
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range body.Algorithms {
		names = append(names, a.Name)
		if len(a.Tasks) == 0 {
			t.Errorf("%s has no task", a.Name)
		}
	}
	for _, want := range []string{"random_forest", "gradient_boosting", "decision_tree", "knn", "logistic_regression", "linear_regression", "naive_bayes"} {
		if !model.KnownAlgorithm(want) || !slices.Contains(names, want) {
			t.Errorf("%s is missing from %v", want, names)
		}
	}
}
