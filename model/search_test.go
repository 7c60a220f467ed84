package model

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func searchRequest(tb testing.TB, algorithm, search string) *JobRequest {
	tb.Helper()
	alg := ""
	if algorithm != "" {
		alg = `"algorithm":"` + algorithm + `",`
	}
	return decodeRequest(tb, `{"type":"train","model":"m","dataset":"iris","target":"Species",`+alg+`"search":`+search+`}`)
}

func TestPrepareTrainPlansTheSearch(t *testing.T) {
	t.Run("a grid is every combination, parameters in name order, the last fastest", func(t *testing.T) {
		spec, err := PrepareTrain(searchRequest(t, "random_forest", `{"grid":{"trees":[50,100,200],"max_depth":[8,16]},"folds":5}`), irisDataset())
		if err != nil {
			t.Fatal(err)
		}
		var got [][2]int
		for _, c := range spec.Search.Candidates {
			got = append(got, [2]int{c.Params["max_depth"].(int), c.Params["trees"].(int)})
		}
		want := [][2]int{{8, 50}, {8, 100}, {8, 200}, {16, 50}, {16, 100}, {16, 200}}
		if !reflect.DeepEqual(got, want) || spec.Search.Metric != MetricAccuracy || spec.Search.Folds != 5 {
			t.Errorf("candidates %v metric %s, want %v by accuracy", got, spec.Search.Metric, want)
		}
		if c := spec.Search.Candidates[0]; c.Params["criterion"] != "gini" || spec.Algorithm != "random_forest" {
			t.Errorf("candidate %+v: want the defaults filled in", c)
		}
	})
	t.Run("a random search draws the same distinct candidates for a seed, within its ranges", func(t *testing.T) {
		search := `{"random":{"trials":20,"params":{"k":{"int":[1,30]},"distance":{"choice":["euclidean","manhattan"]}}},"seed":1,"metric":"macro_f1"}`
		a, err := PrepareTrain(searchRequest(t, "knn", search), irisDataset())
		if err != nil {
			t.Fatal(err)
		}
		b, _ := PrepareTrain(searchRequest(t, "knn", search), irisDataset())
		if !reflect.DeepEqual(a.Search, b.Search) || len(a.Search.Candidates) != 20 {
			t.Fatalf("%d candidates, the same twice: %v", len(a.Search.Candidates), reflect.DeepEqual(a.Search, b.Search))
		}
		seen := map[string]bool{}
		for _, c := range a.Search.Candidates {
			id, _ := json.Marshal(c.Params)
			if k := c.Params["k"].(int); k < 1 || k > 30 || seen[string(id)] {
				t.Errorf("candidate %v: out of range or drawn twice", c.Params)
			}
			seen[string(id)] = true
		}
	})
	t.Run("a log range of a whole-number parameter draws whole numbers", func(t *testing.T) {
		spec, err := PrepareTrain(searchRequest(t, "random_forest", `{"random":{"trials":5,"params":{"trees":{"log":[10,1000]}}}}`), irisDataset())
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range spec.Search.Candidates {
			if n, ok := c.Params["trees"].(int); !ok || n < 10 || n > 1000 {
				t.Errorf("trees = %v", c.Params["trees"])
			}
		}
	})
	t.Run("several algorithms are searched in name order, each with its own space", func(t *testing.T) {
		spec, err := PrepareTrain(searchRequest(t, "", `{"algorithms":{"knn":{"grid":{"k":[3,5]}},"decision_tree":{"grid":{"max_depth":[2]}}}}`), irisDataset())
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range spec.Search.Candidates {
			got = append(got, c.Algorithm)
		}
		if !reflect.DeepEqual(got, []string{"decision_tree", "knn", "knn"}) || spec.Algorithm != "decision_tree" {
			t.Errorf("candidates of %v, spec algorithm %s", got, spec.Algorithm)
		}
	})
}

