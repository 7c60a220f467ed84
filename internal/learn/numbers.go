package learn

import "math"

// Argmax returns the index of the largest value, the first on ties: how
// every classifier here picks its class.
func Argmax(values []float64) int {
	best := 0
	for i, v := range values {
		if v > values[best] {
			best = i
		}
	}
	return best
}

// Finite reports whether f is neither NaN nor infinite.
func Finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// AllFinite reports whether every value is finite.
func AllFinite(values []float64) bool {
	for _, v := range values {
		if !Finite(v) {
			return false
		}
	}
	return true
}

// Softmax writes the softmax of scores into probs: each score's
// exponential, less the largest score's so none overflows, over their
// sum. Scores may be -Inf (a class that cannot be), not all of them.
func Softmax(scores, probs []float64) {
	top := math.Inf(-1)
	for _, s := range scores {
		top = max(top, s)
	}
	sum := 0.0
	for c, s := range scores {
		probs[c] = math.Exp(s - top)
		sum += probs[c]
	}
	for c := range probs {
		probs[c] /= sum
	}
}
