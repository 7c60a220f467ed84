package learners

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"gitlab.com/mlserve/mlserve/internal/csvdata"
	"gitlab.com/mlserve/mlserve/internal/preprocess"
	"gitlab.com/mlserve/mlserve/model"
)

// churnSteps make testdata/churn.csv (bench/churn.py 400 1: 10% of age
// and 5% of region empty, two string columns, income a thousand times
// the scale of the rest) trainable by every algorithm; scaled adds
// standardisation.
func churnSteps(scaled bool, unknown string) []model.Step {
	steps := []model.Step{
		{Step: model.StepDrop, Columns: model.Columns{Names: []string{"id"}}},
		{Step: model.StepImpute, Strategy: model.ImputeMedian, Columns: model.Columns{Select: model.SelectNumbers}},
		{Step: model.StepImpute, Strategy: model.ImputeMostFrequent, Columns: model.Columns{Select: model.SelectStrings}},
	}
	if scaled {
		steps = append(steps, model.Step{Step: model.StepScale, Method: model.ScaleStandard, Columns: model.Columns{Select: model.SelectNumbers}})
	}
	return append(steps, model.Step{Step: model.StepOneHot, Unknown: unknown, Columns: model.Columns{Select: model.SelectStrings}})
}

func readTestdata(tb testing.TB, name string) ([]byte, *model.Dataset) {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	sum, err := csvdata.Inspect(bytes.NewReader(raw), csvdata.Limits{})
	if err != nil {
		tb.Fatal(err)
	}
	return raw, &model.Dataset{ID: "ds", Rows: sum.Rows, Columns: sum.Columns}
}

// train runs a request through PrepareTrain and the composed trainer.
func train(tb testing.TB, raw []byte, ds *model.Dataset, req model.JobRequest) (*model.TrainSpec, *model.TrainResult) {
	tb.Helper()
	req.Type, req.Model, req.Dataset = model.JobTrain, "m", ds.ID
	spec, err := model.PrepareTrain(&req, ds)
	if err != nil {
		tb.Fatalf("%v %v", err, err.(*model.Error).Fields)
	}
	res, err := NewTrainer().Train(context.Background(), *spec, bytes.NewReader(raw), nil)
	if err != nil {
		tb.Fatal(err)
	}
	return spec, res
}

func TestTheChurnCaseTrainsAndScalingHelpsKNN(t *testing.T) {
	raw, ds := readTestdata(t, "churn.csv")
	folds := &model.ValidationSpec{Folds: 5, Seed: 1}
	accuracy := func(scaled bool) float64 {
		_, res := train(t, raw, ds, model.JobRequest{Target: "churned", Algorithm: "knn", Validation: folds, Preprocess: churnSteps(scaled, "")})
		return res.Metrics.Classification.Accuracy
	}
	rawUnits, standardised := accuracy(false), accuracy(true)
	t.Logf("knn 5-fold accuracy: raw units %.3f, standardised %.3f", rawUnits, standardised)
	if !(standardised > rawUnits+0.05) {
		t.Errorf("knn on standardised features scores %.3f, on raw ones %.3f: want it clearly better", standardised, rawUnits)
	}
	for _, a := range model.Catalog() {
		if a.Name == "logistic_regression" || a.Name == "linear_regression" {
			continue // liblinear needs cgocheck=0 (see TestEveryAlgorithmTrains...); a regression has no class target
		}
		t.Run(a.Name+" trains on the churn data with the steps", func(t *testing.T) {
			spec, res := train(t, raw, ds, model.JobRequest{Target: "churned", Algorithm: a.Name, Validation: folds, Preprocess: churnSteps(true, "")})
			if len(res.Preprocess) != len(spec.Preprocess) || res.Metrics.Classification.Accuracy < 0.6 {
				t.Errorf("%d fitted steps for %d, accuracy %.3f", len(res.Preprocess), len(spec.Preprocess), res.Metrics.Classification.Accuracy)
			}
		})
	}
}

