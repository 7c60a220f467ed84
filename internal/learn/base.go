package learn

import (
	"slices"
	"unsafe"

	"gitlab.com/mlserve/mlserve/model"
)

// Base is what every fast predictor shares: the model's description and
// its feature encoding. A predictor embeds it and adds the bytes of its
// own tables to Size.
type Base struct {
	Cols   []model.Column
	Labels []string // classes; nil for a regression
	Kind   string   // the task
	Enc    *RowEncoder
	Size   int64
}

// NewBase returns the Base of a model of task with the given features,
// their encodings and classes.
func NewBase(task string, features []model.Column, encs []Encoding, classes []string) Base {
	b := Base{
		Cols:   slices.Clip(slices.Clone(features)),
		Labels: slices.Clip(slices.Clone(classes)),
		Kind:   task,
		Enc:    NewRowEncoder(encs, features),
	}
	b.Size = 256 + b.Enc.SizeBytes()
	for _, f := range b.Cols {
		b.Size += int64(unsafe.Sizeof(f)) + int64(len(f.Name))
	}
	for _, c := range b.Labels {
		b.Size += 16 + int64(len(c))
	}
	return b
}

// Features implements model.Predictor. The slice is shared: callers must
// not modify it.
func (b *Base) Features() []model.Column { return b.Cols }

// Classes implements model.Predictor. The slice is shared: callers must
// not modify it.
func (b *Base) Classes() []string { return b.Labels }

// Task implements model.Predictor.
func (b *Base) Task() string { return b.Kind }

// HasProbabilities implements model.Predictor: every classifier of
// mlserve gives class probabilities.
func (b *Base) HasProbabilities() bool { return b.Kind == model.TaskClassification }

// Missing implements model.Predictor: a predictor that takes missing
// values says so with a method of its own.
func (b *Base) Missing(int) bool { return false }

// SizeBytes implements model.Predictor.
func (b *Base) SizeBytes() int64 { return b.Size }

// ProbsRow returns row r's slice of out.Probs, or nil when the caller
// wants no probabilities.
func (b *Base) ProbsRow(out *model.Output, r int) []float64 {
	if out.Probs == nil {
		return nil
	}
	c := len(b.Labels)
	return out.Probs[r*c : r*c+c : r*c+c]
}
