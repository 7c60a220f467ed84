package model

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// irisDataset describes testdata/iris.csv as the store would.
func irisDataset() *Dataset {
	return &Dataset{ID: "iris", Rows: 150, Columns: []Column{
		{Name: "Sepal length", Type: ColumnNumber, Distinct: 35},
		{Name: "Sepal width", Type: ColumnNumber, Distinct: 23},
		{Name: "Petal length", Type: ColumnNumber, Distinct: 43},
		{Name: "Petal width", Type: ColumnNumber, Distinct: 22},
		{Name: "Species", Type: ColumnString, Distinct: 3},
	}}
}

// withColumns returns the iris dataset with extra columns.
func withColumns(cols ...Column) *Dataset {
	ds := irisDataset()
	ds.Columns = append(ds.Columns, cols...)
	return ds
}

func trainRequest(algorithm string) *JobRequest {
	return &JobRequest{Type: JobTrain, Model: "m", Dataset: "iris", Target: "Species", Algorithm: algorithm}
}

// wantFields asserts err is a CodeInvalid *Error whose Fields have exactly
// the given keys, each message containing the given text.
func wantFields(tb testing.TB, err error, want map[string]string) {
	tb.Helper()
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeInvalid {
		tb.Fatalf("error = %v, want a CodeInvalid *Error", err)
	}
	if len(e.Fields) != len(want) {
		tb.Errorf("Fields = %q, want keys of %q", e.Fields, want)
	}
	for k, part := range want {
		if got, ok := e.Fields[k]; !ok || !strings.Contains(got, part) {
			tb.Errorf("Fields[%q] = %q, want it to contain %q (all: %q)", k, got, part, e.Fields)
		}
	}
}

func TestPrepareTrainFillsDefaults(t *testing.T) {
	t.Run("a bare request trains on every other column with default params and a 0.2 holdout, seed 1", func(t *testing.T) {
		spec, err := PrepareTrain(trainRequest("random_forest"), irisDataset())
		if err != nil {
			t.Fatal(err)
		}
		want := &TrainSpec{
			Algorithm: "random_forest",
			Params: map[string]any{"engine": "cart", "trees": 100, "criterion": "gini", "max_features": "sqrt", "max_depth": 0,
				"min_samples_split": 2, "min_samples_leaf": 1},
			Task:   TaskClassification,
			Target: "Species",
			Features: []Column{
				{Name: "Sepal length", Type: ColumnNumber}, {Name: "Sepal width", Type: ColumnNumber},
				{Name: "Petal length", Type: ColumnNumber}, {Name: "Petal width", Type: ColumnNumber},
			},
			Validation: ValidationSpec{Holdout: 0.2, Seed: 1},
		}
		if !reflect.DeepEqual(spec, want) {
			t.Errorf("spec = %+v,\nwant %+v", spec, want)
		}
	})
	t.Run("chosen features keep the request's order and the dataset's types", func(t *testing.T) {
		req := trainRequest("knn")
		req.Features = []string{"Petal width", "Sepal length"}
		spec, err := PrepareTrain(req, irisDataset())
		if err != nil {
			t.Fatal(err)
		}
		want := []Column{{Name: "Petal width", Type: ColumnNumber}, {Name: "Sepal length", Type: ColumnNumber}}
		if !reflect.DeepEqual(spec.Features, want) {
			t.Errorf("Features = %+v, want %+v", spec.Features, want)
		}
	})
	t.Run("no validation is a holdout of 0.2 with seed 1", func(t *testing.T) {
		spec, err := PrepareTrain(trainRequest("decision_tree"), irisDataset())
		if err != nil {
			t.Fatal(err)
		}
		if want := (ValidationSpec{Holdout: 0.2, Seed: 1}); spec.Validation != want {
			t.Errorf("Validation = %+v, want %+v", spec.Validation, want)
		}
	})
	t.Run("linear regression takes a number target and no params", func(t *testing.T) {
		req := trainRequest("linear_regression")
		req.Target, req.Features = "Petal width", []string{"Sepal length", "Sepal width", "Petal length"}
		spec, err := PrepareTrain(req, irisDataset())
		if err != nil {
			t.Fatal(err)
		}
		if spec.Task != TaskRegression || len(spec.Params) != 0 {
			t.Errorf("Task, Params = %q, %v", spec.Task, spec.Params)
		}
	})
	t.Run("a dataset inspected before distinct values were counted is trusted", func(t *testing.T) {
		ds := irisDataset()
		ds.Columns[4].Distinct = 0
		if _, err := PrepareTrain(trainRequest("naive_bayes"), ds); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("string features are accepted by algorithms that encode them", func(t *testing.T) {
		req := trainRequest("logistic_regression")
		req.Features = []string{"Sepal length", "color"}
		if _, err := PrepareTrain(req, withColumns(Column{Name: "color", Type: ColumnString, Distinct: 4})); err != nil {
			t.Fatal(err)
		}
	})
}

func TestPrepareTrainInfersTheTask(t *testing.T) {
	labels := Column{Name: "labels", Type: ColumnNumber, Distinct: 3}
	many := Column{Name: "many", Type: ColumnNumber, Distinct: 21}
	halves := Column{Name: "halves", Type: ColumnNumber, Distinct: 3, Fractional: true}
	tests := []struct {
		name, algorithm, target, task, want string
	}{
		{"a string target is classes", "random_forest", "Species", "", TaskClassification},
		{"a number target of whole numbers with few values is classes", "random_forest", "labels", "", TaskClassification},
		{"a number target of whole numbers with many values is a regression", "knn", "many", "", TaskRegression},
		{"a number target with fractions is a regression", "decision_tree", "halves", "", TaskRegression},
		{"a request's task wins", "random_forest", "labels", TaskRegression, TaskRegression},
		{"an algorithm of one task learns it whatever the target", "logistic_regression", "many", "", TaskClassification},
		{"so does an engine of one task", "random_forest", "halves", "", TaskClassification},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := trainRequest(tt.algorithm)
			req.Target, req.Task, req.Features = tt.target, tt.task, []string{"Sepal length"}
			if tt.name == "so does an engine of one task" {
				req.Params = map[string]any{"engine": "golearn"}
			}
			spec, err := PrepareTrain(req, withColumns(labels, many, halves))
			if err != nil {
				t.Fatal(err)
			}
			if spec.Task != tt.want {
				t.Errorf("task %q, want %q", spec.Task, tt.want)
			}
		})
	}
	t.Run("gradient boosting takes features with empty cells", func(t *testing.T) {
		req := trainRequest("gradient_boosting")
		req.Features = []string{"gap", "Sepal length"}
		if _, err := PrepareTrain(req, withColumns(Column{Name: "gap", Type: ColumnNumber, Distinct: 40, Empty: 3})); err != nil {
			t.Fatal(err)
		}
	})
}

