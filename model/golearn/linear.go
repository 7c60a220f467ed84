package golearn

import (
	"context"
	"encoding/json"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"gitlab.com/mlserve/mlserve/internal/learn"
	"gitlab.com/mlserve/mlserve/model"
)

// payloadLinear is the payload of a linear regression: its coefficients
// as JSON, {"intercept": b, "coefficients": [w1, ...]}. golearn's
// LinearRegression has no serialization at all.
const payloadLinear = "linear-coefficients/1"

type linearState struct {
	Intercept    float64   `json:"intercept"`
	Coefficients []float64 `json:"coefficients"`
}

// fitLinear fits a least-squares linear regression with an intercept by
// golearn's LinearRegression.Fit algorithm, here rather than through it:
// golearn takes its columns in map-iteration order
// (base.NonClassAttributes), so its QR factorization, and the last bits
// of its coefficients, change from fit to fit. This is its computation
// (gonum's QR, Qᵀy, back substitution; Qᵀy without forming Q) with the
// columns in feature order;
// TestLinearRegressionAgreesWithGolearn compares the two.
func fitLinear(ctx context.Context, in *fitInput) ([]byte, error) {
	for j := range in.dims {
		if constant(in.x, j) {
			return nil, invalidf("feature %q has the same value in every training row; a linear regression cannot use it", in.names[j])
		}
	}
	if len(in.x) < in.dims+1 {
		// golearn's NotEnoughDataError.
		return nil, invalidf("a linear regression on %d features needs at least %d training rows; it has %d", in.dims, in.dims+1, len(in.x))
	}
	s, dependent := leastSquares(in.x, in.v)
	if dependent == illConditioned {
		return nil, invalidf("the linear regression is too ill-conditioned to solve: its features are nearly linear combinations of one another")
	}
	if dependent >= 0 {
		return nil, invalidf("the linear regression has no unique solution: feature %q is a linear combination of the features before it", in.names[dependent])
	}
	if !learn.Finite(s.Intercept) || !learn.AllFinite(s.Coefficients) {
		return nil, model.Errorf(model.CodeTrainFailed, "the linear regression has no finite solution")
	}
	return json.Marshal(s)
}

// illConditioned is leastSquares's dependent column when gonum finds the
// system too ill-conditioned to trust its solution.
const illConditioned = -2

// leastSquares solves y ≈ b + x·w as golearn's LinearRegression.Fit does
// (QR), without forming Q.
// It also returns the first column that is a linear combination of the
// intercept and the columns before it, illConditioned, or -1: a diagonal
// entry of R that is negligible next to the largest means back
// substitution would divide by rounding noise (golearn returns
// coefficients of ±10¹⁴ that cancel).
func leastSquares(x [][]float64, y []float64) (linearState, int) {
	rows, cols := len(x), len(x[0])+1
	observed := mat.NewDense(rows, 1, append([]float64(nil), y...))
	explanatory := mat.NewDense(rows, cols, nil)
	for i, row := range x {
		explanatory.Set(i, 0, 1)
		for j, v := range row {
			explanatory.Set(i, j+1, v)
		}
	}
	var qr mat.QR
	qr.Factorize(explanatory)
	var r mat.Dense
	qr.RTo(&r)
	largest := 0.0
	for j := range cols {
		largest = max(largest, math.Abs(r.At(j, j)))
	}
	for j := 1; j < cols; j++ {
		if math.Abs(r.At(j, j)) <= 1e-10*largest {
			return linearState{}, j - 1
		}
	}
	// Qᵀy and the back substitution by the factorization's reflectors
	// (LAPACK's dormqr, dtrtrs): golearn forms Q itself, rows² numbers,
	// which for 50,000 rows is 20 GB.
	var solution mat.Dense
	if err := qr.SolveTo(&solution, false, observed); err != nil {
		return linearState{}, illConditioned
	}
	w := mat.Col(nil, 0, &solution)
	return linearState{Intercept: w[0], Coefficients: w[1:]}, -1
}

// linearModel predicts as golearn's LinearRegression.Predict does: the
// intercept, then each feature's term added in order.
type linearModel struct{ s linearState }

func (m linearModel) predict(x []float64) outcome {
	y := m.s.Intercept
	for j, v := range x {
		y += v * m.s.Coefficients[j]
	}
	return outcome{value: y}
}

func loadLinear(h *header, payload []byte) (predictor, error) {
	var s linearState
	if err := json.Unmarshal(payload, &s); err != nil {
		return nil, fmt.Errorf("linear: %w", err)
	}
	if len(s.Coefficients) != h.Dims {
		return nil, fmt.Errorf("linear: %d coefficients for %d columns", len(s.Coefficients), h.Dims)
	}
	return linearModel{s}, nil
}

func constant(x [][]float64, j int) bool {
	for _, row := range x {
		if row[j] != x[0][j] {
			return false
		}
	}
	return true
}
