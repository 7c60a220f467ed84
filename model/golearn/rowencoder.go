package golearn

import (
	"sync"

	"gitlab.com/mlserve/mlserve/model"
)

// stackDims is the widest encoded row a predictor encodes into a buffer on
// its own stack; wider rows take a buffer from a pool.
const stackDims = 128

// rowEncoder encodes a Batch's rows as encoder.encodeRow encodes table
// rows, from tables built once: a one-hot feature's value → column map,
// a binned feature's bin → column table.
type rowEncoder struct {
	feats []featureEncoding
	width int
	// identity: every feature is a number encoded as itself, so a row's
	// slice of Batch.Nums is its encoding and nothing is copied.
	identity bool
	pool     sync.Pool // *[]float64 of width, when width > stackDims
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
	bins   encoding       // bins: the cut (Min, Max, Bins)
	binCol []int32        // bins: bin → column offset, or -1 for a bin no training row fell in
}

func newRowEncoder(encs []encoding, features []model.Column) *rowEncoder {
	e := &rowEncoder{feats: make([]featureEncoding, len(encs)), identity: true}
	for i := range encs {
		enc := &encs[i]
		f := featureEncoding{col: e.width}
		switch enc.Kind {
		case kindOneHot:
			f.kind = encOneHot
			f.levels = make(map[string]int, len(enc.Levels))
			for j, l := range enc.Levels {
				f.levels[l] = j
			}
		case kindBins:
			f.kind = encBins
			f.bins = encoding{Min: enc.Min, Max: enc.Max, Bins: enc.Bins}
			f.binCol = make([]int32, enc.Bins)
			for b := range f.binCol {
				f.binCol[b] = -1
			}
			for j, b := range enc.Occupied {
				f.binCol[b] = int32(j)
			}
		}
		if enc.Kind != kindNumber || features[i].Type != model.ColumnNumber {
			e.identity = false
		}
		e.feats[i] = f
		e.width += enc.width()
	}
	if e.width > stackDims {
		width := e.width
		e.pool.New = func() any {
			b := make([]float64, width)
			return &b
		}
	}
	return e
}

// buffer returns a buffer for encoding rows (an identity encoding needs
// none): stack, which the caller declares on its stack, when rows fit,
// else one from the pool, which the caller returns with release. Callers
// declare stack only when they need a buffer, as zeroing it costs more
// than predicting a row of a small model.
func (e *rowEncoder) buffer(stack *[stackDims]float64) (buf []float64, pooled *[]float64) {
	if e.width <= stackDims {
		return stack[:e.width], nil
	}
	pooled = e.pool.Get().(*[]float64)
	return *pooled, pooled
}

// release returns a pooled buffer.
func (e *rowEncoder) release(pooled *[]float64) {
	if pooled != nil {
		e.pool.Put(pooled)
	}
}

// row returns the encoding of row r of in: its slice of in.Nums for an
// identity encoding, else buf (from buffer), overwritten.
func (e *rowEncoder) row(in *model.Batch, r int, buf []float64) []float64 {
	n := len(e.feats)
	at := r * n
	if e.identity {
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
			// is not occupied, as slices.BinarySearch finds in encodeRow.
			if b := f.bins.bin(in.Nums[at+i]); uint(b) < uint(len(f.binCol)) && f.binCol[b] >= 0 {
				buf[f.col+int(f.binCol[b])] = 1
			}
		}
	}
	return buf
}

// sizeBytes estimates the memory of the encoding tables.
func (e *rowEncoder) sizeBytes() int64 {
	size := int64(len(e.feats)) * 96
	for _, f := range e.feats {
		for l := range f.levels {
			size += 48 + int64(len(l))
		}
		size += 4 * int64(len(f.binCol))
	}
	if e.width > stackDims {
		size += 8 * int64(e.width) * 2 // a pooled buffer or two
	}
	return size
}