func TestThePipelineFastPathPredictsExactlyAsTheReference(t *testing.T) {
	raw, ds := readTestdata(t, "churn.csv")
	cases := []model.JobRequest{
		{Target: "churned", Algorithm: "knn"},
		{Target: "churned", Algorithm: "knn", Params: map[string]any{"distance": "manhattan", "k": 7}},
		{Target: "churned", Algorithm: "random_forest", Params: map[string]any{"trees": 20}},
		{Target: "churned", Algorithm: "gradient_boosting", Params: map[string]any{"iterations": 30}},
		{Target: "churned", Algorithm: "decision_tree"},
		{Target: "churned", Algorithm: "decision_tree", Params: map[string]any{"engine": "golearn"}},
		{Target: "churned", Algorithm: "naive_bayes"},
		// One indicator per plan and an intercept are collinear: a linear
		// regression takes the number columns only.
		{Target: "income", Algorithm: "linear_regression", Features: []string{"age", "tenure_months", "support_calls"}},
		{Target: "income", Algorithm: "random_forest", Params: map[string]any{"trees": 10}},
	}
	for _, req := range cases {
		req.Preprocess = churnSteps(true, model.UnknownZeros)
		if req.Features != nil {
			req.Preprocess = req.Preprocess[1:2]
		}
		if req.Target == "income" {
			req.Preprocess = append(req.Preprocess, model.Step{Step: model.StepScale, Method: model.ScaleMinMax, Columns: model.Columns{Names: []string{"age"}}})
		}
		t.Run(req.Algorithm+" "+req.Target+" answers every row as the steps then the model do", func(t *testing.T) {
			_, res := train(t, raw, ds, req)
			p, err := NewPredictorLoader().LoadPredictor(res.Artifact)
			if err != nil {
				t.Fatal(err)
			}
			in := churnRows(t, raw, p.Features())
			fast, ref := outputFor(p, in.Rows), outputFor(p, in.Rows)
			p.Predict(in, fast)
			referencePredict(t, res.Artifact, in, ref)
			if !slices.Equal(fast.Classes, ref.Classes) || !bitsEqual(fast.Values, ref.Values) || !bitsEqual(fast.Probs, ref.Probs) {
				t.Fatalf("the fast path and the reference differ on %d rows", in.Rows)
			}
			if raceEnabled {
				return // the race detector makes sync.Pool drop buffers: allocations are counted without it
			}
			last := oneRow(in, in.Rows-1)
			if allocs := testing.AllocsPerRun(100, func() { p.Predict(last, fast) }); allocs != 0 {
				t.Errorf("%v allocations per single-row prediction", allocs)
			}
		})
	}
}

// churnRows returns every row of the churn data as a Batch of the
// predictor's features (missing cells as missing values), then made-up
// rows: every feature missing, and a plan and region never seen.
func churnRows(tb testing.TB, raw []byte, features []model.Column) *model.Batch {
	tb.Helper()
	missing := make([]bool, len(features))
	for i := range missing {
		missing[i] = true
	}
	table, err := csvdata.ReadTableMissing(bytes.NewReader(raw), features, missing)
	if err != nil {
		tb.Fatal(err)
	}
	F := len(features)
	cols := make([]*csvdata.TableColumn, F)
	for i := range cols {
		cols[i] = &table.Columns[i]
	}
	in := batchOf(cols, table.Rows, 2)
	for i := range features {
		last, unseen := table.Rows*F+i, (table.Rows+1)*F+i
		in.Nums[last], in.Nums[unseen] = math.NaN(), 1e6
		in.Strs[unseen] = "never-seen"
	}
	return in
}

// batchOf lays out the first rows of columns as a Batch, with extra
// zero rows after them.
func batchOf(columns []*csvdata.TableColumn, rows, extra int) *model.Batch {
	W := len(columns)
	b := &model.Batch{Rows: rows + extra, Nums: make([]float64, (rows+extra)*W), Strs: make([]string, (rows+extra)*W)}
	for j, c := range columns {
		for r := range rows {
			if c.Type == model.ColumnNumber {
				b.Nums[r*W+j] = c.Numbers[r]
			} else {
				b.Strs[r*W+j] = c.Strings[r]
			}
		}
	}
	return b
}

