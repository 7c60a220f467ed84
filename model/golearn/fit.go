package golearn

import (
	"context"
	"math/rand/v2"

	"gitlab.com/mlserve/mlserve/model"
)

// fitInput is what a model is fitted on: the training rows, encoded.
type fitInput struct {
	x       [][]float64 // encoded training rows
	y       []int       // classification: each row's class index
	v       []float64   // regression: each row's target
	classes []string    // classification: every class, in order
	groups  [][]int     // the encoded columns of each feature
	dims    int         // encoded columns
	names   []string    // the feature of each encoded column
	params  map[string]any
	rng     *rand.Rand // the model's own random stream
	// progress reports units done (a forest's trees); nil is allowed.
	progress func(done int)
}

// outcome is one prediction, before class indexes become names.
type outcome struct {
	class int       // classification
	probs []float64 // classification: per class, or nil
	value float64   // regression
}

// predictor predicts encoded rows. It is built from an artifact's payload
// and is safe for concurrent use.
type predictor interface {
	predict(x []float64) outcome
}

// learner is one algorithm's golearn side: whether its number features
// are binned, how it fits (returning the payload that stores the fitted
// model) and how a payload becomes a predictor again.
type learner struct {
	binned  bool   // number features become equal-width bins (naive Bayes)
	payload string // the payload's format, recorded in the header
	fit     func(ctx context.Context, in *fitInput) ([]byte, error)
	load    func(h *header, payload []byte) (predictor, error)
}

// learnerFor returns the learner of a model algorithm for a task.
func learnerFor(algorithm, task string) (learner, bool) {
	cls := task == model.TaskClassification
	switch {
	case algorithm == "random_forest" && cls:
		return learner{false, payloadTrees, fitForest, loadForest}, true
	case algorithm == "decision_tree" && cls:
		return learner{false, payloadTrees, fitDecisionTree, loadDecisionTree}, true
	case algorithm == "knn" && cls:
		return learner{false, payloadKNN, fitKNN, loadKNN}, true
	case algorithm == "knn":
		return learner{false, payloadKNNValues, fitKNN, loadKNN}, true
	case algorithm == "logistic_regression" && cls:
		return learner{false, payloadLiblinear, fitLogistic, loadLogistic}, true
	case algorithm == "linear_regression" && !cls:
		return learner{false, payloadLinear, fitLinear, loadLinear}, true
	case algorithm == "naive_bayes" && cls:
		return learner{true, payloadNaiveBayes, fitNaiveBayes, loadNaiveBayes}, true
	}
	return learner{}, false
}
