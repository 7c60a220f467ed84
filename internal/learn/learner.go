package learn

import (
	"context"
	"fmt"

	"gitlab.com/mlserve/mlserve/model"
)

// Learner fits one algorithm with one implementation (an engine or a
// kind). Trainer runs it once per model a training fits: per fold, and
// the model it stores.
type Learner interface {
	// Units is how many units of progress one fit with params counts:
	// its trees or iterations, else 1.
	Units(params map[string]any) int
	// Fit fits a model on f.Rows of f.Data. It returns the artifact and
	// the predictor loaded from that artifact, so what is evaluated is
	// what is stored. It returns soon after ctx is done, with an error
	// wrapping ctx.Err().
	Fit(ctx context.Context, f *Fit) (*Fitted, error)
}

// Fit is one model to fit.
type Fit struct {
	// Spec is the checked spec, its params normalized by
	// model.CheckParams.
	Spec *model.TrainSpec
	Data *Data
	// Rows are the training rows, ascending.
	Rows []int
	// Index tells the models of one training apart (the fold, or the
	// number of folds for the stored model), so each draws its own random
	// stream: NewRand(Spec.Validation.Seed, StreamFit+Index).
	Index int
	// Threads is how many goroutines the fit may keep busy.
	Threads int
	// Progress reports how many of the fit's units are done. It is safe
	// to call from any goroutine, and cheap: Trainer throttles.
	Progress func(done int)
}

// Fitted is a fitted model.
type Fitted struct {
	Artifact  []byte
	Predictor model.Predictor
	// Importances, for tree models, has one importance per feature of
	// Spec.Features, summing to 1; nil otherwise.
	Importances []float64
	// OutOfBag is a forest's out-of-bag score, or nil.
	OutOfBag *model.OutOfBagScore
	// Iterations is how many boosting iterations the model kept, or 0.
	Iterations int
	// Preprocess are the model's fitted steps, or nil.
	Preprocess []model.FittedStep
}

// Registry returns the learner of a spec: its algorithm and the variant
// its params choose. ok is false for one it has none of.
type Registry func(spec *model.TrainSpec) (l Learner, ok bool)

// Stopped is a learner's error once ctx is done.
func Stopped(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("training stopped: %w", err)
	}
	return nil
}
