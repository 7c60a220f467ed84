package preprocess

import (
	"context"

	"gitlab.com/mlserve/mlserve/internal/learn"
	"gitlab.com/mlserve/mlserve/model"
)

// Learner fits a spec's steps on each fit's training rows, then the
// learner of its algorithm on their output, and returns the pipeline: its
// artifact wraps the learner's, its predictor takes the input features.
type Learner struct {
	Inner learn.Learner
}

var _ learn.Learner = Learner{}

// Units implements learn.Learner: the steps count nothing.
func (l Learner) Units(params map[string]any) int { return l.Inner.Units(params) }

// Fit implements learn.Learner. The inner fit sees a spec whose features
// are the steps' output columns and a copy of the data with those
// columns; its feature importances are summed back onto the input
// features (a one-hot feature's indicators together).
func (l Learner) Fit(ctx context.Context, f *learn.Fit) (*learn.Fitted, error) {
	steps, t, err := Fit(f.Spec.Preprocess, f.Data.Features, f.Rows)
	if err != nil {
		return nil, err
	}
	if len(t.Columns) == 0 {
		return nil, model.Errorf(model.CodeInvalid, "preprocess: no feature columns are left for the model")
	}
	spec := *f.Spec
	spec.Features, spec.Preprocess = t.Features(), nil
	data := *f.Data
	data.Features = t.Columns
	inner := *f
	inner.Spec, inner.Data = &spec, &data
	fitted, err := l.Inner.Fit(ctx, &inner)
	if err != nil {
		return nil, err
	}
	artifact, err := MarshalArtifact(f.Spec.Features, steps, fitted.Artifact)
	if err != nil {
		return nil, err
	}
	p, err := NewPredictor(f.Spec.Features, steps, fitted.Predictor)
	if err != nil {
		return nil, err
	}
	out := *fitted
	out.Artifact, out.Predictor, out.Preprocess = artifact, p, steps
	if fitted.Importances != nil {
		out.Importances = make([]float64, len(f.Spec.Features))
		for j, v := range fitted.Importances {
			out.Importances[t.Origin[j]] += v
		}
	}
	return &out, nil
}

// Registry wraps the learners of find in a Learner for a spec with
// steps.
func Registry(find learn.Registry) learn.Registry {
	return func(spec *model.TrainSpec) (learn.Learner, bool) {
		l, ok := find(spec)
		if ok && len(spec.Preprocess) > 0 {
			return Learner{Inner: l}, true
		}
		return l, ok
	}
}
