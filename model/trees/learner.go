package trees

import (
	"gitlab.com/mlserve/mlserve/internal/learn"
	"gitlab.com/mlserve/mlserve/model"
)

// Learner returns the learner of a spec this package fits: random_forest
// and decision_tree with engine cart, and gradient_boosting. spec.Params
// are normalized (model.CheckParams).
func Learner(spec *model.TrainSpec) (learn.Learner, bool) {
	switch {
	case spec.Algorithm == "random_forest" && spec.Params["engine"] == model.EngineCART:
		return &cartLearner{forest: true}, true
	case spec.Algorithm == "decision_tree" && spec.Params["engine"] == model.EngineCART:
		return &cartLearner{}, true
	case spec.Algorithm == "gradient_boosting":
		return &boostLearner{}, true
	}
	return nil, false
}
