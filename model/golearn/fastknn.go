package golearn

import (
	"math"

	"github.com/sjwhitworth/golearn/metrics/pairwise"

	"gitlab.com/mlserve/mlserve/model"
)

// maxFastK bounds the neighbours knnPredictor keeps on its stack: k is at
// most 100 (model.Catalog), which header.check enforces.
const maxFastK = 100

// Distances knnPredictor computes.
const (
	distEuclidean = iota
	distManhattan
	distCosine
)

// knnPredictor predicts as knnModel does, with golearn's distance
// arithmetic written out over one flat matrix of the training rows: the
// same operations in the same order (pairwise.Euclidean: the differences,
// their squares, summed in column order, the square root; Manhattan: the
// absolute differences summed; Cosine: 1 − x·y / (‖x‖‖y‖), each dot
// product summed in column order), so every distance, and so the ranking,
// is the reference's. The k nearest are kept by insertion in a sorted
// array as the rows are scanned in training order, which ranks equal
// distances by training order as knnModel's sort does.
type knnPredictor struct {
	common
	k        int
	distance int
	dims     int
	train    []float64 // the training rows, row by row
	lengths  []float64 // cosine: each training row's ‖y‖
	labels   []int32
}

func newKNNPredictor(b common, m *knnModel) *knnPredictor {
	p := &knnPredictor{common: b, k: m.k, labels: make([]int32, len(m.rows))}
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
		p.labels[i] = int32(m.labels[i])
		if p.distance == distCosine {
			p.lengths = append(p.lengths, math.Sqrt(dot(row, row)))
		}
	}
	p.size += 8*int64(len(p.train)+len(p.lengths)) + 4*int64(len(p.labels))
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
	var buf []float64
	if !p.enc.identity {
		var stack [stackDims]float64
		var pooled *[]float64
		buf, pooled = p.enc.buffer(&stack)
		defer p.enc.release(pooled)
	}
	var nearest [maxFastK]neighbour
	var votes, first [maxFastClasses]int
	classes := len(p.classes)
	for r := range in.Rows {
		x := p.enc.row(in, r, buf)
		top := p.nearest(x, nearest[:0:p.k])
		clear(votes[:classes])
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
		if probs := p.probsRow(out, r); probs != nil {
			for c := range probs {
				probs[c] = float64(votes[c]) / float64(p.k)
			}
		}
	}
}

// nearest returns the cap(top) nearest training rows to x, nearest first.
func (p *knnPredictor) nearest(x []float64, top []neighbour) []neighbour {
	k, dims := cap(top), p.dims
	xLength := 0.0
	if p.distance == distCosine {
		xLength = math.Sqrt(dot(x, x))
	}
	for i := range p.labels {
		y := p.train[i*dims : (i+1)*dims : (i+1)*dims]
		var d float64
		switch p.distance {
		case distEuclidean:
			sum := 0.0
			for j, v := range x {
				diff := v - y[j]
				sum += float64(diff * diff)
			}
			d = math.Sqrt(sum)
		case distManhattan:
			for j, v := range x {
				d += math.Abs(v - y[j])
			}
		case distCosine:
			d = 1 - dot(x, y)/(xLength*p.lengths[i])
		}
		if math.IsNaN(d) {
			d = math.Inf(1)
		}
		// Rows come in training order: an equal distance ranks after.
		if len(top) == k && !(d < top[k-1].d) {
			continue
		}
		at := len(top)
		if at == k {
			at--
		} else {
			top = top[:at+1]
		}
		for at > 0 && d < top[at-1].d {
			top[at] = top[at-1]
			at--
		}
		top[at] = neighbour{d, i}
	}
	return top
}
