package golearn

import (
	"math"
	"slices"

	"gitlab.com/mlserve/mlserve/internal/csvdata"
	"gitlab.com/mlserve/mlserve/model"
)

// Encoding kinds: how one feature becomes columns of numbers, the only
// input this package gives golearn.
const (
	kindNumber = "number"  // one column: the value itself
	kindOneHot = "one_hot" // a column per training value: 1 for the row's value
	kindBins   = "bins"    // a column per occupied bin: 1 for the row's bin
)

// Encoding styles: which kinds an algorithm's features get.
const (
	styleNumeric = iota // numbers as they are, strings one-hot
	styleBinary         // numbers binned, strings one-hot: naive Bayes
)

// encoding says how one feature is encoded. It is learned from the
// training rows only and recorded in the artifact, so a model encodes
// what it predicts exactly as it encoded what it learned.
type encoding struct {
	Feature string `json:"feature"`
	Kind    string `json:"kind"`
	// Levels are one_hot's values, sorted. A value not among them (unseen
	// in training) encodes as all zeros.
	Levels []string `json:"levels,omitempty"`
	// Min and Max are the training range that bins cuts into Bins
	// equal-width bins; values outside it fall in the first or last bin.
	Min  float64 `json:"min,omitempty"`
	Max  float64 `json:"max,omitempty"`
	Bins int     `json:"bins,omitempty"`
	// Occupied lists the bins that hold training rows, ascending; each is a
	// column. A value in another bin encodes as all zeros.
	Occupied []int `json:"occupied,omitempty"`
}

// width is how many columns e encodes to.
func (e *encoding) width() int {
	switch e.Kind {
	case kindOneHot:
		return len(e.Levels)
	case kindBins:
		return len(e.Occupied)
	}
	return 1
}

// bin returns the bin of v.
func (e *encoding) bin(v float64) int {
	// Halved so a range near the float64 limits cannot overflow.
	span := e.Max/2 - e.Min/2
	if !(span > 0) {
		return 0
	}
	b := math.Floor((v/2 - e.Min/2) / span * float64(e.Bins))
	return int(min(max(b, 0), float64(e.Bins-1)))
}

// fitEncodings learns each feature's encoding from the given rows.
func fitEncodings(style int, features []*csvdata.TableColumn, rows []int, bins int) []encoding {
	encs := make([]encoding, len(features))
	for i, c := range features {
		e := encoding{Feature: c.Name, Kind: kindNumber}
		switch {
		case c.Type == model.ColumnString:
			e.Kind = kindOneHot
			seen := map[string]bool{}
			for _, r := range rows {
				if !seen[c.Strings[r]] {
					seen[c.Strings[r]] = true
					e.Levels = append(e.Levels, c.Strings[r])
				}
			}
			slices.Sort(e.Levels)
		case style == styleBinary:
			e.Kind, e.Bins = kindBins, bins
			e.Min, e.Max = math.Inf(1), math.Inf(-1)
			for _, r := range rows {
				e.Min, e.Max = min(e.Min, c.Numbers[r]), max(e.Max, c.Numbers[r])
			}
			occupied := make([]bool, bins)
			for _, r := range rows {
				occupied[e.bin(c.Numbers[r])] = true
			}
			for b, ok := range occupied {
				if ok {
					e.Occupied = append(e.Occupied, b)
				}
			}
		}
		encs[i] = e
	}
	return encs
}

// encoder turns feature values into encoded rows.
type encoder struct {
	encs   []encoding
	levels []map[string]int // one_hot: value → column within the feature
	starts []int            // first encoded column of each feature
	width  int
}

func newEncoder(encs []encoding) *encoder {
	en := &encoder{encs: encs, levels: make([]map[string]int, len(encs)), starts: make([]int, len(encs))}
	for i := range encs {
		e := &encs[i]
		en.starts[i] = en.width
		en.width += e.width()
		if e.Kind == kindOneHot {
			en.levels[i] = make(map[string]int, len(e.Levels))
			for j, l := range e.Levels {
				en.levels[i][l] = j
			}
		}
	}
	return en
}

// groups returns the encoded columns of each feature.
func (en *encoder) groups() [][]int {
	g := make([][]int, len(en.encs))
	for i := range en.encs {
		for j := range en.encs[i].width() {
			g[i] = append(g[i], en.starts[i]+j)
		}
	}
	return g
}

// encode returns the encoded rows of the given feature columns, which
// are in the order of the encodings.
func (en *encoder) encode(cols []*csvdata.TableColumn, rows []int) [][]float64 {
	x := make([][]float64, len(rows))
	flat := make([]float64, len(rows)*en.width)
	for k, r := range rows {
		x[k] = flat[k*en.width : (k+1)*en.width : (k+1)*en.width]
		en.encodeRow(cols, r, x[k])
	}
	return x
}

// encodeRow writes the encoding of row r of cols into out, which has
// en.width zeros.
func (en *encoder) encodeRow(cols []*csvdata.TableColumn, r int, out []float64) {
	for i, c := range cols {
		e, o := &en.encs[i], out[en.starts[i]:]
		switch e.Kind {
		case kindNumber:
			o[0] = c.Numbers[r]
		case kindOneHot:
			if j, ok := en.levels[i][c.Strings[r]]; ok {
				o[j] = 1
			}
		case kindBins:
			if j, ok := slices.BinarySearch(e.Occupied, e.bin(c.Numbers[r])); ok {
				o[j] = 1
			}
		}
	}
}

// allRows returns 0..n-1.
func allRows(n int) []int {
	rows := make([]int, n)
	for i := range rows {
		rows[i] = i
	}
	return rows
}
