package golearn

import (
	"bytes"
	"reflect"
	"slices"
	"testing"

	"gitlab.com/mlserve/mlserve/internal/learn"
	"gitlab.com/mlserve/mlserve/model"
)

// determinismCases cover every algorithm and every option that draws
// randomness or could depend on order: bootstraps, feature subsets,
// pruning splits, liblinear's L1 shuffle, golearn's map-ordered files.
func determinismCases() []model.JobRequest {
	return []model.JobRequest{
		{Algorithm: "random_forest", Params: map[string]any{"trees": 20}},
		{Algorithm: "decision_tree"},
		{Algorithm: "decision_tree", Params: map[string]any{"rule": "gain_ratio", "prune": 0.3}},
		{Algorithm: "decision_tree", Params: map[string]any{"rule": "gini"}},
		{Algorithm: "knn", Params: map[string]any{"k": 4}},
		{Algorithm: "logistic_regression"},
		{Algorithm: "logistic_regression", Params: map[string]any{"penalty": "l1", "C": 0.5}},
		{Algorithm: "naive_bayes"},
	}
}

func TestTrainingIsDeterministic(t *testing.T) {
	for _, ds := range realDatasets {
		f := testdata(t, ds.file)
		for _, req := range determinismCases() {
			req.Target = ds.target
			for _, v := range []*model.ValidationSpec{{Holdout: 0.25, Seed: 7}, {Folds: 3, Seed: 7}} {
				req.Validation = v
				t.Run(req.Algorithm+" on "+ds.file+" gives the same artifact and metrics twice", func(t *testing.T) {
					spec := f.spec(t, req)
					a, b := f.train(t, spec), f.train(t, spec)
					if !bytes.Equal(a.Artifact, b.Artifact) {
						t.Errorf("%v %+v: the artifacts differ", req.Params, v)
					}
					if !reflect.DeepEqual(a.Metrics, b.Metrics) || !slices.Equal(a.Classes, b.Classes) {
						t.Errorf("%v %+v: metrics %+v and %+v", req.Params, v, a.Metrics, b.Metrics)
					}
				})
			}
		}
	}
	t.Run("a linear regression gives the same artifact twice", func(t *testing.T) {
		f := testdata(t, "iris.csv")
		spec := f.spec(t, model.JobRequest{Target: "Petal width", Algorithm: "linear_regression", Validation: &model.ValidationSpec{Folds: 4, Seed: 3},
			Features: []string{"Sepal length", "Sepal width", "Petal length"}})
		a, b := f.train(t, spec), f.train(t, spec)
		if !bytes.Equal(a.Artifact, b.Artifact) || !reflect.DeepEqual(a.Metrics, b.Metrics) {
			t.Error("two trainings differ")
		}
	})
}

func TestSeedsChangeTheSplit(t *testing.T) {
	t.Run("a different seed holds out different rows", func(t *testing.T) {
		_, a := learn.HoldoutSplit(150, 0.2, 1)
		_, b := learn.HoldoutSplit(150, 0.2, 2)
		if slices.Equal(a, b) {
			t.Error("seeds 1 and 2 hold out the same rows")
		}
	})
	t.Run("a different seed deals different folds", func(t *testing.T) {
		if reflect.DeepEqual(learn.FoldSplit(150, 5, 1), learn.FoldSplit(150, 5, 2)) {
			t.Error("seeds 1 and 2 deal the same folds")
		}
	})
	t.Run("a different seed trains a different model", func(t *testing.T) {
		f := testdata(t, "iris.csv")
		req := model.JobRequest{Target: "Species", Algorithm: "knn", Validation: &model.ValidationSpec{Holdout: 0.2, Seed: 1}}
		a := f.train(t, f.spec(t, req))
		req.Validation = &model.ValidationSpec{Holdout: 0.2, Seed: 2}
		b := f.train(t, f.spec(t, req))
		if bytes.Equal(a.Artifact, b.Artifact) {
			t.Error("seeds 1 and 2 store the same knn model, so the same training rows")
		}
		if b.Metrics.Seed != 2 {
			t.Errorf("metrics record seed %d", b.Metrics.Seed)
		}
	})
}
