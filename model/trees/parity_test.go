package trees

import (
	"fmt"
	"slices"
	"testing"

	"gitlab.com/mlserve/mlserve/internal/csvdata"
	"gitlab.com/mlserve/mlserve/internal/learn"
	"gitlab.com/mlserve/mlserve/model"
)

// parityCase is a model the parity tests train.
type parityCase struct {
	alg, task string
	params    map[string]any
	data      dataset
}

func parityCases(t *testing.T) []parityCase {
	iris := dataset{"iris", "Species", readTestdata(t, "iris.csv")}
	votes := dataset{"house-votes as strings", "party", readTestdata(t, "legacy/votes-strings.csv")}
	mixed := dataset{"iris with a string column", "Species", readTestdata(t, "legacy/iris-mixed.csv")}
	width := dataset{"iris, petal width", "Petal width", iris.raw}
	fried := dataset{"friedman", "y", friedman(1500, 1)}
	gaps := dataset{"two classes with missing values", "label", gappy(1200, 1)}
	cls, reg := model.TaskClassification, model.TaskRegression
	return []parityCase{
		{"decision_tree", cls, nil, iris},
		{"decision_tree", cls, map[string]any{"criterion": "entropy", "max_depth": 3}, votes},
		{"decision_tree", cls, map[string]any{"min_samples_leaf": 5, "max_features": "sqrt"}, mixed},
		{"decision_tree", reg, nil, width},
		{"decision_tree", reg, map[string]any{"max_depth": 6, "min_samples_split": 10}, fried},
		{"random_forest", cls, map[string]any{"trees": 30}, iris},
		{"random_forest", cls, map[string]any{"trees": 13, "criterion": "entropy", "max_features": 0.5}, votes},
		{"random_forest", cls, map[string]any{"trees": 9, "max_features": 2}, mixed},
		{"random_forest", reg, map[string]any{"trees": 20}, width},
		{"random_forest", reg, map[string]any{"trees": 11, "min_samples_leaf": 3, "max_features": "log2"}, fried},
		{"gradient_boosting", cls, nil, iris},
		{"gradient_boosting", cls, map[string]any{"iterations": 40, "max_leaf_nodes": 7}, votes},
		{"gradient_boosting", cls, map[string]any{"iterations": 30, "max_depth": 2, "l2": 1.0}, mixed},
		{"gradient_boosting", cls, map[string]any{"iterations": 50, "min_samples_leaf": 5}, gaps},
		{"gradient_boosting", reg, map[string]any{"iterations": 60, "learning_rate": 0.3}, width},
		{"gradient_boosting", reg, map[string]any{"early_stopping": "on", "max_bins": 16}, fried},
	}
}

func (c parityCase) String() string {
	return fmt.Sprintf("%s %s%s on %s", c.alg, c.task, paramString(c.params), c.data.name)
}

func (c parityCase) train(t *testing.T) (*model.TrainSpec, *model.TrainResult) {
	return train(t, c.data.raw, model.JobRequest{Target: c.data.target, Algorithm: c.alg, Task: c.task, Params: c.params})
}

func TestFastPredictorsMatchTheReference(t *testing.T) {
	for _, c := range parityCases(t) {
		t.Run(c.String()+" predicts every row, seen, held out or made up, as the reference to the bit", func(t *testing.T) {
			spec, res := c.train(t)
			env, ref, err := load(res.Artifact)
			if err != nil {
				t.Fatal(err)
			}
			p, err := LoadPredictor(res.Artifact)
			if err != nil {
				t.Fatal(err)
			}
			in, table := batchOf(t, c.data.raw, spec.Features)
			checkParity(t, env, ref, p, table)
			checkParity(t, env, ref, p, madeUp(in, spec.Features, 300, c.alg == "gradient_boosting"))
		})
	}
}

// checkParity predicts every row of table with p, in one batch and
// row by row, and with the reference, and fails on any difference.
func checkParity(t *testing.T, env *learn.Envelope, ref *forestModel, p model.Predictor, table *csvdata.Table) {
	t.Helper()
	in := tableBatch(table)
	classes := len(p.Classes())
	batch := newOutput(p, in.Rows)
	p.Predict(in, batch)
	en := learn.NewEncoder(env.Encodings)
	cols := make([]*csvdata.TableColumn, len(table.Columns))
	for i := range cols {
		cols[i] = &table.Columns[i]
	}
	f := len(cols)
	for r := range in.Rows {
		x := make([]float64, en.Width)
		en.EncodeRow(cols, r, x)
		want := ref.predict(x)
		one := newOutput(p, 1)
		p.Predict(&model.Batch{Rows: 1, Nums: in.Nums[r*f : (r+1)*f], Strs: in.Strs[r*f : (r+1)*f]}, one)
		for _, out := range []*model.Output{one, {Classes: batch.Classes[r:], Values: batch.Values[r:], Probs: batch.Probs[r*classes:]}} {
			if p.Task() == model.TaskRegression {
				if !bitsEqual(out.Values[:1], []float64{want.value}) {
					t.Fatalf("row %d: value %v, the reference predicts %v", r, out.Values[0], want.value)
				}
				continue
			}
			if int(out.Classes[0]) != want.class || !bitsEqual(out.Probs[:classes], want.probs) {
				t.Fatalf("row %d: class %d %v, the reference predicts %d %v", r, out.Classes[0], out.Probs[:classes], want.class, want.probs)
			}
		}
	}
}

func newOutput(p model.Predictor, rows int) *model.Output {
	out := &model.Output{Classes: make([]int32, rows), Values: make([]float64, rows)}
	if p.HasProbabilities() {
		out.Probs = make([]float64, rows*len(p.Classes()))
	}
	return out
}

func TestFastPredictorsDoNotAllocate(t *testing.T) {
	for _, c := range parityCases(t) {
		t.Run(c.String()+" predicts a row and a batch without allocating", func(t *testing.T) {
			spec, res := c.train(t)
			p, err := LoadPredictor(res.Artifact)
			if err != nil {
				t.Fatal(err)
			}
			in, _ := batchOf(t, c.data.raw, spec.Features)
			f := len(spec.Features)
			one := &model.Batch{Rows: 1, Nums: in.Nums[:f], Strs: in.Strs[:f]}
			outOne, outAll := newOutput(p, 1), newOutput(p, in.Rows)
			if n := testing.AllocsPerRun(50, func() { p.Predict(one, outOne) }); n != 0 {
				t.Errorf("%v allocations predicting a row", n)
			}
			if n := testing.AllocsPerRun(5, func() { p.Predict(in, outAll) }); n != 0 {
				t.Errorf("%v allocations predicting %d rows", n, in.Rows)
			}
		})
	}
}

func TestPredictorDescribesItsModel(t *testing.T) {
	for _, c := range parityCases(t) {
		t.Run(c.String(), func(t *testing.T) {
			spec, res := c.train(t)
			p, err := LoadPredictor(res.Artifact)
			if err != nil {
				t.Fatal(err)
			}
			if p.Task() != c.task || !slices.Equal(p.Classes(), res.Classes) || len(p.Features()) != len(spec.Features) ||
				p.HasProbabilities() != (c.task == model.TaskClassification) || p.SizeBytes() <= 0 ||
				p.(*predictor).Missing(0) != (c.alg == "gradient_boosting") {
				t.Errorf("predictor %s %v %v %v", p.Task(), p.Classes(), p.Features(), p.SizeBytes())
			}
		})
	}
}
