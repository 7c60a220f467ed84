package learners

import (
	"math/rand/v2"
	"testing"

	"gitlab.com/mlserve/mlserve/model"
)

// BenchmarkPipelineSteps is the cost per row of each preprocessing step:
// one decision tree on churn.csv's numbers (and its plan), predicting one
// row at a time as the API does, with no step and then one step more at
// a time. The difference between two lines is the step's cost. The rows
// are 65,536 mixes of the dataset's values, so the branch predictor
// cannot learn them as it would a few hundred rows repeated.
func BenchmarkPipelineSteps(b *testing.B) {
	raw, ds := readTestdata(b, "churn.csv")
	numbers := []string{"income", "tenure_months", "support_calls"}
	impute := model.Step{Step: model.StepImpute, Strategy: model.ImputeMedian, Columns: model.Columns{Select: model.SelectNumbers}}
	scale := model.Step{Step: model.StepScale, Method: model.ScaleStandard, Columns: model.Columns{Select: model.SelectNumbers}}
	oneHot := model.Step{Step: model.StepOneHot, Columns: model.Columns{Select: model.SelectStrings}}
	for _, c := range []struct {
		name     string
		features []string
		steps    []model.Step
	}{
		{"3 numbers, no step", numbers, nil},
		{"3 numbers, impute", numbers, []model.Step{impute}},
		{"3 numbers, impute, scale", numbers, []model.Step{impute, scale}},
		{"3 numbers and a string, the tree's own encoding", append(numbers, "plan"), nil},
		{"3 numbers and a string, one_hot", append(numbers, "plan"), []model.Step{oneHot}},
		{"3 numbers and a string, impute, scale, one_hot", append(numbers, "plan"), []model.Step{impute, scale, oneHot}},
	} {
		b.Run(c.name, func(b *testing.B) {
			_, res := train(b, raw, ds, model.JobRequest{Target: "churned", Algorithm: "decision_tree", Features: c.features, Preprocess: c.steps})
			p, err := NewPredictorLoader().LoadPredictor(res.Artifact)
			if err != nil {
				b.Fatal(err)
			}
			in := churnRows(b, raw, p.Features())
			out := outputFor(p, 1)
			rows := mixedRows(in, 1<<16)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				p.Predict(rows[i%len(rows)], out)
			}
		})
	}
}

// mixedRows returns n one-row batches, each feature's value drawn from a
// random row of in's dataset rows (all but its last two, made up).
func mixedRows(in *model.Batch, n int) []*model.Batch {
	F := len(in.Nums) / in.Rows
	rng := rand.New(rand.NewPCG(1, 2))
	out := make([]*model.Batch, n)
	for k := range out {
		b := &model.Batch{Rows: 1, Nums: make([]float64, F), Strs: make([]string, F)}
		for i := range F {
			r := rng.IntN(in.Rows - 2)
			b.Nums[i], b.Strs[i] = in.Nums[r*F+i], in.Strs[r*F+i]
		}
		out[k] = b
	}
	return out
}
