package golearn

import (
	"slices"
	"sync"
	"testing"

	"gitlab.com/mlserve/mlserve/internal/learn"
	"gitlab.com/mlserve/mlserve/model"
)

// servedModels returns a fast predictor of every algorithm on each parity
// dataset (linear regression: iris only), and every fourth row of the
// dataset as a batch.
func servedModels(t *testing.T) []servedModel {
	t.Helper()
	var out []servedModel
	for _, ds := range parityData(t) {
		for _, alg := range algorithmNames() {
			req := model.JobRequest{Target: ds.target, Algorithm: alg}
			switch {
			case alg == "random_forest":
				req.Params = map[string]any{"trees": 10}
			case alg == "linear_regression" && ds.name != "iris.csv":
				continue
			case alg == "linear_regression":
				req.Target, req.Features = "Petal width", []string{"Sepal length", "Sepal width", "Petal length"}
			}
			art := ds.f.train(t, ds.f.spec(t, req)).Artifact
			p, err := NewPredictorLoader().LoadPredictor(art)
			if err != nil {
				t.Fatal(err)
			}
			var rows []int
			for r := 0; r < len(ds.f.records); r += 4 {
				rows = append(rows, r)
			}
			in := batchOf(ds.f.rows(t, p.Features(), rows))
			pooled := load(t, art).enc.Width > learn.StackDims
			out = append(out, servedModel{name: alg + " on " + ds.name, p: p, in: in, pooled: pooled})
		}
	}
	return out
}

type servedModel struct {
	name   string
	p      model.Predictor
	in     *model.Batch
	pooled bool // its encoded rows are too wide for the stack
}

func TestFastPredictorsDoNotAllocate(t *testing.T) {
	for _, s := range servedModels(t) {
		t.Run(s.name+" predicts a row and a batch without allocating", func(t *testing.T) {
			if raceEnabled && s.pooled {
				t.Skip("the race detector makes sync.Pool drop buffers")
			}
			f := len(s.p.Features())
			one := &model.Batch{Rows: 1, Nums: s.in.Nums[:f], Strs: s.in.Strs[:f]}
			cases := []struct {
				what string
				in   *model.Batch
				out  *model.Output
			}{
				{"a row with probabilities", one, outputFor(s.p, 1, true)},
				{"a batch with probabilities", s.in, outputFor(s.p, s.in.Rows, true)},
				{"a batch without", s.in, outputFor(s.p, s.in.Rows, false)},
			}
			for _, c := range cases {
				if n := testing.AllocsPerRun(50, func() { s.p.Predict(c.in, c.out) }); n != 0 {
					t.Errorf("%s: %v allocations per call", c.what, n)
				}
			}
		})
	}
}

func TestFastPredictorsPredictConcurrently(t *testing.T) {
	for _, s := range servedModels(t) {
		t.Run(s.name+" gives each of 8 goroutines the answers it gives one", func(t *testing.T) {
			want := outputFor(s.p, s.in.Rows, true)
			s.p.Predict(s.in, want)
			var wg sync.WaitGroup
			for g := range 8 {
				wg.Go(func() {
					got := outputFor(s.p, s.in.Rows, g%2 == 0)
					for range 10 {
						s.p.Predict(s.in, got)
						if !slices.Equal(got.Classes, want.Classes) || !bitsEqual(got.Values, want.Values) ||
							got.Probs != nil && !bitsEqual(got.Probs, want.Probs) {
							t.Error("a concurrent prediction differs")
							return
						}
					}
				})
			}
			wg.Wait()
		})
	}
}