// referencePredict predicts in through the reference pipeline: the
// artifact's steps applied to whole columns by preprocess.Transform, as
// training applies them, then the model's own predictor.
func referencePredict(tb testing.TB, artifact []byte, in *model.Batch, out *model.Output) {
	tb.Helper()
	a, err := preprocess.ParseArtifact(artifact)
	if err != nil {
		tb.Fatal(err)
	}
	inner, err := NewPredictorLoader().LoadPredictor(a.Model)
	if err != nil {
		tb.Fatal(err)
	}
	F := len(a.Features)
	cols := make([]*csvdata.TableColumn, F)
	for i, f := range a.Features {
		c := &csvdata.TableColumn{Name: f.Name, Type: f.Type}
		for r := range in.Rows {
			if f.Type == model.ColumnNumber {
				c.Numbers = append(c.Numbers, in.Nums[r*F+i])
			} else {
				c.Strings = append(c.Strings, in.Strs[r*F+i])
			}
		}
		cols[i] = c
	}
	table, err := preprocess.Transform(a.Steps, cols)
	if err != nil {
		tb.Fatal(err)
	}
	b := batchOf(table.Columns, in.Rows, 0)
	inner.Predict(b, out)
}

func outputFor(p model.Predictor, rows int) *model.Output {
	out := &model.Output{}
	if p.Task() == model.TaskClassification {
		out.Classes = make([]int32, rows)
	} else {
		out.Values = make([]float64, rows)
	}
	if p.HasProbabilities() {
		out.Probs = make([]float64, rows*len(p.Classes()))
	}
	return out
}

func oneRow(in *model.Batch, r int) *model.Batch {
	F := len(in.Nums) / in.Rows
	return &model.Batch{Rows: 1, Nums: in.Nums[r*F : (r+1)*F], Strs: in.Strs[r*F : (r+1)*F]}
}

func bitsEqual(a, b []float64) bool {
	return slices.EqualFunc(a, b, func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) })
}

func TestTheSameRequestGivesTheSameArtifactByteForByte(t *testing.T) {
	raw, ds := readTestdata(t, "churn.csv")
	req := model.JobRequest{Target: "churned", Algorithm: "random_forest", Params: map[string]any{"trees": 10}, Preprocess: churnSteps(true, "")}
	_, a := train(t, raw, ds, req)
	_, b := train(t, raw, ds, req)
	if !bytes.Equal(a.Artifact, b.Artifact) || !bytes.HasPrefix(a.Artifact, []byte(preprocess.Magic)) {
		t.Fatalf("two trainings of one request wrote different artifacts (%d and %d bytes)", len(a.Artifact), len(b.Artifact))
	}
	sum := 0.0
	for _, fi := range a.FeatureImportances {
		sum += fi.Importance
	}
	if len(a.FeatureImportances) != 6 || math.Abs(sum-1) > 1e-9 {
		t.Errorf("importances %+v: want one per input feature but the dropped id, summing to 1", a.FeatureImportances)
	}
}

func TestAnUnseenCategoryIsRefusedWhenTheStepSaysError(t *testing.T) {
	raw, ds := readTestdata(t, "churn.csv")
	_, res := train(t, raw, ds, model.JobRequest{Target: "churned", Algorithm: "knn", Preprocess: churnSteps(true, model.UnknownError)})
	p, err := NewPredictorLoader().LoadPredictor(res.Artifact)
	if err != nil {
		t.Fatal(err)
	}
	in := churnRows(t, raw, p.Features())
	plan := slices.IndexFunc(p.Features(), func(c model.Column) bool { return c.Name == "plan" })
	for r, want := range map[int]int{0: -1, in.Rows - 2: -1, in.Rows - 1: plan} {
		if got, why := model.CheckRow(p, in, r); got != want {
			t.Errorf("row %d: CheckRow = %d %q, want %d", r, got, why, want)
		}
	}
	if !p.Missing(plan) {
		t.Error("plan has an imputer, yet the predictor refuses it missing")
	}
}
