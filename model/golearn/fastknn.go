package golearn

import (
	"math"
	"sync"

	"github.com/sjwhitworth/golearn/metrics/pairwise"

	"gitlab.com/mlserve/mlserve/internal/learn"
	"gitlab.com/mlserve/mlserve/model"
)

// maxFastK bounds the neighbours knnPredictor keeps per row: k is at most
// 100 (model.Catalog), which header.check enforces.
const maxFastK = 100

// Distances knnPredictor computes.
const (
	distEuclidean = iota
	distManhattan
	distCosine
)

// The blocks of the distance computation: knnQueries rows of a batch are
// scanned together against knnTrainBlock training rows at a time, so a
// block of the training matrix is read from memory once per knnQueries
// rows and stays in the cache while they are compared with it.
const (
	knnQueries    = 8
	knnTrainBlock = 256
)

// knnPredictor predicts as knnModel does, with golearn's distance
// arithmetic written out over one flat matrix of the training rows: the
// same operations in the same order (pairwise.Euclidean: the differences,
// their squares, summed in column order, the square root; Manhattan: the
// absolute differences summed; Cosine: 1 − x·y / (‖x‖‖y‖), each dot
// product summed in column order), so every distance, and so the ranking,
// is the reference's. Each row's k nearest are kept by insertion in a
// sorted array as the training rows are scanned in training order (block
// by block, every block in order), which ranks equal distances by
// training order as knnModel's sort does. A Euclidean square root is
// taken only for a sum no greater than the k-th nearest's: a larger sum
// cannot have a smaller root (see scan). With a Euclidean or Manhattan
// distance in at most kdMaxDims columns, a k-d tree (kdTree) finds the
// same rows computing far fewer distances.
type knnPredictor struct {
	learn.Base
	k        int
	distance int
	dims     int
	train    []float64 // the training rows, row by row
	lengths  []float64 // cosine: each training row's ‖y‖
	labels   []int32   // classification
	values   []float64 // regression
	rows     int
	kd       *kdTree   // for Euclidean and Manhattan in few dimensions; nil to scan
	scratch  sync.Pool // *knnScratch
}

// knnScratch is one Predict call's working memory.
type knnScratch struct {
	top     [knnQueries][maxFastK]neighbour
	queries []float64 // knnQueries encoded rows, when the encoding copies
}

func newKNNPredictor(b learn.Base, m *knnModel) *knnPredictor {
	p := &knnPredictor{Base: b, k: m.k, rows: len(m.rows)}
	switch m.distance.(type) {
	case *pairwise.Manhattan:
		p.distance = distManhattan
	case *pairwise.Cosine:
		p.distance = distCosine
	}
	for i, r := range m.rows {
		row := r.RawRowView(0)
		p.dims = len(row)
		p.train = append(p.train, row...)
		if m.values != nil {
			p.values = append(p.values, m.values[i])
		} else {
			p.labels = append(p.labels, int32(m.labels[i]))
		}
		if p.distance == distCosine {
			p.lengths = append(p.lengths, math.Sqrt(dot(row, row)))
		}
	}
	if p.distance != distCosine && p.dims <= kdMaxDims && p.rows >= kdMinRows {
		p.kd = newKDTree(p.train, p.rows, p.dims)
		p.Size += int64(len(p.kd.data)+len(p.kd.boxes))*8 + int64(len(p.kd.nodes))*16 + 4*int64(len(p.kd.rows))
	}
	width := p.Enc.Width
	p.scratch.New = func() any { return &knnScratch{queries: make([]float64, knnQueries*width)} }
	p.Size += 8*int64(len(p.train)+len(p.lengths)+len(p.values)) + 4*int64(len(p.labels)) + int64(8*knnQueries*width)
	return p
}

// dot is pairwise.Cosine.Dot: the products, then their sum in order.
func dot(x, y []float64) float64 {
	sum := 0.0
	for j, v := range x {
		// float64(): the product is rounded on its own, as golearn
		// stores it before summing, never fused into the addition.
		sum += float64(v * y[j])
	}
	return sum
}

