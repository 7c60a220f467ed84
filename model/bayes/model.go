package bayes

import (
	"gitlab.com/mlserve/mlserve/internal/learn"
	"math"
)

// nbModel is a fitted Gaussian naive Bayes over encoded columns: number
// columns are normal per class, one-hot columns add their level's log
// likelihood when set.
type nbModel struct {
	Counts []int `json:"counts"` // training rows per class; 0 for a class a fold lacks
	// Kinds says, per encoded column, whether it is a number ("n") or a
	// one-hot level ("l").
	Kinds string `json:"kinds"`
	// Means and Variances, per class, hold a value per number column;
	// LogLikelihoods, per class, one per level column: the log of the
	// level's smoothed share of the class's rows.
	Means          [][]float64 `json:"means"`
	Variances      [][]float64 `json:"variances"`
	LogLikelihoods [][]float64 `json:"log_likelihoods"`
}

const (
	columnNumber = 'n'
	columnLevel  = 'l'
)

// predict is the reference prediction of an encoded row: every class's
// score computed from the stored parameters, column by column in order.
func (m *nbModel) predict(x []float64) (int, []float64) {
	total := 0
	for _, n := range m.Counts {
		total += n
	}
	scores := make([]float64, len(m.Counts))
	for c, n := range m.Counts {
		if n == 0 {
			scores[c] = math.Inf(-1)
			continue
		}
		s := math.Log(float64(n) / float64(total))
		num, lvl := 0, 0
		for j := range len(m.Kinds) {
			if m.Kinds[j] == columnNumber {
				s += gaussian(x[j], m.Means[c][num], m.Variances[c][num])
				num++
				continue
			}
			if x[j] > 0 {
				s += m.LogLikelihoods[c][lvl]
			}
			lvl++
		}
		scores[c] = s
	}
	probs := make([]float64, len(scores))
	learn.Softmax(scores, probs)
	return learn.Argmax(probs), probs
}

// gaussian is the log density of a normal distribution at x. The
// conversions round each product on its own, never fused into an
// addition, so every predictor computes the same bits.
func gaussian(x, mean, variance float64) float64 {
	d := x - mean
	return float64(-0.5*math.Log(2*math.Pi*variance)) - float64(0.5*float64(d*d))/variance
}
