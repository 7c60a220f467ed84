package preprocess

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"gitlab.com/mlserve/mlserve/internal/learn"
	"gitlab.com/mlserve/mlserve/model"
)

// signLearner fits nothing: its model predicts class 0 ("hi", classes
// are sorted) when the one (standardised) feature is above 0, that is above the mean the scale
// step learnt. So a fold's score depends only on which rows that mean
// was learnt from.
type signLearner struct{}

func (signLearner) Units(map[string]any) int { return 1 }

func (signLearner) Fit(_ context.Context, f *learn.Fit) (*learn.Fitted, error) {
	enc := []learn.Encoding{{Feature: f.Spec.Features[0].Name, Kind: learn.KindNumber}}
	p := &signPredictor{Base: learn.NewBase(f.Spec.Task, f.Spec.Features, enc, f.Data.Classes)}
	return &learn.Fitted{Artifact: []byte("sign"), Predictor: p}, nil
}

type signPredictor struct{ learn.Base }

func (p *signPredictor) Predict(in *model.Batch, out *model.Output) {
	for r := range in.Rows {
		out.Classes[r] = 1
		if in.Nums[r] > 0 {
			out.Classes[r] = 0
		}
		if probs := p.ProbsRow(out, r); probs != nil {
			probs[0], probs[1] = float64(1-out.Classes[r]), float64(out.Classes[r])
		}
	}
}

func TestCrossValidationFitsTheStepsOnEachFoldsTrainingRowsOnly(t *testing.T) {
	// The label is whether x is above the mean of every row, 30, so a
	// mean learnt from all rows would score every row right; each fold's
	// own mean, pulled by where 100 and 200 fall, misplaces some of the
	// rows between.
	x := []float64{1, 5, 10, 15, 20, 25, 28, 32, 35, 40, 49, 100, 200, -140}
	var csv strings.Builder
	csv.WriteString("x,y\n")
	label := func(v float64) string { return map[bool]string{true: "hi", false: "lo"}[v > 30] }
	for _, v := range x {
		fmt.Fprintf(&csv, "%g,%s\n", v, label(v))
	}
	const k, seed = 3, 7
	// The accuracy each way of learning the mean gives: from each fold's
	// training rows (right), or from every row (leakage).
	accuracy := func(leak bool) float64 {
		right := 0
		for _, test := range learn.FoldSplit(len(x), k, seed) {
			from := learn.Complement(len(x), test)
			if leak {
				from = learn.AllRows(len(x))
			}
			sum := 0.0
			for _, r := range from {
				sum += x[r]
			}
			mean := sum / float64(len(from))
			for _, r := range test {
				if (x[r] > mean) == (x[r] > 30) {
					right++
				}
			}
		}
		return float64(right) / float64(len(x))
	}
	want, leaky := accuracy(false), accuracy(true)
	if want == leaky {
		t.Fatalf("the data do not tell leakage apart: %.3f either way", want)
	}
	spec := model.TrainSpec{
		Algorithm: "knn", Task: model.TaskClassification, Target: "y",
		Features:   []model.Column{{Name: "x", Type: model.ColumnNumber}},
		Validation: model.ValidationSpec{Folds: k, Seed: seed},
		Preprocess: []model.Step{{Step: model.StepScale, Method: model.ScaleStandard, Columns: cols("x")}},
	}
	trainer := learn.NewTrainer(Registry(func(*model.TrainSpec) (learn.Learner, bool) { return signLearner{}, true }))
	res, err := trainer.Train(context.Background(), spec, strings.NewReader(csv.String()), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Metrics.Classification.Accuracy; got != want {
		t.Errorf("cross-validated accuracy %.3f, want %.3f (with leakage it would be %.3f)", got, want, leaky)
	}
	if got := *res.Preprocess[0].Columns[0].Center; got != 30 {
		t.Errorf("the stored model's mean is %v, want every row's, 30", got)
	}
}
