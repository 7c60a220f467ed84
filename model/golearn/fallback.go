package golearn

import (
	"gitlab.com/mlserve/mlserve/internal/learn"
	"gitlab.com/mlserve/mlserve/model"
)

// referencePredictor serves a model through its reference predictor, for
// a model compile has no fast form of: every algorithm has one today, so
// only a new algorithm (or a KNN with more neighbours than a fast one
// keeps, which the catalog forbids) would land here. It allocates per
// row. The reference is pure Go over immutable state, safe for concurrent
// use (see Model), so unlike golearn's own predictors it needs no lock.
type referencePredictor struct {
	learn.Base
	p predictor
}

func newReferencePredictor(b learn.Base, m *Model) *referencePredictor {
	return &referencePredictor{Base: b, p: m.p}
}

// Predict implements model.Predictor.
func (p *referencePredictor) Predict(in *model.Batch, out *model.Output) {
	buf := make([]float64, p.Enc.Width)
	for r := range in.Rows {
		o := p.p.predict(p.Enc.Row(in, r, buf))
		if p.Kind == model.TaskRegression {
			out.Values[r] = o.value
			continue
		}
		out.Classes[r] = int32(o.class)
		if probs := p.ProbsRow(out, r); probs != nil {
			copy(probs, o.probs)
		}
	}
}
