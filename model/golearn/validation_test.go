package golearn

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"

	"gitlab.com/mlserve/mlserve/internal/learn"
	"gitlab.com/mlserve/mlserve/model"
)

func TestCrossValidation(t *testing.T) {
	f := testdata(t, "iris.csv")
	species := f.column(t, "Species")
	for _, alg := range classifiers() {
		t.Run(alg+" with 5 folds pools a prediction of every row and refits on all rows", func(t *testing.T) {
			spec := f.spec(t, model.JobRequest{Target: "Species", Algorithm: alg, Validation: &model.ValidationSpec{Folds: 5, Seed: 2}})
			var progress []model.Progress
			res, err := newTrainer().Train(context.Background(), *spec, bytes.NewReader(f.raw), func(p model.Progress) {
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
			// 1 to read, then (5+1) fits of U units and 5 evaluations.
			units := int64(1)
			if alg == "random_forest" {
				units = int64(spec.Params["trees"].(int))
			}
			total := 1 + 6*units + 5
			if first, last := progress[0], progress[len(progress)-1]; first != (model.Progress{Total: total}) || last != (model.Progress{Done: total, Total: total}) {
				t.Errorf("progress %v, want it from 0 to %d of %d", progress, total, total)
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
	d, err := learn.ReadData(bytes.NewReader(f.raw), f.spec(t, model.JobRequest{Target: "Species", Algorithm: "random_forest"}), nil)
	if err != nil {
		t.Fatal(err)
	}
	en := learn.NewEncoder(learn.FitEncodings(d.Features, learn.AllRows(d.Rows), 0))
	in := &fitInput{x: en.Encode(d.Features, learn.AllRows(d.Rows)), y: d.Y, classes: d.Classes, groups: en.Groups(), dims: en.Width,
		params: map[string]any{"trees": 100, "features": 2}, rng: learn.NewRand(1, learn.StreamFit)}
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
