package learn

import (
	"sync"

	"gitlab.com/mlserve/mlserve/model"
)

// StackDims is the widest encoded row a predictor encodes into a buffer on
// its own stack; wider rows take a buffer from a pool.
const StackDims = 128

// RowEncoder encodes a Batch's rows as Encoder.EncodeRow encodes table
// rows, from tables built once: a one-hot feature's value → column map,
// a binned feature's bin → column table. Predictors use it the same way:
//
//	var buf []float64
//	if !enc.Identity {
//		var stack [learn.StackDims]float64
//		var pooled *[]float64
//		buf, pooled = enc.Buffer(&stack)
//		defer enc.Release(pooled)
//	}
//	for r := range in.Rows {
//		x := enc.Row(in, r, buf)
//		...
//	}
type RowEncoder struct {
	feats []featureEncoding
	// Width is the number of encoded columns.
	Width int
	// Identity: every feature is a number encoded as itself, so a row's
	// slice of Batch.Nums is its encoding and nothing is copied.
	Identity bool
	pool     sync.Pool // *[]float64 of Width, when Width > StackDims
}

// The encoding kinds as small integers, for the switch run per row.
const (
	encNumber = iota
	encOneHot
	encBins
)

type featureEncoding struct {
	kind   uint8
	col    int            // the feature's first encoded column
	levels map[string]int // one_hot: value → column offset
	bins   Encoding       // bins: the cut (Min, Max, Bins)
	binCol []int32        // bins: bin → column offset, or -1 for a bin no training row fell in
}

// NewRowEncoder returns the row encoder of encodings of the given features.
func NewRowEncoder(encs []Encoding, features []model.Column) *RowEncoder {
	e := &RowEncoder{feats: make([]featureEncoding, len(encs)), Identity: true}
	for i := range encs {
		enc := &encs[i]
		f := featureEncoding{col: e.Width}
		switch enc.Kind {
		case KindOneHot:
			f.kind = encOneHot
			f.levels = make(map[string]int, len(enc.Levels))
			for j, l := range enc.Levels {
				f.levels[l] = j
			}
		case KindBins:
			f.kind = encBins
			f.bins = Encoding{Min: enc.Min, Max: enc.Max, Bins: enc.Bins}
			f.binCol = make([]int32, enc.Bins)
			for b := range f.binCol {
				f.binCol[b] = -1
			}
			for j, b := range enc.Occupied {
				f.binCol[b] = int32(j)
			}
		}
		if enc.Kind != KindNumber || features[i].Type != model.ColumnNumber {
			e.Identity = false
		}
		e.feats[i] = f
		e.Width += enc.Width()
	}
	if e.Width > StackDims {
		width := e.Width
		e.pool.New = func() any {
			b := make([]float64, width)
			return &b
		}
	}
	return e
}

// Buffer returns a buffer for encoding rows (an identity encoding needs
// none): stack, which the caller declares on its stack, when rows fit,
// else one from the pool, which the caller returns with Release. Callers
// declare stack only when they need a buffer, as zeroing it costs more
// than predicting a row of a small model.
func (e *RowEncoder) Buffer(stack *[StackDims]float64) (buf []float64, pooled *[]float64) {
	if e.Width <= StackDims {
		return stack[:e.Width], nil
	}
	pooled = e.pool.Get().(*[]float64)
	return *pooled, pooled
}

// Release returns a pooled buffer.
func (e *RowEncoder) Release(pooled *[]float64) {
	if pooled != nil {
		e.pool.Put(pooled)
	}
}

// Row returns the encoding of row r of in: its slice of in.Nums for an
// identity encoding, else buf (from Buffer), overwritten.
func (e *RowEncoder) Row(in *model.Batch, r int, buf []float64) []float64 {
	n := len(e.feats)
	at := r * n
	if e.Identity {
		return in.Nums[at : at+n : at+n]
	}
	clear(buf)
	for i := range e.feats {
		f := &e.feats[i]
		switch f.kind {
		case encNumber:
			buf[f.col] = in.Nums[at+i]
		case encOneHot:
			if j, ok := f.levels[in.Strs[at+i]]; ok {
				buf[f.col+j] = 1
			}
		case encBins:
			// A bin out of range (NaN's, which a caller should not pass)
			// is not occupied, as slices.BinarySearch finds in EncodeRow.
			if b := f.bins.Bin(in.Nums[at+i]); uint(b) < uint(len(f.binCol)) && f.binCol[b] >= 0 {
				buf[f.col+int(f.binCol[b])] = 1
			}
		}
	}
	return buf
}

// SizeBytes estimates the memory of the encoding tables.
func (e *RowEncoder) SizeBytes() int64 {
	size := int64(len(e.feats)) * 96
	for _, f := range e.feats {
		for l := range f.levels {
			size += 48 + int64(len(l))
		}
		size += 4 * int64(len(f.binCol))
	}
	if e.Width > StackDims {
		size += 8 * int64(e.Width) * 2 // a pooled buffer or two
	}
	return size
}
