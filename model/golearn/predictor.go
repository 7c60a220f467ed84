package golearn

import (
	"gitlab.com/mlserve/mlserve/internal/learn"
	"gitlab.com/mlserve/mlserve/model"
)

// PredictorLoader builds the serving form of a model: it implements
// model.PredictorLoader.
//
// LoadPredictor reads the artifact with Load, which checks every byte, then
// compiles the reference predictor Load built into a fast one: trees
// flattened into one node array, KNN's training rows into one matrix,
// logistic and linear regression into weight arrays, naive Bayes into
// log-probability tables, and the feature encoding into lookup tables.
// The fast predictors compute what the reference computes, in the same
// floating-point order, so they return exactly its classes, probabilities
// and values (TestFastPredictorsMatchTheReference). Every algorithm has a
// fast form; a model whose form it does not know would be served by the
// reference (referencePredictor).
type PredictorLoader struct{}

// NewPredictorLoader returns a PredictorLoader. It holds no state.
func NewPredictorLoader() *PredictorLoader { return &PredictorLoader{} }

var _ model.PredictorLoader = (*PredictorLoader)(nil)

// LoadPredictor implements model.PredictorLoader: a CodeCorrupt error for
// bytes that are not a valid artifact, never a panic (FuzzLoadPredictor).
func (l *PredictorLoader) LoadPredictor(artifact []byte) (model.Predictor, error) {
	m, err := Load(artifact)
	if err != nil {
		return nil, err
	}
	return compile(m), nil
}

// compile returns the fast predictor of a loaded model.
func compile(m *Model) model.Predictor {
	b := newCommon(m)
	switch p := m.p.(type) {
	case forest:
		return newForestPredictor(b, p)
	case singleTree:
		return newTreePredictor(b, p)
	case *knnModel:
		if p.k <= maxFastK {
			return newKNNPredictor(b, p)
		}
	case *logisticModel:
		return newLogisticPredictor(b, p)
	case linearModel:
		return newLinearPredictor(b, p)
	case *naiveBayesModel:
		return newNaiveBayesPredictor(b, p)
	}
	return newReferencePredictor(b, m)
}

func newCommon(m *Model) learn.Base {
	return learn.NewBase(m.h.Task, m.h.Features, m.h.Encodings, m.h.Classes)
}

// maxFastClasses bounds the per-row tables kept on the stack; an artifact
// has at most model.MaxClasses classes (header.check).
const maxFastClasses = model.MaxClasses
