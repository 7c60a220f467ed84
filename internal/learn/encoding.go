package learn

import (
	"math"
	"slices"

	"gitlab.com/mlserve/mlserve/internal/csvdata"
	"gitlab.com/mlserve/mlserve/model"
)

// Encoding kinds: how one feature becomes columns of numbers, the only
// input a learner sees.
const (
	KindNumber = "number"  // one column: the value itself
	KindOneHot = "one_hot" // a column per training value: 1 for the row's value
	KindBins   = "bins"    // a column per occupied bin: 1 for the row's bin
)

// Encoding says how one feature is encoded. It is learned from the
// training rows only and recorded in the artifact, so a model encodes
// what it predicts exactly as it encoded what it learned. Its JSON is part
// of golearn artifacts: the field names never change.
type Encoding struct {
	Feature string `json:"feature"`
	Kind    string `json:"kind"`
	// Levels are one_hot's values, sorted. A value not among them (unseen
	// in training, or missing: "") encodes as all zeros.
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

// Width is how many columns e encodes to.
func (e *Encoding) Width() int {
	switch e.Kind {
	case KindOneHot:
		return len(e.Levels)
	case KindBins:
		return len(e.Occupied)
	}
	return 1
}

// Bin returns the bin of v.
func (e *Encoding) Bin(v float64) int {
	// Halved so a range near the float64 limits cannot overflow.
	span := e.Max/2 - e.Min/2
	if !(span > 0) {
		return 0
	}
	b := math.Floor((v/2 - e.Min/2) / span * float64(e.Bins))
	return int(min(max(b, 0), float64(e.Bins-1)))
}

// FitEncodings learns each feature's encoding from the given rows: string
// features one-hot (the empty string, a missing value, is no level),
// number features as themselves, or, when bins > 0, cut into that many
// equal-width bins of their training range.
func FitEncodings(features []*csvdata.TableColumn, rows []int, bins int) []Encoding {
	encs := make([]Encoding, len(features))
	for i, c := range features {
		e := Encoding{Feature: c.Name, Kind: KindNumber}
		switch {
		case c.Type == model.ColumnString:
			e.Kind = KindOneHot
			seen := map[string]bool{"": true}
			for _, r := range rows {
				if !seen[c.Strings[r]] {
					seen[c.Strings[r]] = true
					e.Levels = append(e.Levels, c.Strings[r])
				}
			}
			slices.Sort(e.Levels)
		case bins > 0:
			e.Kind, e.Bins = KindBins, bins
			e.Min, e.Max = math.Inf(1), math.Inf(-1)
			for _, r := range rows {
				e.Min, e.Max = min(e.Min, c.Numbers[r]), max(e.Max, c.Numbers[r])
			}
			occupied := make([]bool, bins)
			for _, r := range rows {
				occupied[e.Bin(c.Numbers[r])] = true
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

// Encoder turns feature values of a table into encoded rows.
type Encoder struct {
	encs   []Encoding
	levels []map[string]int // one_hot: value → column within the feature
	starts []int            // first encoded column of each feature
	// Width is the number of encoded columns.
	Width int
}

// NewEncoder returns the encoder of the given encodings.
func NewEncoder(encs []Encoding) *Encoder {
	en := &Encoder{encs: encs, levels: make([]map[string]int, len(encs)), starts: make([]int, len(encs))}
	for i := range encs {
		e := &encs[i]
		en.starts[i] = en.Width
		en.Width += e.Width()
		if e.Kind == KindOneHot {
			en.levels[i] = make(map[string]int, len(e.Levels))
			for j, l := range e.Levels {
				en.levels[i][l] = j
			}
		}
	}
	return en
}

// Groups returns the encoded columns of each feature.
func (en *Encoder) Groups() [][]int {
	g := make([][]int, len(en.encs))
	for i := range en.encs {
		for j := range en.encs[i].Width() {
			g[i] = append(g[i], en.starts[i]+j)
		}
	}
	return g
}

// Encode returns the encoded rows of the given feature columns, which
// are in the order of the encodings.
func (en *Encoder) Encode(cols []*csvdata.TableColumn, rows []int) [][]float64 {
	x := make([][]float64, len(rows))
	flat := make([]float64, len(rows)*en.Width)
	for k, r := range rows {
		x[k] = flat[k*en.Width : (k+1)*en.Width : (k+1)*en.Width]
		en.EncodeRow(cols, r, x[k])
	}
	return x
}

// EncodeRow writes the encoding of row r of cols into out, which has
// en.Width zeros.
func (en *Encoder) EncodeRow(cols []*csvdata.TableColumn, r int, out []float64) {
	for i, c := range cols {
		e, o := &en.encs[i], out[en.starts[i]:]
		switch e.Kind {
		case KindNumber:
			o[0] = c.Numbers[r]
		case KindOneHot:
			if j, ok := en.levels[i][c.Strings[r]]; ok {
				o[j] = 1
			}
		case KindBins:
			if j, ok := slices.BinarySearch(e.Occupied, e.Bin(c.Numbers[r])); ok {
				o[j] = 1
			}
		}
	}
}

// AllRows returns 0..n-1.
func AllRows(n int) []int {
	rows := make([]int, n)
	for i := range rows {
		rows[i] = i
	}
	return rows
}
