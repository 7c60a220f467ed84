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
