package golearn

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"

	"gitlab.com/mlserve/mlserve/model"
)

func TestCrossValidation(t *testing.T) {
	f := testdata(t, "iris.csv")
	species := f.column(t, "Species")
	for _, alg := range classifiers() {
		t.Run(alg+" with 5 folds pools a prediction of every row and refits on all rows", func(t *testing.T) {
			spec := f.spec(t, model.JobRequest{Target: "Species", Algorithm: alg, Validation: &model.ValidationSpec{Folds: 5, Seed: 2}})
			var progress []model.Progress
			res, err := NewTrainer().Train(context.Background(), *spec, bytes.NewReader(f.raw), func(p model.Progress) {
				progress = append(progress, p)
			})
			if err != nil {
				t.Fatal(err)
			}
			m, c := res.Metrics, res.Metrics.Classification
			if m.Method != model.MethodCrossValidation || m.Folds != 5 || m.Seed != 2 || m.Holdout != 0 || m.TestRows != 150 || m.TrainRows != 150 {
				t.Errorf("metrics %+v", m)
			}
			// Every row is predicted once: each class's row of the
			// confusion matrix adds up to its rows in the CSV.
			trace := 0
			for i, class := range c.Confusion.Labels {
				if got, want := sumInts(c.Confusion.Counts[i]), count(species, class); got != want || c.PerClass[i].Support != want {
					t.Errorf("class %s: %d predictions, support %d, the CSV has %d rows", class, got, c.PerClass[i].Support, want)
				}
				trace += c.Confusion.Counts[i][i]
			}
			if !near(c.Accuracy, float64(trace)/150) {
				t.Errorf("accuracy %v, the confusion matrix gives %v", c.Accuracy, float64(trace)/150)
			}
			want := []model.Progress{{Done: 0, Total: 7}, {Done: 1, Total: 7}, {Done: 2, Total: 7}, {Done: 3, Total: 7},
				{Done: 4, Total: 7}, {Done: 5, Total: 7}, {Done: 6, Total: 7}, {Done: 7, Total: 7}}
			if !reflect.DeepEqual(progress, want) {
				t.Errorf("progress %v, want %v", progress, want)
			}
			// The stored model is the refit on every row: it is not any
			// fold's model, which was fitted without a fifth of them.
			if h, _, _ := parseArtifact(res.Artifact); h.KNN != nil && h.KNN.Rows != 150 {
				t.Errorf("the stored knn model holds %d rows, want all 150", h.KNN.Rows)
			}
			t.Logf("%s on iris, 5 folds: accuracy %.4f", alg, c.Accuracy)
		})
	}
}

func TestHoldoutProgress(t *testing.T) {
	f := testdata(t, "iris.csv")
	var progress []model.Progress
	spec := f.spec(t, model.JobRequest{Target: "Species", Algorithm: "decision_tree"})
	if _, err := NewTrainer().Train(context.Background(), *spec, bytes.NewReader(f.raw), func(p model.Progress) {
		progress = append(progress, p)
	}); err != nil {
		t.Fatal(err)
	}
	want := []model.Progress{{Done: 0, Total: 3}, {Done: 1, Total: 3}, {Done: 2, Total: 3}, {Done: 3, Total: 3}}
	if !reflect.DeepEqual(progress, want) {
		t.Errorf("progress %v, want %v: read, fit, evaluate", progress, want)
	}
}

func TestTrainStopsWhenCanceled(t *testing.T) {
	f := testdata(t, "iris.csv")
	tests := []struct {
		name     string
		req      model.JobRequest
		cancelAt int64 // cancel when this much is done
		lastDone int64 // the last progress reported
	}{
		{"between folds", model.JobRequest{Algorithm: "knn", Validation: &model.ValidationSpec{Folds: 5}}, 3, 3},
		{"before the final refit", model.JobRequest{Algorithm: "knn", Validation: &model.ValidationSpec{Folds: 5}}, 6, 6},
		{"after reading the data", model.JobRequest{Algorithm: "random_forest"}, 1, 1},
		{"before the data is read", model.JobRequest{Algorithm: "decision_tree"}, 0, 0},
	}
	for _, tt := range tests {
		t.Run("a training canceled "+tt.name+" stops there", func(t *testing.T) {
			tt.req.Target = "Species"
			spec := f.spec(t, tt.req)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var last model.Progress
			res, err := NewTrainer().Train(ctx, *spec, bytes.NewReader(f.raw), func(p model.Progress) {
				last = p
				if p.Done == tt.cancelAt {
					cancel()
				}
			})
			if !errors.Is(err, context.Canceled) || res != nil {
				t.Fatalf("Train = %v, %v; want context.Canceled", res, err)
			}
			if last.Done != tt.lastDone {
				t.Errorf("last progress %+v, want %d done", last, tt.lastDone)
			}
		})
	}
}

// countdown is a context whose Err turns to context.Canceled on its n-th
// call: it stops a training at an exact point without timing.
type countdown struct {
	context.Context
	calls, n int
}

func (c *countdown) Err() error {
	if c.calls++; c.calls >= c.n {
		return context.Canceled
	}
	return nil
}

func TestForestStopsBetweenTrees(t *testing.T) {
	f := testdata(t, "iris.csv")
	d, err := readData(bytes.NewReader(f.raw), f.spec(t, model.JobRequest{Target: "Species", Algorithm: "random_forest"}))
	if err != nil {
		t.Fatal(err)
	}
	en := newEncoder(fitEncodings(styleNumeric, d.features, allRows(d.rows), 0))
	in := &fitInput{x: en.encode(d.features, allRows(d.rows)), y: d.y, classes: d.classes, groups: en.groups(), dims: en.width,
		params: map[string]any{"trees": 100, "features": 2}, rng: newRand(1, streamFit)}
	ctx := &countdown{Context: context.Background(), n: 4}
	if _, err := fitForest(ctx, in); !errors.Is(err, context.Canceled) {
		t.Fatalf("fitForest = %v, want context.Canceled", err)
	}
	if ctx.calls != 4 {
		t.Errorf("the forest checked its context %d times, want 4: it fitted 3 of 100 trees and stopped", ctx.calls)
	}
}

func sumInts(v []int) int {
	s := 0
	for _, x := range v {
		s += x
	}
	return s
}

func count(values []string, v string) int {
	return len(slices.DeleteFunc(slices.Clone(values), func(s string) bool { return s != v }))
}
