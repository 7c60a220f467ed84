package model

import (
	"context"
	"io"
)

// TrainSpec is a checked training request: everything a Trainer needs
// besides the data. PrepareTrain makes one from a JobRequest and its
// Dataset, with every parameter default filled in.
type TrainSpec struct {
	Algorithm  string         `json:"algorithm"`
	Params     map[string]any `json:"params"`
	Task       string         `json:"task"`
	Target     string         `json:"target"`
	Features   []Column       `json:"features"`
	Validation ValidationSpec `json:"validation"`
	// Preprocess are the request's steps with their columns listed and
	// their defaults filled in; the dropped features are not in Features.
	Preprocess []Step `json:"preprocess,omitempty"`
	// Search is the checked search of the request; Algorithm and Params
	// are then its first candidate's. A Trainer ignores it: the worker
	// trains each candidate as a Trial, then the best as the model.
	Search *SearchPlan `json:"search,omitempty"`
	// Trial makes the training a search trial: it scores the model and
	// keeps none (TrainResult.Trial).
	Trial *TrialSpec `json:"trial,omitempty"`
}

// TrainResult is a trained model: its serialized artifact, the classes it
// predicts (classification), its evaluation, and what the learner reports
// of the stored model (nil or 0 when it reports nothing).
type TrainResult struct {
	Artifact           []byte
	Classes            []string
	Metrics            Metrics
	FeatureImportances []FeatureImportance
	Iterations         int
	// Preprocess are the stored model's fitted steps, nil without any.
	Preprocess []FittedStep
	// Trial is a trial's score; a trial has no Artifact.
	Trial *TrialScore
}

// FeatureImportance is how much one feature contributed to a tree model:
// its share of the impurity decrease of every split on it (a string
// feature's one-hot columns together). A model's importances sum to 1.
type FeatureImportance struct {
	Feature    string  `json:"feature" bson:"feature"`
	Importance float64 `json:"importance" bson:"importance"`
}

// Trainer fits models.
type Trainer interface {
	// Train fits spec's algorithm on the dataset CSV read from data (the
	// raw bytes as uploaded, header first) and evaluates it as
	// spec.Validation says. The same spec and data give the same artifact
	// and the same metrics. It reports progress (stages and folds) through
	// progress, returns soon after ctx is done, and fails with a
	// *model.Error whose message a user can act on: CodeInvalid when the
	// data cannot train this model (a class with too few rows, say),
	// CodeInternal when the training library itself failed.
	Train(ctx context.Context, spec TrainSpec, data io.Reader, progress func(Progress)) (*TrainResult, error)
}
