package learn

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"gitlab.com/mlserve/mlserve/model"
)

// meanLearner is a learner for tests: it predicts the training rows'
// most frequent class (or mean value) for every row, counts `units`
// progress units per fit, and cancels its context at a chosen point.
type meanLearner struct {
	units  int
	fits   []int // rows of each fit
	cancel func(done int)
}

func (m *meanLearner) Units(map[string]any) int { return m.units }

func (m *meanLearner) Fit(ctx context.Context, f *Fit) (*Fitted, error) {
	m.fits = append(m.fits, len(f.Rows))
	for u := range m.units {
		if m.cancel != nil {
			m.cancel(u)
		}
		if err := Stopped(ctx); err != nil {
			return nil, err
		}
		f.Progress(u + 1)
	}
	p := &constantPredictor{Base: Base{Cols: f.Spec.Features, Labels: f.Data.Classes, Kind: f.Spec.Task}}
	if f.Data.Y != nil {
		counts := make([]int, len(f.Data.Classes))
		for _, r := range f.Rows {
			counts[f.Data.Y[r]]++
		}
		for c, n := range counts {
			if n > counts[p.class] {
				p.class = int32(c)
			}
		}
	} else {
		for _, r := range f.Rows {
			p.value += f.Data.V[r] / float64(len(f.Rows))
		}
	}
	return &Fitted{Artifact: []byte("model"), Predictor: p, Importances: []float64{1}}, nil
}

type constantPredictor struct {
	Base
	class int32
	value float64
}

func (p *constantPredictor) Predict(in *model.Batch, out *model.Output) {
	for r := range in.Rows {
		if out.Classes != nil {
			out.Classes[r] = p.class
		} else {
			out.Values[r] = p.value
		}
	}
}

const csv = "x,y,v\n1,a,1\n2,a,2\n3,b,3\n4,a,4\n5,b,5\n6,a,6\n7,a,7\n8,b,8\n9,a,9\n10,a,10\n"

func spec(task, target string, v model.ValidationSpec) model.TrainSpec {
	return model.TrainSpec{Algorithm: "knn", Task: task, Target: target,
		Features: []model.Column{{Name: "x", Type: model.ColumnNumber}}, Validation: v}
}

func trainer(l Learner) *Trainer {
	t := NewTrainer(func(*model.TrainSpec) (Learner, bool) { return l, true })
	t.every = 0 // every report passes: the tests see exact counts
	return t
}

func TestTrainerCountsProgressInUnits(t *testing.T) {
	tests := []struct {
		name  string
		v     model.ValidationSpec
		units int
		want  []int64 // every Done reported
	}{
		{"a holdout reads, fits its units, evaluates", model.ValidationSpec{Holdout: 0.2, Seed: 1}, 3, []int64{0, 1, 2, 3, 4, 5}},
		{"folds count each fold's units and evaluation, then the refit", model.ValidationSpec{Folds: 2, Seed: 1}, 2,
			[]int64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := &meanLearner{units: tt.units}
			var got []int64
			res, err := trainer(l).Train(context.Background(), spec(model.TaskClassification, "y", tt.v), strings.NewReader(csv), func(p model.Progress) {
				if p.Total != tt.want[len(tt.want)-1] {
					t.Errorf("total %d, want %d", p.Total, tt.want[len(tt.want)-1])
				}
				got = append(got, p.Done)
			})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("progress %v, want %v", got, tt.want)
			}
			if res.Metrics.Classification.Accuracy == 0 || len(res.FeatureImportances) != 1 || res.FeatureImportances[0].Feature != "x" {
				t.Errorf("result %+v", res)
			}
		})
	}
}

func TestTrainerThrottlesProgressButKeepsTheFirstAndLast(t *testing.T) {
	l := &meanLearner{units: 1000}
	var got []model.Progress
	tr := NewTrainer(func(*model.TrainSpec) (Learner, bool) { return l, true })
	if _, err := tr.Train(context.Background(), spec(model.TaskClassification, "y", model.ValidationSpec{Holdout: 0.2, Seed: 1}),
		strings.NewReader(csv), func(p model.Progress) { got = append(got, p) }); err != nil {
		t.Fatal(err)
	}
	if len(got) < 2 || len(got) > 10 || got[0].Done != 0 || got[len(got)-1].Done != 1002 {
		t.Errorf("progress %v: want a few reports from 0 to 1002", got)
	}
}