func TestPrepareTrainRejects(t *testing.T) {
	gap := Column{Name: "gap", Type: ColumnNumber, Distinct: 40, Empty: 3}
	color := Column{Name: "color", Type: ColumnString, Distinct: 4}
	note := Column{Name: "note", Type: ColumnString, Distinct: DistinctCap}
	id := Column{Name: "id", Type: ColumnNumber, Distinct: DistinctCap}
	one := Column{Name: "one", Type: ColumnString, Distinct: 1}
	blank := Column{Name: "blank", Type: ColumnEmpty, Empty: 150}
	tests := []struct {
		name   string
		ds     *Dataset
		change func(r *JobRequest)
		want   map[string]string
	}{
		{"a target that is not a column", nil, func(r *JobRequest) { r.Target = "species" },
			map[string]string{"target": `no column "species"`}},
		{"a target with empty cells", withColumns(gap), func(r *JobRequest) { r.Target = "gap"; r.Features = []string{"Sepal length"} },
			map[string]string{"target": `column "gap" has 3 empty cells; every training row needs a target`}},
		{"a classification target with too many classes", withColumns(id), func(r *JobRequest) { r.Target, r.Task = "id", TaskClassification },
			map[string]string{"target": "too many classes"}},
		{"a classification target with a single class", withColumns(one), func(r *JobRequest) { r.Target = "one" },
			map[string]string{"target": "needs at least 2 classes"}},
		{"a regression target of strings", nil, func(r *JobRequest) { r.Algorithm = "linear_regression" },
			map[string]string{"target": `a regression needs a number target; column "Species" holds strings`}},
		{"a regression of a string target", nil, func(r *JobRequest) { r.Task = TaskRegression },
			map[string]string{"target": `a regression needs a number target`}},
		{"a task the algorithm does not learn", nil, func(r *JobRequest) {
			r.Algorithm, r.Target, r.Task = "logistic_regression", "Petal width", TaskRegression
		}, map[string]string{"task": "logistic_regression does not do regression"}},
		{"a task its engine does not learn", nil, func(r *JobRequest) {
			r.Target, r.Task, r.Params = "Petal width", TaskRegression, map[string]any{"engine": "golearn"}
		}, map[string]string{"task": "random_forest engine golearn does not do regression"}},
		{"an unknown task", nil, func(r *JobRequest) { r.Task = "clustering" },
			map[string]string{"task": `unknown task "clustering"`}},
		{"a feature that is not a column", nil, func(r *JobRequest) { r.Features = []string{"Sepal length", "petal"} },
			map[string]string{"features[1]": `no column "petal"`}},
		{"a feature with empty cells", withColumns(gap), func(r *JobRequest) { r.Features = []string{"gap"} },
			map[string]string{"features[0]": `random_forest cannot handle missing values: column "gap" has 3 empty cells (an impute step fills them`}},
		{"an all-empty feature, even for an algorithm that takes missing values", withColumns(blank), func(r *JobRequest) {
			r.Algorithm, r.Features = "gradient_boosting", []string{"Sepal length", "blank"}
		}, map[string]string{"features[1]": `column "blank" is empty in every row, so there is nothing to learn from it`}},
		{"a defaulted all-empty feature", withColumns(blank), func(r *JobRequest) {},
			map[string]string{"features": `column "blank" is empty in every row`}},
		{"an all-empty target", withColumns(blank), func(r *JobRequest) { r.Target = "blank"; r.Features = []string{"Sepal length"} },
			map[string]string{"target": `column "blank" has 150 empty cells`}},
		{"an empty list of features, which is not the default of every column", nil, func(r *JobRequest) { r.Features = []string{} },
			map[string]string{"features": "empty: list at least one feature, or leave features out"}},
		{"a string feature of a numeric-only algorithm", withColumns(color), func(r *JobRequest) {
			r.Algorithm, r.Target, r.Features = "linear_regression", "Petal width", []string{"Sepal length", "color"}
		}, map[string]string{"features[1]": `linear_regression takes only number features; column "color" holds strings`}},
		{"a defaulted string feature of a numeric-only algorithm", nil, func(r *JobRequest) {
			r.Algorithm, r.Target = "linear_regression", "Petal width"
		}, map[string]string{"features": `column "Species" holds strings`}},
		{"a string feature with too many values", withColumns(note), func(r *JobRequest) { r.Features = []string{"note"} },
			map[string]string{"features[0]": "a string feature may have at most 100"}},
		{"a dataset with only the target", &Dataset{Rows: 10, Columns: []Column{{Name: "Species", Type: ColumnString, Distinct: 3}}},
			nil, map[string]string{"features": "no feature columns"}},
		{"an unknown algorithm", nil, func(r *JobRequest) { r.Algorithm = "svm" },
			map[string]string{"algorithm": `unknown algorithm "svm"`}},
		{"an unknown parameter", nil, func(r *JobRequest) { r.Params = map[string]any{"depth": 3} },
			map[string]string{"params.depth": "unknown parameter of random_forest (it takes engine, trees, criterion, max_features"}},
		{"a parameter of a parameterless algorithm", nil, func(r *JobRequest) {
			r.Algorithm, r.Target, r.Features = "linear_regression", "Petal width", []string{"Sepal length"}
			r.Params = map[string]any{"fit_intercept": true}
		}, map[string]string{"params": "linear_regression takes no parameters"}},
		{"an int parameter with a fraction", nil, func(r *JobRequest) { r.Params = map[string]any{"trees": 10.5} },
			map[string]string{"params.trees": "must be a whole number, not 10.5"}},
		{"an int parameter given as a string", nil, func(r *JobRequest) { r.Params = map[string]any{"trees": "10"} },
			map[string]string{"params.trees": "must be a number"}},
		{"a bool for a number", nil, func(r *JobRequest) { r.Params = map[string]any{"trees": true} },
			map[string]string{"params.trees": "must be a number"}},
		{"too few trees", nil, func(r *JobRequest) { r.Params = map[string]any{"trees": 0} },
			map[string]string{"params.trees": "must be between 1 and 1000"}},
		{"too many trees", nil, func(r *JobRequest) { r.Params = map[string]any{"trees": 1001} },
			map[string]string{"params.trees": "must be between 1 and 1000"}},
		{"too many golearn trees", nil, func(r *JobRequest) { r.Params = map[string]any{"engine": "golearn", "trees": 501} },
			map[string]string{"params.trees": "must be between 1 and 500"}},
		{"more features per tree than features", nil, func(r *JobRequest) { r.Params = map[string]any{"engine": "golearn", "features": 5} },
			map[string]string{"params.features": "must be at most 4, the number of features"}},
		{"no features per tree", nil, func(r *JobRequest) { r.Params = map[string]any{"engine": "golearn", "features": 0} },
			map[string]string{"params.features": "must be between 1 and 4"}},
		{"features per tree for engine cart", nil, func(r *JobRequest) { r.Params = map[string]any{"features": 2} },
			map[string]string{"params.features": "not a parameter of random_forest engine cart"}},
		{"more features per split than features", nil, func(r *JobRequest) { r.Params = map[string]any{"max_features": 5} },
			map[string]string{"params.max_features": "must be at most 4, the number of features"}},
		{"a C of zero", nil, func(r *JobRequest) { r.Algorithm, r.Params = "logistic_regression", map[string]any{"C": 0} },
			map[string]string{"params.C": "must be greater than 0 and at most 1000000"}},
		{"a negative C", nil, func(r *JobRequest) { r.Algorithm, r.Params = "logistic_regression", map[string]any{"C": -1.5} },
			map[string]string{"params.C": "must be greater than 0"}},
		{"an unknown penalty", nil, func(r *JobRequest) { r.Algorithm, r.Params = "logistic_regression", map[string]any{"penalty": "l3"} },
			map[string]string{"params.penalty": `must be one of "l2", "l1"`}},
		{"a distance given as a number", nil, func(r *JobRequest) { r.Algorithm, r.Params = "knn", map[string]any{"distance": 2} },
			map[string]string{"params.distance": `must be one of "euclidean", "manhattan", "cosine"`}},
		{"an unknown rule", nil, func(r *JobRequest) {
			r.Algorithm, r.Params = "decision_tree", map[string]any{"engine": "golearn", "rule": "chi2"}
		}, map[string]string{"params.rule": "must be one of"}},
		{"pruning with most of the rows", nil, func(r *JobRequest) {
			r.Algorithm, r.Params = "decision_tree", map[string]any{"engine": "golearn", "prune": 0.6}
		}, map[string]string{"params.prune": "must be between 0 and 0.5"}},
		{"a golearn parameter of engine cart", nil, func(r *JobRequest) { r.Algorithm, r.Params = "decision_tree", map[string]any{"rule": "gini"} },
			map[string]string{"params.rule": "not a parameter of decision_tree engine cart"}},
		{"too few bins", nil, func(r *JobRequest) {
			r.Algorithm, r.Params = "naive_bayes", map[string]any{"kind": "bernoulli", "bins": 1}
		},
			map[string]string{"params.bins": "must be between 2 and 100"}},
		{"more neighbours than training rows", &Dataset{Rows: 10, Columns: irisDataset().Columns}, func(r *JobRequest) {
			r.Algorithm, r.Params = "knn", map[string]any{"k": 9}
		}, map[string]string{"params.k": "must be at most 8, the rows each model is fitted on"}},
		{"more folds than rows", &Dataset{Rows: 4, Columns: irisDataset().Columns}, func(r *JobRequest) {
			r.Validation = &ValidationSpec{Folds: 5}
		}, map[string]string{"validation.folds": "5 folds need at least 5 rows; the dataset has 4"}},
		{"a holdout too small to test on", &Dataset{Rows: 3, Columns: irisDataset().Columns}, func(r *JobRequest) {
			r.Validation = &ValidationSpec{Holdout: 0.1}
		}, map[string]string{"validation.holdout": "leaves no row to test on"}},
		{"a holdout too large to train on", &Dataset{Rows: 2, Columns: irisDataset().Columns}, func(r *JobRequest) {
			r.Validation = &ValidationSpec{Holdout: 0.9}
		}, map[string]string{"validation.holdout": "leaves no row to train on"}},
		{"a regression with fewer rows than coefficients", &Dataset{Rows: 4, Columns: irisDataset().Columns}, func(r *JobRequest) {
			r.Algorithm, r.Target, r.Features = "linear_regression", "Petal width", []string{"Sepal length", "Sepal width", "Petal length"}
		}, map[string]string{"features": "needs at least 4 training rows; this validation leaves 3"}},
		{"one fold, as the request's own checks say", nil, func(r *JobRequest) { r.Validation = &ValidationSpec{Folds: 1} },
			map[string]string{"validation.folds": "must be 0 (holdout) or between 2 and 20"}},
		{"a score job", nil, func(r *JobRequest) { r.Type = JobScore; r.Target, r.Algorithm = "", "" },
			map[string]string{"type": "not a train job"}},
		{"every problem at once", withColumns(gap), func(r *JobRequest) {
			r.Target, r.Features, r.Params = "nope", []string{"gap", "missing"}, map[string]any{"trees": -1, "depth": 2}
		}, map[string]string{
			"target": `no column "nope"`, "features[0]": "missing values", "features[1]": `no column "missing"`,
			"params.trees": "between 1 and 1000", "params.depth": "unknown parameter",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is rejected", func(t *testing.T) {
			req := trainRequest("random_forest")
			if tt.change != nil {
				tt.change(req)
			}
			ds := tt.ds
			if ds == nil {
				ds = irisDataset()
			}
			spec, err := PrepareTrain(req, ds)
			if spec != nil {
				t.Errorf("spec = %+v, want nil", spec)
			}
			wantFields(t, err, tt.want)
		})
	}
}
