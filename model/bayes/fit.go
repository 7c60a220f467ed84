package bayes

import (
	"context"
	"fmt"
	"math"

	"gitlab.com/mlserve/mlserve/internal/learn"
	"gitlab.com/mlserve/mlserve/model"
)

// Format is the format name of this package's artifacts in their
// envelope (see learn.Envelope).
const Format = "gaussian-nb/1"

// Learner returns the learner of naive_bayes of kind gaussian; spec.Params
// are normalized (model.CheckParams).
func Learner(spec *model.TrainSpec) (learn.Learner, bool) {
	if spec.Algorithm == "naive_bayes" && spec.Params["kind"] == model.KindGaussian {
		return gaussianLearner{}, true
	}
	return nil, false
}

type gaussianLearner struct{}

// Units implements learn.Learner.
func (gaussianLearner) Units(map[string]any) int { return 1 }

// Fit implements learn.Learner: one pass over the rows for the counts and
// means, one for the variances.
func (gaussianLearner) Fit(ctx context.Context, f *learn.Fit) (*learn.Fitted, error) {
	encs := learn.FitEncodings(f.Data.Features, f.Rows, 0)
	en := learn.NewEncoder(encs)
	x := en.Encode(f.Data.Features, f.Rows)
	classes := len(f.Data.Classes)
	m := &nbModel{Counts: make([]int, classes)}
	var numbers []int      // the number columns
	var numberOf []string  // each number column's feature
	var levelsOf []float64 // each level column's feature's levels: its add-one count
	kinds := make([]byte, 0, en.Width)
	for _, e := range encs {
		for range e.Width() {
			if e.Kind == learn.KindNumber {
				numbers, numberOf = append(numbers, len(kinds)), append(numberOf, e.Feature)
				kinds = append(kinds, columnNumber)
			} else {
				levelsOf = append(levelsOf, float64(e.Width()))
				kinds = append(kinds, columnLevel)
			}
		}
	}
	m.Kinds = string(kinds)
	levels := len(m.Kinds) - len(numbers)
	sums := make([][]float64, classes)
	for c := range classes {
		m.Means, m.Variances = append(m.Means, make([]float64, len(numbers))), append(m.Variances, make([]float64, len(numbers)))
		m.LogLikelihoods = append(m.LogLikelihoods, make([]float64, levels))
		sums[c] = make([]float64, levels)
	}
	for i, row := range x {
		c := f.Data.Y[f.Rows[i]]
		m.Counts[c]++
		for k, j := range numbers {
			m.Means[c][k] += row[j]
		}
		lvl := 0
		for j := range row {
			if m.Kinds[j] == columnLevel {
				sums[c][lvl] += row[j]
				lvl++
			}
		}
	}
	for c, n := range m.Counts {
		for k := range numbers {
			if n > 0 {
				m.Means[c][k] /= float64(n)
			}
		}
	}
	for i, row := range x {
		c := f.Data.Y[f.Rows[i]]
		for k, j := range numbers {
			d := row[j] - m.Means[c][k]
			m.Variances[c][k] += d * d
		}
	}
	epsilon := f.Spec.Params["var_smoothing"].(float64) * largestVariance(x, numbers)
	for c, n := range m.Counts {
		for k := range numbers {
			if n > 0 {
				m.Variances[c][k] /= float64(n)
			}
			m.Variances[c][k] += epsilon
			if !(m.Variances[c][k] > 0) {
				return nil, model.Errorf(model.CodeInvalid,
					"feature %q has the same value in every training row of class %q; give var_smoothing a value above 0",
					numberOf[k], f.Data.Classes[c])
			}
		}
		for l := range levels {
			m.LogLikelihoods[c][l] = math.Log((sums[c][l] + 1) / (float64(n) + levelsOf[l]))
		}
	}
	env := learn.NewEnvelope(f, encs)
	env.Format = Format
	artifact, err := env.Marshal(m, nil)
	if err != nil {
		return nil, err
	}
	p, err := LoadPredictor(artifact)
	if err != nil {
		return nil, fmt.Errorf("load the artifact just trained: %w", err)
	}
	return &learn.Fitted{Artifact: artifact, Predictor: p}, nil
}

// largestVariance is the largest variance of a number column over every
// row (population variance, scikit-learn's np.var).
func largestVariance(x [][]float64, numbers []int) float64 {
	largest := 0.0
	for _, j := range numbers {
		mean := 0.0
		for _, row := range x {
			mean += row[j]
		}
		mean /= float64(len(x))
		v := 0.0
		for _, row := range x {
			d := row[j] - mean
			v += d * d
		}
		largest = max(largest, v/float64(len(x)))
	}
	return largest
}
