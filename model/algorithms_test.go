package model

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"testing"
)

func TestCatalog(t *testing.T) {
	t.Run("the catalog lists exactly the algorithms of SPEC 5, in order", func(t *testing.T) {
		want := []string{"random_forest", "gradient_boosting", "decision_tree", "knn", "logistic_regression", "linear_regression", "naive_bayes"}
		if !reflect.DeepEqual(Algorithms(), want) {
			t.Errorf("Algorithms() = %v, want %v", Algorithms(), want)
		}
	})
	t.Run("every algorithm has tasks, a doc and well-formed parameters", func(t *testing.T) {
		for _, a := range Catalog() {
			if len(a.Tasks) == 0 || slices.ContainsFunc(a.Tasks, func(t string) bool { return t != TaskClassification && t != TaskRegression }) {
				t.Errorf("%s: tasks %q", a.Name, a.Tasks)
			}
			if a.Doc == "" {
				t.Errorf("%s: no doc", a.Name)
			}
			for _, s := range a.Params {
				switch {
				case s.Doc == "":
					t.Errorf("%s.%s: no doc", a.Name, s.Name)
				case (s.Type == ParamString || s.Type == ParamFeatures) && len(s.Enum) == 0:
					t.Errorf("%s.%s: a string parameter without values", a.Name, s.Name)
				case (s.Type == ParamInt || s.Type == ParamFloat) && s.Min == nil:
					t.Errorf("%s.%s: a number parameter without a minimum", a.Name, s.Name)
				}
			}
		}
	})
	t.Run("an algorithm with variants names them as its variant parameter's values, the default first", func(t *testing.T) {
		for _, a := range Catalog() {
			if a.Variant == "" {
				if len(a.Variants) != 0 {
					t.Errorf("%s: variants without a variant parameter", a.Name)
				}
				continue
			}
			var names []string
			var union []string
			for _, v := range a.Variants {
				names = append(names, v.Name)
				union = append(union, v.Tasks...)
			}
			i := slices.IndexFunc(a.Params, func(s ParamSpec) bool { return s.Name == a.Variant })
			if i < 0 || !slices.Equal(a.Params[i].Enum, names) || a.Params[i].Default != names[0] {
				t.Errorf("%s: variant parameter %q does not list %v", a.Name, a.Variant, names)
			}
			for _, task := range a.Tasks {
				if !slices.Contains(union, task) {
					t.Errorf("%s: no variant learns %s", a.Name, task)
				}
			}
		}
	})
	t.Run("every default passes its own checks", func(t *testing.T) {
		for _, a := range Catalog() {
			for _, s := range a.Params {
				def := s.defaultFor(4)
				got, problem := s.check(def, 4)
				if problem != "" || got != def {
					t.Errorf("%s.%s: default %v checks as %v, %q", a.Name, s.Name, def, got, problem)
				}
			}
		}
	})
	t.Run("which algorithms take missing values and which do regression", func(t *testing.T) {
		for _, a := range Catalog() {
			if a.MissingValues != (a.Name == "gradient_boosting") {
				t.Errorf("%s: MissingValues = %v", a.Name, a.MissingValues)
			}
			want := []string{TaskClassification, TaskRegression}
			switch a.Name {
			case "logistic_regression", "naive_bayes":
				want = want[:1]
			case "linear_regression":
				want = want[1:]
			}
			if !slices.Equal(a.Tasks, want) {
				t.Errorf("%s: tasks %v, want %v", a.Name, a.Tasks, want)
			}
		}
	})
	t.Run("the catalog marshals to JSON for clients to read", func(t *testing.T) {
		b, err := json.Marshal(Catalog())
		if err != nil {
			t.Fatal(err)
		}
		var back []Algorithm
		if err := json.Unmarshal(b, &back); err != nil || len(back) != len(Catalog()) {
			t.Fatalf("round trip: %v, %d algorithms", err, len(back))
		}
	})
	t.Run("callers may change what Catalog returns without changing the next call", func(t *testing.T) {
		c := Catalog()
		c[0].Params[0].Name = "changed"
		if Catalog()[0].Params[0].Name == "changed" {
			t.Error("Catalog shares its slices between calls")
		}
	})
	t.Run("LookupAlgorithm finds known names only", func(t *testing.T) {
		if a, ok := LookupAlgorithm("knn"); !ok || a.Name != "knn" {
			t.Errorf("LookupAlgorithm(knn) = %v, %v", a.Name, ok)
		}
		if _, ok := LookupAlgorithm("svm"); ok {
			t.Error("LookupAlgorithm(svm) found something")
		}
	})
	t.Run("only linear_regression refuses string features", func(t *testing.T) {
		for _, a := range Catalog() {
			if a.StringFeatures != (a.Name != "linear_regression") {
				t.Errorf("%s: StringFeatures = %v", a.Name, a.StringFeatures)
			}
		}
	})
}

