package trees

import (
	"bytes"
	"context"
	"errors"
	"math"
	"runtime"
	"sync/atomic"
	"testing"

	"gitlab.com/mlserve/mlserve/internal/learn"
	"gitlab.com/mlserve/mlserve/model"
)

func TestTrainingIsDeterministic(t *testing.T) {
	for _, c := range parityCases(t) {
		t.Run(c.String()+" gives the same artifact and metrics twice, on one thread or two", func(t *testing.T) {
			_, a := c.train(t)
			old := runtime.GOMAXPROCS(1)
			_, b := c.train(t)
			runtime.GOMAXPROCS(old)
			if !bytes.Equal(a.Artifact, b.Artifact) || a.Metrics.TestRows != b.Metrics.TestRows {
				t.Fatal("the artifacts differ")
			}
			if a.Metrics.Classification != nil && a.Metrics.Classification.Accuracy != b.Metrics.Classification.Accuracy {
				t.Errorf("accuracy %v then %v", a.Metrics.Classification.Accuracy, b.Metrics.Classification.Accuracy)
			}
		})
	}
}

func TestTreeModelsLearn(t *testing.T) {
	iris := readTestdata(t, "iris.csv")
	fried := friedman(3000, 7)
	tests := []struct {
		name    string
		raw     []byte
		req     model.JobRequest
		atLeast float64 // accuracy or R² on the holdout
	}{
		{"a decision tree separates iris", iris, model.JobRequest{Target: "Species", Algorithm: "decision_tree"}, 0.85},
		{"a forest separates iris", iris, model.JobRequest{Target: "Species", Algorithm: "random_forest"}, 0.85},
		{"boosting separates iris", iris, model.JobRequest{Target: "Species", Algorithm: "gradient_boosting"}, 0.85},
		{"a forest fits friedman", fried, model.JobRequest{Target: "y", Algorithm: "random_forest", Params: map[string]any{"trees": 30}}, 0.8},
		{"boosting fits friedman", fried, model.JobRequest{Target: "y", Algorithm: "gradient_boosting"}, 0.9},
		{"boosting learns where missing values go", gappy(3000, 3), model.JobRequest{Target: "label", Algorithm: "gradient_boosting"}, 0.85},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, res := train(t, tt.raw, tt.req)
			score := 0.0
			if m := res.Metrics.Classification; m != nil {
				score = m.Accuracy
			} else {
				score = res.Metrics.Regression.R2
			}
			if score < tt.atLeast {
				t.Errorf("score %.4f, want at least %v", score, tt.atLeast)
			}
			t.Logf("score %.4f", score)
		})
	}
}

func TestForestsReportOutOfBagScoresAndImportances(t *testing.T) {
	iris := readTestdata(t, "iris.csv")
	tests := []struct {
		name   string
		raw    []byte
		req    model.JobRequest
		metric string
	}{
		{"a classifier's out-of-bag accuracy", iris, model.JobRequest{Target: "Species", Algorithm: "random_forest"}, "accuracy"},
		{"a regressor's out-of-bag R²", iris, model.JobRequest{Target: "Petal width", Algorithm: "random_forest"}, "r2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, res := train(t, tt.raw, tt.req)
			oob := res.Metrics.OutOfBag
			// 120 training rows, 100 trees: every row is left out by some tree.
			if oob == nil || oob.Metric != tt.metric || oob.Rows != 120 || oob.Score < 0.8 || oob.Score > 1 {
				t.Errorf("out of bag %+v", oob)
			}
			checkImportances(t, res, []string{"Petal"})
		})
	}
	t.Run("boosting and single trees report importances but no out-of-bag score", func(t *testing.T) {
		for _, alg := range []string{"decision_tree", "gradient_boosting"} {
			_, res := train(t, iris, model.JobRequest{Target: "Species", Algorithm: alg})
			if res.Metrics.OutOfBag != nil {
				t.Errorf("%s: out of bag %+v", alg, res.Metrics.OutOfBag)
			}
			checkImportances(t, res, []string{"Petal"})
		}
	})
	t.Run("a string feature's importance adds up its one-hot columns", func(t *testing.T) {
		_, res := train(t, readTestdata(t, "legacy/votes-strings.csv"), model.JobRequest{Target: "party", Algorithm: "random_forest"})
		if len(res.FeatureImportances) != 16 {
			t.Fatalf("%d importances for 16 features", len(res.FeatureImportances))
		}
		checkImportances(t, res, []string{"v4"}) // physician-fee-freeze: the vote that tells the parties apart
	})
}

