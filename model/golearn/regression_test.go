package golearn

import (
	"math"
	"testing"

	"gitlab.com/mlserve/mlserve/internal/learn"
	"gitlab.com/mlserve/mlserve/model"
)

func TestLinearRegressionOnIris(t *testing.T) {
	f := testdata(t, "iris.csv")
	req := model.JobRequest{Target: "Petal width", Algorithm: "linear_regression",
		Features: []string{"Sepal length", "Sepal width", "Petal length"}}

	t.Run("a holdout scores the stored model, as RMSE, MAE and R² recomputed from its predictions", func(t *testing.T) {
		spec := f.spec(t, req)
		res := f.train(t, spec)
		r := res.Metrics.Regression
		if r == nil || res.Metrics.Classification != nil || res.Classes != nil {
			t.Fatalf("metrics %+v, classes %q: want regression metrics only", res.Metrics, res.Classes)
		}
		_, test := learn.HoldoutSplit(len(f.records), 0.2, 1)
		got := predict(t, load(t, res.Artifact), f.rows(t, spec.Features, test))
		truthAll := f.numbers(t, "Petal width")
		mean := 0.0
		for _, row := range test {
			mean += truthAll[row]
		}
		mean /= float64(len(test))
		var se, ae, tot float64
		for k, row := range test {
			d := got[k].Value - truthAll[row]
			se, ae = se+d*d, ae+math.Abs(d)
			tot += (truthAll[row] - mean) * (truthAll[row] - mean)
		}
		n := float64(len(test))
		want := model.RegressionMetrics{RMSE: math.Sqrt(se / n), MAE: ae / n, R2: 1 - se/tot}
		if !near(r.RMSE, want.RMSE) || !near(r.MAE, want.MAE) || !near(r.R2, want.R2) {
			t.Errorf("metrics %+v, the model's predictions give %+v", *r, want)
		}
		if r.R2 <= 0.8 {
			t.Errorf("R² %v, want more than 0.8", r.R2)
		}
		t.Logf("linear regression of petal width on iris, holdout 0.2: RMSE %.4f, MAE %.4f, R² %.4f", r.RMSE, r.MAE, r.R2)
	})
	t.Run("five folds score every row once", func(t *testing.T) {
		req := req
		req.Validation = &model.ValidationSpec{Folds: 5, Seed: 4}
		res := f.train(t, f.spec(t, req))
		m := res.Metrics
		if m.Method != model.MethodCrossValidation || m.Folds != 5 || m.TestRows != 150 || m.TrainRows != 150 || m.Regression.R2 <= 0.8 {
			t.Errorf("metrics %+v %+v", m, *m.Regression)
		}
	})
}

func TestLinearRegressionRejectsUnsolvableData(t *testing.T) {
	tests := []struct {
		name, csv  string
		code, want string
	}{
		{"a constant feature", "a,b,y\n1,5,1\n2,5,2\n3,5,4\n4,5,3\n5,5,6\n6,5,5\n7,5,8\n8,5,7\n9,5,9\n10,5,11\n",
			model.CodeInvalid, `feature "b" has the same value in every training row`},
		{"a feature that is a multiple of another", "a,b,y\n1,2,1\n2,4,2\n3,6,4\n4,8,3\n5,10,6\n6,12,5\n7,14,8\n8,16,7\n9,18,9\n10,20,11\n",
			model.CodeInvalid, `feature "b" is a linear combination of the features before it`},
	}
	for _, tt := range tests {
		t.Run(tt.name+" fails with a clear error", func(t *testing.T) {
			f := readCSV(t, []byte(tt.csv))
			_, err := trainErr(f, f.spec(t, model.JobRequest{Target: "y", Algorithm: "linear_regression"}))
			wantCode(t, err, tt.code, tt.want)
		})
	}
}
