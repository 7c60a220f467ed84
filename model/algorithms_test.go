package model

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestCatalog(t *testing.T) {
	t.Run("the catalog lists exactly the algorithms of SPEC 5, in order", func(t *testing.T) {
		want := []string{"random_forest", "decision_tree", "knn", "logistic_regression", "linear_regression", "naive_bayes"}
		if !reflect.DeepEqual(Algorithms(), want) {
			t.Errorf("Algorithms() = %v, want %v", Algorithms(), want)
		}
	})
	t.Run("every algorithm has a task, a doc and well-formed parameters", func(t *testing.T) {
		for _, a := range Catalog() {
			if a.Task != TaskClassification && a.Task != TaskRegression {
				t.Errorf("%s: task %q", a.Name, a.Task)
			}
			if a.Doc == "" {
				t.Errorf("%s: no doc", a.Name)
			}
			for _, s := range a.Params {
				switch {
				case s.Doc == "":
					t.Errorf("%s.%s: no doc", a.Name, s.Name)
				case s.Type == ParamString && len(s.Enum) == 0:
					t.Errorf("%s.%s: a string parameter without values", a.Name, s.Name)
				case s.Type != ParamString && s.Min == nil:
					t.Errorf("%s.%s: a number parameter without a minimum", a.Name, s.Name)
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

func TestCheckParams(t *testing.T) {
	tests := []struct {
		name      string
		algorithm string
		params    map[string]any
		want      map[string]any
	}{
		{"defaults fill every parameter of a random forest", "random_forest", nil,
			map[string]any{"trees": 50, "features": 6}},
		{"a JSON whole number counts as an int", "random_forest", map[string]any{"trees": 10.0},
			map[string]any{"trees": 10, "features": 6}},
		{"BSON integers count as ints", "random_forest", map[string]any{"trees": int32(7), "features": int64(2)},
			map[string]any{"trees": 7, "features": 2}},
		{"an int given for a float parameter becomes a float64", "logistic_regression", map[string]any{"C": 2},
			map[string]any{"penalty": "l2", "C": 2.0, "eps": 0.01}},
		{"string parameters keep their value", "knn", map[string]any{"distance": "cosine"},
			map[string]any{"k": 5, "distance": "cosine"}},
		{"a parameterless algorithm records an empty map", "linear_regression", map[string]any{},
			map[string]any{}},
		{"the features default is two thirds, rounded up", "random_forest", map[string]any{"trees": 1},
			map[string]any{"trees": 1, "features": 6}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CheckParams(tt.algorithm, tt.params, 9)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("CheckParams = %#v, want %#v", got, tt.want)
			}
		})
	}
	t.Run("the features of a tree default to two thirds of the features, rounded up", func(t *testing.T) {
		for n, want := range map[int]int{1: 1, 2: 2, 3: 2, 4: 3, 16: 11} {
			got, err := CheckParams("random_forest", nil, n)
			if err != nil || got["features"] != want {
				t.Errorf("%d features: %v, %v; want %d per tree", n, got, err, want)
			}
		}
	})
	t.Run("an unknown algorithm is reported under algorithm", func(t *testing.T) {
		_, err := CheckParams("svm", nil, 3)
		wantFields(t, err, map[string]string{"algorithm": `unknown algorithm "svm"`})
	})
}
