package learn

import (
	"math"
	"reflect"
	"testing"

	"gitlab.com/mlserve/mlserve/model"
)

func TestClassificationMetrics(t *testing.T) {
	// Worked by hand: a is right once of twice and called twice; b right
	// twice of twice and called three times; c never called; d absent.
	classes := []string{"a", "b", "c", "d"}
	got := Classification(classes, []int{0, 0, 1, 1, 2}, []int{0, 1, 1, 1, 0})
	want := &model.ClassificationMetrics{
		Accuracy: 3.0 / 5,
		PerClass: []model.ClassMetrics{
			{Class: "a", Precision: 0.5, Recall: 0.5, F1: 0.5, Support: 2},
			{Class: "b", Precision: 2.0 / 3, Recall: 1, F1: 0.8, Support: 2},
			{Class: "c", Support: 1},
			{Class: "d"},
		},
		Confusion: model.ConfusionMatrix{Labels: classes, Counts: [][]int{{1, 1, 0, 0}, {0, 2, 0, 0}, {1, 0, 0, 0}, {0, 0, 0, 0}}},
		// d is neither present nor predicted: averaged over a, b, c.
		MacroPrecision: (0.5 + 2.0/3) / 3,
		MacroRecall:    1.5 / 3,
		MacroF1:        1.3 / 3,
	}
	if !reflect.DeepEqual(got.Confusion, want.Confusion) || !reflect.DeepEqual(len(got.PerClass), 4) {
		t.Fatalf("got %+v", got)
	}
	for i := range want.PerClass {
		g, w := got.PerClass[i], want.PerClass[i]
		if g.Class != w.Class || g.Support != w.Support || !near(g.Precision, w.Precision) || !near(g.Recall, w.Recall) || !near(g.F1, w.F1) {
			t.Errorf("class %s: %+v, want %+v", w.Class, g, w)
		}
	}
	if !near(got.Accuracy, want.Accuracy) || !near(got.MacroPrecision, want.MacroPrecision) ||
		!near(got.MacroRecall, want.MacroRecall) || !near(got.MacroF1, want.MacroF1) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestRegressionMetrics(t *testing.T) {
	tests := []struct {
		name            string
		truth, got      []float64
		rmse, mae, want float64
	}{
		{"errors of 0, 0 and 2", []float64{1, 2, 3}, []float64{1, 2, 5}, math.Sqrt(4.0 / 3), 2.0 / 3, 1 - 4.0/2},
		{"a perfect fit of one value", []float64{2, 2}, []float64{2, 2}, 0, 0, 1},
		{"a miss of one value", []float64{2, 2}, []float64{2, 3}, math.Sqrt(0.5), 0.5, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := Regression(tt.truth, tt.got)
			if !near(m.RMSE, tt.rmse) || !near(m.MAE, tt.mae) || !near(m.R2, tt.want) {
				t.Errorf("%+v, want RMSE %v, MAE %v, R² %v", *m, tt.rmse, tt.mae, tt.want)
			}
		})
	}
}

func near(a, b float64) bool {
	return math.Abs(a-b) <= 1e-12*max(1, math.Abs(a), math.Abs(b))
}
