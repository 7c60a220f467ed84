package golearn

import (
	"math"

	"gitlab.com/mlserve/mlserve/internal/learn"
	"gitlab.com/mlserve/mlserve/model"
)

// logisticPredictor predicts as logisticModel does, from its weights laid
// out flat: w[j*decisions+i] is column j's weight in decision i, the
// intercept's row last.
type logisticPredictor struct {
	learn.Base
	labels    []int32
	w         []float64
	decisions int
	dims      int
}

func newLogisticPredictor(b learn.Base, m *logisticModel) *logisticPredictor {
	p := &logisticPredictor{Base: b, decisions: len(m.w[0]), dims: len(m.w) - 2}
	for _, l := range m.labels {
		p.labels = append(p.labels, int32(l))
	}
	// The columns and the intercept; liblinear's unused last row is left out.
	for _, row := range m.w[:p.dims+1] {
		p.w = append(p.w, row...)
	}
	p.Size += 8*int64(len(p.w)) + 4*int64(len(p.labels))
	return p
}

// Predict implements model.Predictor.
func (p *logisticPredictor) Predict(in *model.Batch, out *model.Output) {
	var buf []float64
	if !p.Enc.Identity {
		var stack [learn.StackDims]float64
		var pooled *[]float64
		buf, pooled = p.Enc.Buffer(&stack)
		defer p.Enc.Release(pooled)
	}
	var decs [maxFastClasses]float64
	var none [maxFastClasses]float64
	n := p.decisions
	for r := range in.Rows {
		x := p.Enc.Row(in, r, buf)
		dec := decs[:n:n]
		clear(dec)
		for j, v := range x {
			if v != 0 {
				w := p.w[j*n : j*n+n : j*n+n]
				for i := range dec {
					dec[i] += w[i] * v
				}
			}
		}
		w := p.w[p.dims*n : p.dims*n+n : p.dims*n+n]
		for i := range dec {
			dec[i] += w[i]
		}
		probs := p.ProbsRow(out, r)
		if probs == nil {
			probs = none[:len(p.Labels)]
		}
		out.Classes[r] = p.decide(dec, probs)
	}
}

// decide turns a row's decision values into its class and probabilities,
// as logisticModel.predict does.
func (p *logisticPredictor) decide(dec, probs []float64) int32 {
	clear(probs)
	switch len(p.labels) {
	case 1:
		probs[p.labels[0]] = 1
		return p.labels[0]
	case 2:
		q := 1 / (1 + math.Exp(-dec[0]))
		probs[p.labels[0]], probs[p.labels[1]] = q, 1-q
		if dec[0] > 0 {
			return p.labels[0]
		}
		return p.labels[1]
	}
	total := 0.0
	for i, d := range dec {
		dec[i] = 1 / (1 + math.Exp(-d))
		total += dec[i]
	}
	for i, q := range dec {
		probs[p.labels[i]] = q / total
	}
	return p.labels[learn.Argmax(dec)]
}

// linearPredictor predicts as linearModel does: the intercept, then each
// column's term added in order.
type linearPredictor struct {
	learn.Base
	intercept float64
	coef      []float64
}

func newLinearPredictor(b learn.Base, m linearModel) *linearPredictor {
	p := &linearPredictor{Base: b, intercept: m.s.Intercept, coef: m.s.Coefficients}
	p.Size += 8 * int64(len(p.coef))
	return p
}

// Predict implements model.Predictor.
func (p *linearPredictor) Predict(in *model.Batch, out *model.Output) {
	var buf []float64
	if !p.Enc.Identity {
		var stack [learn.StackDims]float64
		var pooled *[]float64
		buf, pooled = p.Enc.Buffer(&stack)
		defer p.Enc.Release(pooled)
	}
	for r := range in.Rows {
		x := p.Enc.Row(in, r, buf)
		y := p.intercept
		for j, v := range x {
			y += v * p.coef[j]
		}
		out.Values[r] = y
	}
}