func TestTrainerStopsWhenCanceled(t *testing.T) {
	tests := []struct {
		name     string
		v        model.ValidationSpec
		cancelAt int64 // cancel when this much is done
		fits     int   // fits started by then
	}{
		{"before the data is read", model.ValidationSpec{Holdout: 0.2}, 0, 0},
		{"after reading the data", model.ValidationSpec{Holdout: 0.2}, 1, 0},
		{"between folds", model.ValidationSpec{Folds: 5}, 3, 1},
		{"before the final refit", model.ValidationSpec{Folds: 5}, 11, 5},
	}
	for _, tt := range tests {
		t.Run("a training canceled "+tt.name+" stops there", func(t *testing.T) {
			l := &meanLearner{units: 1}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var last model.Progress
			res, err := trainer(l).Train(ctx, spec(model.TaskClassification, "y", tt.v), strings.NewReader(csv), func(p model.Progress) {
				last = p
				if p.Done == tt.cancelAt {
					cancel()
				}
			})
			if !errors.Is(err, context.Canceled) || res != nil {
				t.Fatalf("Train = %v, %v; want context.Canceled", res, err)
			}
			if last.Done != tt.cancelAt || len(l.fits) != tt.fits {
				t.Errorf("last progress %+v and %d fits, want %d done and %d fits", last, len(l.fits), tt.cancelAt, tt.fits)
			}
		})
	}
	t.Run("a training canceled inside a fit stops there", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		l := &meanLearner{units: 100, cancel: func(done int) {
			if done == 40 {
				cancel()
			}
		}}
		var last model.Progress
		_, err := trainer(l).Train(ctx, spec(model.TaskClassification, "y", model.ValidationSpec{Holdout: 0.2}), strings.NewReader(csv),
			func(p model.Progress) { last = p })
		if !errors.Is(err, context.Canceled) || last.Done != 41 {
			t.Errorf("err %v, last progress %+v: want context.Canceled after 40 units", err, last)
		}
	})
}

func TestTrainerRejectsSpecsItsLearnersCannotTrain(t *testing.T) {
	l := &meanLearner{units: 1}
	tests := []struct {
		name  string
		spec  model.TrainSpec
		field string
	}{
		{"a task the algorithm does not learn", model.TrainSpec{Algorithm: "linear_regression", Task: model.TaskClassification, Target: "y",
			Features: []model.Column{{Name: "x", Type: model.ColumnNumber}}, Validation: model.ValidationSpec{Holdout: 0.2}}, "task"},
		{"a parameter of another engine", model.TrainSpec{Algorithm: "random_forest", Task: model.TaskClassification, Target: "y",
			Params:   map[string]any{"features": 1},
			Features: []model.Column{{Name: "x", Type: model.ColumnNumber}}, Validation: model.ValidationSpec{Holdout: 0.2}}, "params.features"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := trainer(l).Train(context.Background(), tt.spec, strings.NewReader(csv), nil)
			var e *model.Error
			if !errors.As(err, &e) || e.Code != model.CodeInvalid || e.Fields[tt.field] == "" {
				t.Errorf("Train = %v (%+v), want a CodeInvalid error naming %s", err, e, tt.field)
			}
		})
	}
}

func TestTrainerRegression(t *testing.T) {
	l := &meanLearner{units: 1}
	res, err := trainer(l).Train(context.Background(), spec(model.TaskRegression, "v", model.ValidationSpec{Folds: 2, Seed: 3}), strings.NewReader(csv), nil)
	if err != nil {
		t.Fatal(err)
	}
	if m := res.Metrics; m.Regression == nil || m.Classification != nil || m.TestRows != 10 || res.Classes != nil {
		t.Errorf("metrics %+v", m)
	}
}
