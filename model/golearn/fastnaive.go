package golearn

import (
	"math"

	"gitlab.com/mlserve/mlserve/internal/learn"
	"gitlab.com/mlserve/mlserve/model"
)

// naiveBayesPredictor predicts as naiveBayesModel does, with each
// logarithm it takes computed once: a class's score is its prior's log
// plus, column by column in order, the log of the column's probability
// when the row has it and of its complement when not. The terms are the
// reference's terms added in the reference's order, so the scores are
// the reference's, bit for bit.
type naiveBayesPredictor struct {
	learn.Base
	present []bool    // the class had training rows
	prior   []float64 // log(rows of the class / rows)
	on      []float64 // on[c*dims+f]: the term when column f is set
	off     []float64 // off[c*dims+f]: the term when it is not
	dims    int
}

func newNaiveBayesPredictor(b learn.Base, m *naiveBayesModel) *naiveBayesPredictor {
	classes, dims := len(m.count), b.Enc.Width
	p := &naiveBayesPredictor{Base: b, dims: dims, present: make([]bool, classes), prior: make([]float64, classes),
		on: make([]float64, classes*dims), off: make([]float64, classes*dims)}
	for c, n := range m.count {
		if n == 0 {
			continue
		}
		p.present[c] = true
		p.prior[c] = math.Log(float64(n) / float64(m.total))
		for f, q := range m.cond[c] {
			p.on[c*dims+f] = math.Log(q)
			if q == 1 {
				p.off[c*dims+f] = math.Log(1 / float64(n+1))
			} else {
				p.off[c*dims+f] = math.Log(1 - q)
			}
		}
	}
	p.Size += int64(classes) * (1 + 8 + 16*int64(dims))
	return p
}

// Predict implements model.Predictor.
func (p *naiveBayesPredictor) Predict(in *model.Batch, out *model.Output) {
	var buf []float64
	if !p.Enc.Identity {
		var stack [learn.StackDims]float64
		var pooled *[]float64
		buf, pooled = p.Enc.Buffer(&stack)
		defer p.Enc.Release(pooled)
	}
	var scores [maxFastClasses]float64
	dims := p.dims
	for r := range in.Rows {
		x := p.Enc.Row(in, r, buf)
		best := -1
		for c, ok := range p.present {
			if !ok {
				continue
			}
			on, off := p.on[c*dims:(c+1)*dims:(c+1)*dims], p.off[c*dims:(c+1)*dims:(c+1)*dims]
			s := p.prior[c]
			for f, v := range x {
				if v > 0 {
					s += on[f]
				} else {
					s += off[f]
				}
			}
			scores[c] = s
			if best < 0 || s > scores[best] {
				best = c
			}
		}
		out.Classes[r] = int32(best)
		probs := p.ProbsRow(out, r)
		if probs == nil {
			continue
		}
		sum := 0.0
		for c, ok := range p.present {
			probs[c] = 0
			if ok {
				probs[c] = math.Exp(scores[c] - scores[best])
				sum += probs[c]
			}
		}
		for c := range probs {
			probs[c] /= sum
		}
	}
}
