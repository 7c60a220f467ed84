// Package learners puts mlserve's learners together: one model.Trainer
// that trains every algorithm of the catalog with the learner of its
// variant, and one model.PredictorLoader that loads every artifact any
// release has written, telling the formats apart by their first line.
//
//   - model/golearn: golearn's engine (ID3 trees, knn, logistic and
//     linear regression, Bernoulli naive Bayes); artifacts start
//     "mlserve-golearn 1".
//   - model/trees: CART trees, random forests and gradient boosting;
//     model/bayes: Gaussian naive Bayes. Their artifacts start
//     "mlserve-model 1" (internal/learn's envelope).
//   - internal/preprocess: a model with preprocessing steps; its
//     artifact starts "mlserve-pipeline 1" and wraps one of the others.
package learners

import (
	"bytes"
	"encoding/json"

	"gitlab.com/mlserve/mlserve/internal/learn"
	"gitlab.com/mlserve/mlserve/internal/preprocess"
	"gitlab.com/mlserve/mlserve/model"
	"gitlab.com/mlserve/mlserve/model/bayes"
	"gitlab.com/mlserve/mlserve/model/golearn"
	"gitlab.com/mlserve/mlserve/model/trees"
)

// NewTrainer returns the trainer of every algorithm.
func NewTrainer() model.Trainer { return learn.NewTrainer(Learner) }

// Learner returns the learner of a spec whose params are normalized:
// its algorithm's, behind its preprocessing steps when it has any.
func Learner(spec *model.TrainSpec) (learn.Learner, bool) {
	return preprocess.Registry(algorithmLearner)(spec)
}

func algorithmLearner(spec *model.TrainSpec) (learn.Learner, bool) {
	for _, find := range []learn.Registry{trees.Learner, bayes.Learner, golearn.Learner} {
		if l, ok := find(spec); ok {
			return l, true
		}
	}
	return nil, false
}

// NewPredictorLoader returns the loader of every artifact format.
func NewPredictorLoader() model.PredictorLoader { return loader{} }

type loader struct{}

// LoadPredictor implements model.PredictorLoader: CodeCorrupt for bytes
// no learner wrote, never a panic.
func (loader) LoadPredictor(artifact []byte) (model.Predictor, error) {
	switch {
	case bytes.HasPrefix(artifact, []byte(golearn.Magic)):
		return golearn.NewPredictorLoader().LoadPredictor(artifact)
	case bytes.HasPrefix(artifact, []byte(learn.Magic)):
		return loadOwn(artifact)
	case bytes.HasPrefix(artifact, []byte(preprocess.Magic)):
		return preprocess.LoadPredictor(artifact, loadAlgorithm)
	}
	return nil, model.Errorf(model.CodeCorrupt, "artifact: not a model mlserve wrote")
}

// loadAlgorithm loads the artifact of an algorithm's model: any format
// but a pipeline's.
func loadAlgorithm(artifact []byte) (model.Predictor, error) {
	if bytes.HasPrefix(artifact, []byte(preprocess.Magic)) {
		return nil, model.Errorf(model.CodeCorrupt, "artifact: a pipeline inside a pipeline")
	}
	return loader{}.LoadPredictor(artifact)
}

// loadOwn loads an artifact in learn's envelope by the package of its
// format.
func loadOwn(artifact []byte) (model.Predictor, error) {
	var format struct {
		Format string `json:"format"`
	}
	line, _, _ := bytes.Cut(artifact[len(learn.Magic):], []byte{'\n'})
	if err := json.Unmarshal(line, &format); err != nil {
		return nil, model.Errorf(model.CodeCorrupt, "artifact: header: %v", err)
	}
	switch format.Format {
	case trees.Format:
		return trees.LoadPredictor(artifact)
	case bayes.Format:
		return bayes.LoadPredictor(artifact)
	}
	return nil, model.Errorf(model.CodeCorrupt, "artifact: unknown format %q", format.Format)
}