// Predict implements model.Predictor.
func (p *knnPredictor) Predict(in *model.Batch, out *model.Output) {
	s := p.scratch.Get().(*knnScratch)
	defer p.scratch.Put(s)
	width := p.Enc.Width
	if p.kd != nil {
		for r := range in.Rows {
			x := p.Enc.Row(in, r, s.queries[:width:width])
			p.answer(s.top[0][:p.search(x, s.top[0][:0:p.k])], out, r)
		}
		return
	}
	var xs [knnQueries][]float64
	var lengths [knnQueries]float64
	var found [knnQueries]int
	for r0 := 0; r0 < in.Rows; r0 += knnQueries {
		n := min(knnQueries, in.Rows-r0)
		for q := range n {
			xs[q] = p.Enc.Row(in, r0+q, s.queries[q*width:(q+1)*width:(q+1)*width])
			if p.distance == distCosine {
				lengths[q] = math.Sqrt(dot(xs[q], xs[q]))
			}
			found[q] = 0
		}
		for t0 := 0; t0 < p.rows; t0 += knnTrainBlock {
			t1 := min(p.rows, t0+knnTrainBlock)
			for q := range n {
				found[q] = p.scan(xs[q], lengths[q], t0, t1, s.top[q][:found[q]:p.k])
			}
		}
		for q := range n {
			p.answer(s.top[q][:found[q]], out, r0+q)
		}
	}
}

// answer writes row r's prediction from its nearest training rows.
func (p *knnPredictor) answer(top []neighbour, out *model.Output, r int) {
	if p.values != nil {
		sum := 0.0
		for _, n := range top {
			sum += p.values[n.row]
		}
		out.Values[r] = sum / float64(p.k)
		return
	}
	var votes, first [maxFastClasses]int
	classes := len(p.Labels)
	for rank, n := range top {
		c := p.labels[n.row]
		if votes[c] == 0 {
			first[c] = rank
		}
		votes[c]++
	}
	best := -1
	for c, v := range votes[:classes] {
		if v > 0 && (best < 0 || v > votes[best] || v == votes[best] && first[c] < first[best]) {
			best = c
		}
	}
	out.Classes[r] = int32(best)
	if probs := p.ProbsRow(out, r); probs != nil {
		for c := range probs {
			probs[c] = float64(votes[c]) / float64(p.k)
		}
	}
}

// scan merges training rows t0..t1-1 into top, the cap(top) nearest to x
// among the rows before t0, nearest first, and returns how many it holds.
// xLength is ‖x‖ for cosine. Once top is full, a Euclidean or Manhattan
// row is dropped as soon as its partial sum, after every fourth column,
// exceeds the k-th nearest's: the terms are never negative, so the whole
// sum could only be larger (rounding never makes a sum of non-negative
// terms smaller), and the reference would drop the row too. The loops
// are written out per distance, the hottest code of a knn.
func (p *knnPredictor) scan(x []float64, xLength float64, t0, t1 int, top []neighbour) int {
	k, dims := cap(top), p.dims
	bound := math.Inf(1)
	if len(top) == k {
		bound = top[k-1].sum
	}
	switch p.distance {
	case distEuclidean:
	rows:
		for i := t0; i < t1; i++ {
			y := p.train[i*dims : (i+1)*dims : (i+1)*dims]
			y = y[:len(x)]
			sum := 0.0
			for j, v := range x {
				diff := v - y[j]
				sum += float64(diff * diff)
				if j&3 == 3 && sum > bound {
					continue rows
				}
			}
			switch {
			case sum <= bound:
				insertOrdered(&top, neighbour{d: math.Sqrt(sum), row: i, sum: sum})
			case sum != sum: // NaN, which the caller should not pass, ranks last
				insertOrdered(&top, neighbour{d: math.Inf(1), row: i, sum: math.Inf(1)})
			}
			if len(top) == k {
				bound = top[k-1].sum
			}
		}
	case distManhattan:
	cols:
		for i := t0; i < t1; i++ {
			y := p.train[i*dims : (i+1)*dims : (i+1)*dims]
			y = y[:len(x)]
			sum := 0.0
			for j, v := range x {
				sum += math.Abs(v - y[j])
				if j&3 == 3 && sum > bound {
					continue cols
				}
			}
			switch {
			case sum <= bound:
				insertOrdered(&top, neighbour{d: sum, row: i, sum: sum})
			case sum != sum:
				insertOrdered(&top, neighbour{d: math.Inf(1), row: i, sum: math.Inf(1)})
			}
			if len(top) == k {
				bound = top[k-1].sum
			}
		}
	default:
		for i := t0; i < t1; i++ {
			d := 1 - dot(x, p.train[i*dims:(i+1)*dims:(i+1)*dims])/(xLength*p.lengths[i])
			if math.IsNaN(d) {
				d = math.Inf(1)
			}
			insertOrdered(&top, neighbour{d: d, row: i})
		}
	}
	return len(top)
}
