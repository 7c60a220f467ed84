package golearn

import (
	"context"
	"math/rand/v2"
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

// learner is one algorithm's golearn side: how its features are encoded,
// how it fits (returning the payload that stores the fitted model) and
// how a payload becomes a predictor again.
type learner struct {
	style   int
	payload string // the payload's format, recorded in the header
	fit     func(ctx context.Context, in *fitInput) ([]byte, error)
	load    func(h *header, payload []byte) (predictor, error)
}

// learnerFor returns the learner of a model algorithm.
func learnerFor(algorithm string) (learner, bool) {
	switch algorithm {
	case "random_forest":
		return learner{styleNumeric, payloadTrees, fitForest, loadForest}, true
	case "decision_tree":
		return learner{styleNumeric, payloadTrees, fitDecisionTree, loadDecisionTree}, true
	case "knn":
		return learner{styleNumeric, payloadKNN, fitKNN, loadKNN}, true
	case "logistic_regression":
		return learner{styleNumeric, payloadLiblinear, fitLogistic, loadLogistic}, true
	case "linear_regression":
		return learner{styleNumeric, payloadLinear, fitLinear, loadLinear}, true
	case "naive_bayes":
		return learner{styleBinary, payloadNaiveBayes, fitNaiveBayes, loadNaiveBayes}, true
	}
	return learner{}, false
}

// argmax returns the index of the largest value, the first on ties.
func argmax(values []float64) int {
	best := 0
	for i, v := range values {
		if v > values[best] {
			best = i
		}
	}
	return best
}
