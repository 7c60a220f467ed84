package model

import "context"

// Batch is the input of a prediction: Rows instances, each with one value
// per feature of the model, in the model's feature order, laid out flat so a
// batch of any size is three allocations, not one per row. Row r's feature
// i is Nums[r*F+i] when feature i is a number and Strs[r*F+i] when it is a
// string (F = the number of features; the other slice's entry is unused,
// and a slice may be nil when the model has no feature of its kind).
type Batch struct {
	Rows int
	Nums []float64
	Strs []string
}

// Output receives a batch's predictions, in the caller's buffers.
type Output struct {
	// Classes[r] is the index, in the predictor's Classes, of row r's
	// predicted class (classification).
	Classes []int32
	// Values[r] is row r's predicted number (regression).
	Values []float64
	// Probs, when non-nil, receives class probabilities: row r's
	// probability of class c at Probs[r*C+c] (C = len(Classes())).
	Probs []float64
}

// Predictor answers predictions of one loaded model version. It is
// immutable and safe for concurrent use; the fast implementations allocate
// nothing per call.
type Predictor interface {
	// Predict predicts every row of in into out, whose slices the caller
	// sized for in.Rows rows. The batch holds valid values only: the
	// caller has checked types and finiteness against Features, and
	// passes missing values only when Missing.
	Predict(in *Batch, out *Output)
	// Features are the model's features, in the order a Batch uses.
	Features() []Column
	// Classes are the labels a classifier predicts; nil for regression.
	Classes() []string
	// Task is TaskClassification or TaskRegression.
	Task() string
	// HasProbabilities reports whether Predict fills Output.Probs.
	HasProbabilities() bool
	// Missing reports whether Predict takes a missing value of feature i
	// (a model that learnt where they go, or a pipeline that imputes
	// them): NaN for a number feature, "" for a string one. When false,
	// callers refuse a row missing it.
	Missing(feature int) bool
	// SizeBytes estimates the memory the predictor holds, for the
	// model cache's budget.
	SizeBytes() int64
}

// RowChecker is implemented by a predictor that refuses some values its
// features' types allow: a one-hot step whose unknown policy is "error"
// refuses a category it did not see in training. Callers check every row
// (CheckRows) before Predict and refuse the request, or the record, when
// a row fails.
type RowChecker interface {
	// CheckRow returns the first feature of row r of in that the model
	// refuses, and why; feature is -1 when it takes the row.
	CheckRow(in *Batch, r int) (feature int, reason string)
}

// CheckRow is p's RowChecker verdict on row r of in, or -1 for a
// predictor that takes every value of its features' types.
func CheckRow(p Predictor, in *Batch, r int) (feature int, reason string) {
	if c, ok := p.(RowChecker); ok {
		return c.CheckRow(in, r)
	}
	return -1, ""
}

// PredictorLoader turns an artifact, already checked against its version's
// sha256, into a Predictor: CodeCorrupt when the bytes are not a model.
type PredictorLoader interface {
	LoadPredictor(artifact []byte) (Predictor, error)
}

// ModelEvents tells every API replica that a model's versions or aliases
// changed, so their caches resolve the name again. Delivery is best effort:
// replicas also refresh on a timer, for the messages they miss.
type ModelEvents interface {
	// ModelChanged announces a change of the named model.
	ModelChanged(ctx context.Context, name string) error
}

// Models gives the API the loaded model version a request selects.
type Models interface {
	// Resolve returns the version of the named model that version, alias
	// or neither selects (as VersionStore.ResolveVersion does) with its
	// loaded predictor: CodeNotFound for an unknown model, version or alias;
	// CodeUnavailable when it is not loaded and the store is down;
	// CodeCorrupt when its artifact fails its checks.
	Resolve(ctx context.Context, name string, version int, alias string) (*ModelVersion, Predictor, error)
}