func TestPrepareTrainNamesEveryBadSearchField(t *testing.T) {
	for _, c := range []struct {
		name, algorithm, search string
		want                    map[string]string
	}{
		{"an unknown parameter in the grid", "random_forest", `{"grid":{"depth":[1,2]}}`, map[string]string{"search.grid.depth": "unknown parameter of random_forest"}},
		{"a grid value out of range", "knn", `{"grid":{"k":[5,0]}}`, map[string]string{"search.grid.k": "must be between 1 and 100"}},
		{"a random range out of bounds", "knn", `{"random":{"trials":3,"params":{"k":{"int":[1,300]}}}}`, map[string]string{"search.random.params.k": "must be between 1 and 100"}},
		{"a choice that is no value", "knn", `{"random":{"trials":3,"params":{"distance":{"choice":["euclidean","hamming"]}}}}`, map[string]string{"search.random.params.distance": "must be one of"}},
		{"a distribution of two forms", "knn", `{"random":{"trials":3,"params":{"k":{"int":[1,3],"log":[1,3]}}}}`, map[string]string{"search.random.params.k": "give one of"}},
		{"a log range from 0", "logistic_regression", `{"random":{"trials":3,"params":{"C":{"log":[0,100]}}}}`, map[string]string{"search.random.params.C": "lo above 0"}},
		{"both a grid and a random search", "knn", `{"grid":{"k":[1]},"random":{"trials":1,"params":{"k":{"int":[1,3]}}}}`, map[string]string{"search": "give grid or random"}},
		{"too many trials", "knn", `{"random":{"trials":5000,"params":{"k":{"int":[1,30]}}}}`, map[string]string{"search.random.trials": "between 1 and 1000"}},
		{"a grid of too many combinations", "random_forest", `{"grid":{"trees":[` + strings.Repeat("1,", 99) + `2],"max_depth":[` + strings.Repeat("1,", 99) + `2]}}`, map[string]string{"search.grid": "more than 1000 combinations"}},
		{"a metric of the other task", "knn", `{"grid":{"k":[1]},"metric":"rmse"}`, map[string]string{"search.metric": "rmse scores a regression"}},
		{"an unknown metric", "knn", `{"grid":{"k":[1]},"metric":"auc"}`, map[string]string{"search.metric": `unknown metric "auc"`}},
		{"folds out of range", "knn", `{"grid":{"k":[1]},"folds":1}`, map[string]string{"search.folds": "between 2 and 20"}},
		{"an unknown algorithm among several", "", `{"algorithms":{"svm":{"grid":{"c":[1]}}}}`, map[string]string{"search.algorithms.svm": `unknown algorithm "svm"`}},
		{"an algorithm beside several", "knn", `{"algorithms":{"knn":{"grid":{"k":[1]}}}}`, map[string]string{"algorithm": "not both"}},
		{"an algorithm of another task among several", "", `{"algorithms":{"knn":{"grid":{"k":[1]}},"linear_regression":{"grid":{}}}}`, map[string]string{"search.algorithms.linear_regression": "does not do classification"}},
	} {
		t.Run(c.name+" is refused naming the field", func(t *testing.T) {
			_, err := PrepareTrain(searchRequest(t, c.algorithm, c.search), irisDataset())
			wantFields(t, err, c.want)
		})
	}
}

func FuzzSearchRequest(f *testing.F) {
	for _, s := range []string{
		`{"grid":{"k":[1,3,5]},"metric":"accuracy","folds":5}`,
		`{"random":{"trials":20,"params":{"k":{"int":[1,30]},"distance":{"choice":["euclidean"]}}},"seed":1,"metric":"macro_f1","folds":5}`,
		`{"algorithms":{"knn":{"grid":{"k":[3]}},"random_forest":{"random":{"trials":2,"params":{"trees":{"log":[10,100]}}}}}}`,
		`{"random":{"trials":3,"params":{"k":{"float":[1,2]}}}}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, search string) {
		var req JobRequest
		body := `{"type":"train","model":"m","dataset":"iris","target":"Species","algorithm":"knn","search":` + search + `}`
		if json.Unmarshal([]byte(body), &req) != nil {
			return
		}
		if req.Search != nil && req.Search.Algorithms != nil {
			req.Algorithm = ""
		}
		spec, err := PrepareTrain(&req, irisDataset())
		switch {
		case err != nil && ErrorCode(err) != CodeInvalid:
			t.Fatalf("error %v is not CodeInvalid", err)
		case err == nil && req.Search != nil && (spec.Search == nil || len(spec.Search.Candidates) == 0 || len(spec.Search.Candidates) > MaxTrials):
			t.Fatalf("search %+v", spec.Search)
		}
	})
}
