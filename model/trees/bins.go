package trees

import (
	"math"
	"slices"
)

// maxBins is the most bins a column's values are cut into; one more bin
// holds its missing values.
const maxBins = 255

// binned is the training rows of one fit cut into bins: every encoded
// column's values as bin numbers, column by column, and each column's
// thresholds. A value x is in bin b, the first whose threshold it does not
// exceed (x ≤ thresholds[b]), or in bin len(thresholds) above them all;
// NaN is in the bin after that, the column's missing bin. So "bin ≤ b"
// and "x ≤ thresholds[b]" are the same test for a number, and a split
// learned on bins predicts on raw values.
type binned struct {
	rows       int
	codes      [][]uint8   // codes[col][row]
	thresholds [][]float64 // thresholds[col], ascending
	missing    []bool      // the column has a missing value
}

// binColumns bins the given rows (encoded, row by row) into at most bins
// bins per column (2 ≤ bins ≤ maxBins).
func binColumns(x [][]float64, bins int) *binned {
	dims := 0
	if len(x) > 0 {
		dims = len(x[0])
	}
	b := &binned{rows: len(x), codes: make([][]uint8, dims), thresholds: make([][]float64, dims), missing: make([]bool, dims)}
	col := make([]float64, 0, len(x))
	for j := range dims {
		col = col[:0]
		for _, row := range x {
			if v := row[j]; v == v {
				col = append(col, v)
			}
		}
		b.missing[j] = len(col) < len(x)
		b.thresholds[j] = thresholds(col, bins)
		codes := make([]uint8, len(x))
		for i, row := range x {
			codes[i] = binOf(b.thresholds[j], row[j])
		}
		b.codes[j] = codes
	}
	return b
}

// binOf returns the bin of v among thresholds.
func binOf(thresholds []float64, v float64) uint8 {
	if v != v {
		return missingOf(thresholds)
	}
	i, _ := slices.BinarySearch(thresholds, v) // the first threshold ≥ v
	return uint8(i)
}

// thresholds returns at most bins-1 ascending thresholds cutting values
// (which it sorts) into bins, as scikit-learn's binning does: with few
// distinct values, one threshold between each two neighbours; with more,
// at evenly spaced quantiles, each the midpoint of the two values around
// it.
func thresholds(values []float64, bins int) []float64 {
	slices.Sort(values)
	distinct := slices.Compact(slices.Clone(values))
	var out []float64
	if len(distinct) <= bins {
		for i := 1; i < len(distinct); i++ {
			out = append(out, between(distinct[i-1], distinct[i]))
		}
		return out
	}
	n := len(values)
	for q := 1; q < bins; q++ {
		pos := float64(q) * float64(n-1) / float64(bins)
		lo, hi := values[int(math.Floor(pos))], values[int(math.Ceil(pos))]
		t := lo/2 + hi/2
		if hi > lo {
			t = between(lo, hi)
		}
		if len(out) == 0 || t > out[len(out)-1] {
			out = append(out, t)
		}
	}
	// A threshold at the largest value puts nothing above it.
	if len(out) > 0 && out[len(out)-1] >= values[n-1] {
		out = out[:len(out)-1]
	}
	return out
}

// between returns a number t with lo ≤ t < hi, their midpoint where it is
// below hi (halved first, so it cannot overflow).
func between(lo, hi float64) float64 {
	if t := lo/2 + hi/2; t < hi && t >= lo {
		return t
	}
	return lo
}

// missingOf returns the missing bin of a column with these thresholds.
func missingOf(thresholds []float64) uint8 { return uint8(len(thresholds) + 1) }
