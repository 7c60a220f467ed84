package golearn

import (
	"slices"
	"unsafe"

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

// common is what every predictor shares: the model's description and its
// feature encoding.
type common struct {
	features []model.Column
	classes  []string
	task     string
	enc      *rowEncoder
	size     int64 // bytes of the algorithm's own tables, added by each constructor
}

func newCommon(m *Model) common {
	b := common{
		features: slices.Clip(slices.Clone(m.h.Features)),
		classes:  slices.Clip(slices.Clone(m.h.Classes)),
		task:     m.h.Task,
		enc:      newRowEncoder(m.h.Encodings, m.h.Features),
	}
	b.size = 256 + b.enc.sizeBytes()
	for _, f := range b.features {
		b.size += int64(unsafe.Sizeof(f)) + int64(len(f.Name))
	}
	for _, c := range b.classes {
		b.size += 16 + int64(len(c))
	}
	return b
}

// Features implements model.Predictor. The slice is shared: callers must
// not modify it.
func (b *common) Features() []model.Column { return b.features }

// Classes implements model.Predictor. The slice is shared: callers must
// not modify it.
func (b *common) Classes() []string { return b.classes }

// Task implements model.Predictor.
func (b *common) Task() string { return b.task }

// HasProbabilities implements model.Predictor: every classifier here
// gives class probabilities, as the reference does.
func (b *common) HasProbabilities() bool { return b.task == model.TaskClassification }

// SizeBytes implements model.Predictor.
func (b *common) SizeBytes() int64 { return b.size }

// probsRow returns row r's slice of out.Probs, or nil when the caller
// wants no probabilities.
func (b *common) probsRow(out *model.Output, r int) []float64 {
	if out.Probs == nil {
		return nil
	}
	c := len(b.classes)
	return out.Probs[r*c : r*c+c : r*c+c]
}

// maxFastClasses bounds the per-row tables kept on the stack; an artifact
// has at most model.MaxClasses classes (header.check).
const maxFastClasses = model.MaxClasses