// checkImportances asserts the importances are in feature order, sum to
// 1 and that the most important feature's name starts with one of top.
func checkImportances(t *testing.T, res *model.TrainResult, top []string) {
	t.Helper()
	sum, best := 0.0, 0
	for i, fi := range res.FeatureImportances {
		if fi.Importance < 0 || math.IsNaN(fi.Importance) {
			t.Errorf("importance %+v", fi)
		}
		sum += fi.Importance
		if fi.Importance > res.FeatureImportances[best].Importance {
			best = i
		}
	}
	if math.Abs(sum-1) > 1e-9 {
		t.Errorf("importances %+v sum to %v", res.FeatureImportances, sum)
	}
	name := res.FeatureImportances[best].Feature
	for _, p := range top {
		if len(name) >= len(p) && name[:len(p)] == p {
			return
		}
	}
	t.Errorf("the most important feature is %q (%+v), want one of %q", name, res.FeatureImportances, top)
}

func TestBoostingStopsEarly(t *testing.T) {
	// 15,000 rows (12,000 to fit on) of labels that no feature predicts:
	// past 10,000 rows "auto" holds out a validation share, whose loss
	// soon stops falling.
	raw := gappy(15000, 5)
	noise := bytes.ReplaceAll(raw, []byte("level,"), []byte("dummy,"))
	tests := []struct {
		name    string
		params  map[string]any
		wantAll bool
	}{
		{"auto stops before its iterations past 10,000 rows", map[string]any{"iterations": 300}, false},
		{"off runs every iteration", map[string]any{"iterations": 40, "early_stopping": "off"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, res := train(t, noise, model.JobRequest{Target: "label", Algorithm: "gradient_boosting", Features: []string{"noise", "color"}, Params: tt.params})
			iterations := tt.params["iterations"].(int)
			if tt.wantAll != (res.Iterations == iterations) || res.Iterations < 1 {
				t.Errorf("%d iterations of %d", res.Iterations, iterations)
			}
		})
	}
}

func TestFitsReportTheirProgressAndStopWhenCanceled(t *testing.T) {
	raw := friedman(4000, 3)
	t.Run("a forest reports its trees as they are done", func(t *testing.T) {
		spec := prepareSpec(t, raw, model.JobRequest{Target: "y", Algorithm: "random_forest", Params: map[string]any{"trees": 40}})
		var dones []int64
		tr := learn.NewTrainer(Learner)
		if _, err := tr.Train(context.Background(), *spec, bytes.NewReader(raw), func(p model.Progress) { dones = append(dones, p.Done) }); err != nil {
			t.Fatal(err)
		}
		if dones[0] != 0 || dones[len(dones)-1] != 42 {
			t.Errorf("progress %v, want 0 to 42 (read, 40 trees, evaluate)", dones)
		}
	})
	for _, tt := range []struct {
		name string
		req  model.JobRequest
	}{
		{"a tree stops in the middle of growing", model.JobRequest{Target: "y", Algorithm: "decision_tree"}},
		{"a forest stops in the middle of a tree", model.JobRequest{Target: "y", Algorithm: "random_forest", Params: map[string]any{"trees": 500}}},
		{"boosting stops between iterations", model.JobRequest{Target: "y", Algorithm: "gradient_boosting"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			spec := prepareSpec(t, raw, tt.req)
			ctx := &countdown{Context: context.Background(), n: 12}
			res, err := learn.NewTrainer(Learner).Train(ctx, *spec, bytes.NewReader(raw), nil)
			if !errors.Is(err, context.Canceled) || res != nil {
				t.Fatalf("Train = %v, %v; want context.Canceled", res != nil, err)
			}
		})
	}
}

// countdown is a context whose Err turns to context.Canceled on its n-th
// call: it stops a training at an exact point without timing.
type countdown struct {
	context.Context
	calls atomic.Int64
	n     int64
}

func (c *countdown) Err() error {
	if c.calls.Add(1) >= c.n {
		return context.Canceled
	}
	return nil
}
