package trees

import (
	"testing"

	"gitlab.com/mlserve/mlserve/model"
)

// BenchmarkPredictOneRow predicts one row at a time, rows of the training
// data in turn, with the fast predictors of forests and boostings: iris's
// (small trees, SPEC 8's reference model has 50) and one of 50,000 rows of
// Friedman's regression, fully grown (deep trees far larger than the
// caches).
func BenchmarkPredictOneRow(b *testing.B) {
	iris := readTestdata(b, "iris.csv")
	fried := friedman(50000, 11)
	for _, c := range []struct {
		name string
		raw  []byte
		req  model.JobRequest
	}{
		{"random_forest of 100 trees on iris", iris, model.JobRequest{Target: "Species", Algorithm: "random_forest", Params: map[string]any{"trees": 100}}},
		{"gradient_boosting of 100 iterations on iris (300 trees)", iris, model.JobRequest{Target: "Species", Algorithm: "gradient_boosting"}},
		{"random_forest of 100 trees on 50000 rows", fried, model.JobRequest{Target: "y", Algorithm: "random_forest", Params: map[string]any{"trees": 100}}},
		{"random_forest of 100 trees of depth 10 on 50000 rows", fried,
			model.JobRequest{Target: "y", Algorithm: "random_forest", Params: map[string]any{"trees": 100, "max_depth": 10}}},
		{"gradient_boosting of 100 iterations on 50000 rows", fried, model.JobRequest{Target: "y", Algorithm: "gradient_boosting"}},
	} {
		spec, res := train(b, c.raw, c.req)
		p, err := LoadPredictor(res.Artifact)
		if err != nil {
			b.Fatal(err)
		}
		in, _ := batchOf(b, c.raw, spec.Features)
		f := len(spec.Features)
		out := newOutput(p, 1)
		one := &model.Batch{Rows: 1}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := range b.N {
				r := i % in.Rows
				one.Nums = in.Nums[r*f : (r+1)*f]
				p.Predict(one, out)
			}
		})
	}
}