// numbers returns n number features.
func numbers(n int) []Column {
	cols := make([]Column, n)
	for i := range cols {
		cols[i] = Column{Name: fmt.Sprint("x", i), Type: ColumnNumber}
	}
	return cols
}

func TestCheckParams(t *testing.T) {
	cartForest := func(changes map[string]any) map[string]any {
		m := map[string]any{"engine": "cart", "trees": 100, "criterion": "gini", "max_features": "sqrt", "max_depth": 0,
			"min_samples_split": 2, "min_samples_leaf": 1}
		maps.Copy(m, changes)
		return m
	}
	cls, reg := TaskClassification, TaskRegression
	tests := []struct {
		name      string
		algorithm string
		task      string
		params    map[string]any
		want      map[string]any
	}{
		{"defaults fill every parameter of a random forest, engine cart", "random_forest", cls, nil, cartForest(nil)},
		{"a regression forest considers every feature and splits by squared error", "random_forest", reg, nil,
			cartForest(map[string]any{"criterion": "squared_error", "max_features": 1.0})},
		{"a JSON whole number counts as an int", "random_forest", cls, map[string]any{"trees": 10.0}, cartForest(map[string]any{"trees": 10})},
		{"max_features takes a fraction", "random_forest", cls, map[string]any{"max_features": 0.5}, cartForest(map[string]any{"max_features": 0.5})},
		{"max_features takes a count", "random_forest", cls, map[string]any{"max_features": 3.0}, cartForest(map[string]any{"max_features": 3})},
		{"max_features takes log2", "random_forest", cls, map[string]any{"max_features": "log2"}, cartForest(map[string]any{"max_features": "log2"})},
		{"engine golearn takes its own parameters, the features default two thirds rounded up", "random_forest", cls,
			map[string]any{"engine": "golearn", "trees": int32(7)}, map[string]any{"engine": "golearn", "trees": 7, "features": 6}},
		{"BSON integers count as ints", "random_forest", cls, map[string]any{"engine": "golearn", "trees": int32(7), "features": int64(2)},
			map[string]any{"engine": "golearn", "trees": 7, "features": 2}},
		{"an int given for a float parameter becomes a float64", "logistic_regression", cls, map[string]any{"C": 2},
			map[string]any{"penalty": "l2", "C": 2.0, "eps": 0.01}},
		{"string parameters keep their value", "knn", reg, map[string]any{"distance": "cosine"},
			map[string]any{"k": 5, "distance": "cosine"}},
		{"a parameterless algorithm records an empty map", "linear_regression", reg, map[string]any{}, map[string]any{}},
		{"naive Bayes is gaussian by default", "naive_bayes", cls, nil, map[string]any{"kind": "gaussian", "var_smoothing": 1e-9}},
		{"naive Bayes of kind bernoulli bins", "naive_bayes", cls, map[string]any{"kind": "bernoulli"}, map[string]any{"kind": "bernoulli", "bins": 5}},
		{"gradient boosting fills scikit-learn's defaults", "gradient_boosting", cls, nil, map[string]any{
			"iterations": 100, "learning_rate": 0.1, "max_leaf_nodes": 31, "max_depth": 0, "min_samples_leaf": 20, "l2": 0.0,
			"max_bins": 255, "early_stopping": "auto", "validation_fraction": 0.1, "n_iter_no_change": 10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CheckParams(tt.algorithm, tt.task, tt.params, numbers(9))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("CheckParams = %#v, want %#v", got, tt.want)
			}
		})
	}
	t.Run("the features of a golearn tree default to two thirds of the features, rounded up", func(t *testing.T) {
		for n, want := range map[int]int{1: 1, 2: 2, 3: 2, 4: 3, 16: 11} {
			got, err := CheckParams("random_forest", cls, map[string]any{"engine": "golearn"}, numbers(n))
			if err != nil || got["features"] != want {
				t.Errorf("%d features: %v, %v; want %d per tree", n, got, err, want)
			}
		}
	})
	rejects := []struct {
		name      string
		algorithm string
		task      string
		params    map[string]any
		want      map[string]string
	}{
		{"an unknown algorithm", "svm", cls, nil, map[string]string{"algorithm": `unknown algorithm "svm"`}},
		{"a task the algorithm does not learn", "logistic_regression", reg, nil, map[string]string{"task": "logistic_regression does not do regression"}},
		{"a task its engine does not learn", "decision_tree", reg, map[string]any{"engine": "golearn"},
			map[string]string{"task": "decision_tree engine golearn does not do regression"}},
		{"a parameter of another engine", "random_forest", cls, map[string]any{"features": 2},
			map[string]string{"params.features": "not a parameter of random_forest engine cart"}},
		{"a parameter of another kind", "naive_bayes", cls, map[string]any{"bins": 4},
			map[string]string{"params.bins": "not a parameter of naive_bayes kind gaussian"}},
		{"an unknown engine", "random_forest", cls, map[string]any{"engine": "xgboost"},
			map[string]string{"params.engine": `must be one of "cart", "golearn"`}},
		{"a criterion of the other task", "decision_tree", reg, map[string]any{"criterion": "gini"},
			map[string]string{"params.criterion": `must be one of "squared_error"`}},
		{"max_features of more features than there are", "random_forest", cls, map[string]any{"max_features": 12},
			map[string]string{"params.max_features": "must be at most 9, the number of features"}},
		{"max_features of a fraction above 1", "random_forest", cls, map[string]any{"max_features": 2.5},
			map[string]string{"params.max_features": "not 2.5"}},
		{"max_features of zero", "random_forest", cls, map[string]any{"max_features": 0},
			map[string]string{"params.max_features": "greater than 0"}},
		{"max_features of an unknown name", "random_forest", cls, map[string]any{"max_features": "half"},
			map[string]string{"params.max_features": `must be "sqrt", "log2", a fraction`}},
	}
	for _, tt := range rejects {
		t.Run(tt.name+" is rejected", func(t *testing.T) {
			_, err := CheckParams(tt.algorithm, tt.task, tt.params, numbers(9))
			wantFields(t, err, tt.want)
		})
	}
}

func TestFeaturesPerSplit(t *testing.T) {
	for _, tt := range []struct {
		v    any
		n    int
		want int
	}{{"sqrt", 8, 2}, {"sqrt", 9, 3}, {"sqrt", 1, 1}, {"log2", 8, 3}, {"log2", 1, 1}, {1.0, 8, 8}, {0.5, 9, 4}, {0.01, 9, 1}, {3, 9, 3}} {
		if got := FeaturesPerSplit(tt.v, tt.n); got != tt.want {
			t.Errorf("FeaturesPerSplit(%v, %d) = %d, want %d", tt.v, tt.n, got, tt.want)
		}
	}
}
