package learn

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"time"

	"gitlab.com/mlserve/mlserve/model"
)

// Trainer implements model.Trainer for every learner a Registry knows: it
// reads and checks the data, splits it as the spec's validation says,
// fits through the learner and evaluates the fitted predictors. It holds
// no state; one value can train any number of models at once.
type Trainer struct {
	learners Registry
	every    time.Duration // the least time between progress reports
}

// NewTrainer returns a Trainer of the given learners.
func NewTrainer(learners Registry) *Trainer {
	return &Trainer{learners: learners, every: progressEvery}
}

var _ model.Trainer = (*Trainer)(nil)

// Train implements model.Trainer. Progress counts units: 1 for reading
// the data, then each fit's units (trees or iterations, else 1; see
// Learner.Units) and 1 for each evaluation: 1+U+1 with a holdout,
// 1+(k+1)U+k with k folds, 1+k(U+1) for a trial of k folds (see
// model.TrialSpec: it keeps no model). Reports are at most every progressEvery apart,
// but for the last. ctx is checked between stages and by the learners
// within a fit; when it is done Train returns an error wrapping ctx.Err().
//
// With a holdout the stored model is the one fitted on the training rows,
// and the metrics are its predictions for the held-out rows; with k folds
// the metrics pool every row's prediction by the model fitted without its
// fold, and the stored model is refitted on every row. Either way
// predictions come from the predictor loaded from the artifact, so they
// are the stored model's. Predictions are made on GOMAXPROCS goroutines,
// and fits may use as many.
//
// Errors: CodeInvalid for a spec or data that cannot train (see
// ReadData), the learner's own (CodeTrainFailed when its library fails).
func (t *Trainer) Train(ctx context.Context, spec model.TrainSpec, data io.Reader, progress func(model.Progress)) (*model.TrainResult, error) {
	r, err := t.newRun(&spec)
	if err != nil {
		return nil, err
	}
	units := int64(r.l.Units(spec.Params))
	total := 1 + units + 1
	switch {
	case spec.Trial != nil:
		total = 1 + int64(spec.Trial.Folds)*(units+1)
	case spec.Validation.Folds > 1:
		k := int64(spec.Validation.Folds)
		total = 1 + (k+1)*units + k
	}
	r.units = units
	r.progress = newReporter(progress, total, t.every)
	r.progress.set(0)
	if err := Stopped(ctx); err != nil {
		return nil, err
	}
	if r.d, err = ReadData(data, &spec, spec.AcceptsMissing()); err != nil {
		return nil, err
	}
	r.progress.set(1)
	if spec.Trial != nil {
		return r.trial(ctx)
	}
	if spec.Validation.Folds > 1 {
		return r.crossValidate(ctx)
	}
	return r.holdout(ctx)
}

// run is one training.
type run struct {
	spec     *model.TrainSpec
	alg      model.Algorithm
	l        Learner
	d        *Data
	threads  int
	units    int64
	progress *reporter
}

// newRun checks what PrepareTrain checked, since a spec may come from
// anywhere (the training child decodes it from JSON, where ints are
// floats), and normalizes the params.
func (t *Trainer) newRun(spec *model.TrainSpec) (*run, error) {
	alg, ok := model.LookupAlgorithm(spec.Algorithm)
	switch {
	case !ok:
		return nil, invalidf("unknown algorithm %q", spec.Algorithm)
	case len(spec.Features) == 0:
		return nil, invalidf("no features to train on")
	case spec.Validation.Folds == 1 || spec.Validation.Folds > 1 && spec.Validation.Holdout != 0:
		return nil, invalidf("validation %+v: folds must be 0 or at least 2, without a holdout", spec.Validation)
	case spec.Validation.Folds == 0 && !(spec.Validation.Holdout > 0 && spec.Validation.Holdout < 1):
		return nil, invalidf("validation %+v: the holdout must be between 0 and 1", spec.Validation)
	}
	plans := model.PlanFeatures(spec.Preprocess, spec.Features)
	for i, f := range spec.Features {
		if f.Type == model.ColumnString && !alg.StringFeatures && !plans[i].OneHot || f.Type != model.ColumnString && f.Type != model.ColumnNumber {
			return nil, invalidf("%s cannot take feature %q of type %q", alg.Name, f.Name, f.Type)
		}
	}
	params, err := model.CheckParams(spec.Algorithm, spec.Task, spec.Params, spec.Features)
	if err != nil {
		return nil, err
	}
	spec.Params = params
	l, ok := t.learners(spec)
	if !ok {
		return nil, invalidf("no learner for %s with params %v", spec.Algorithm, params)
	}
	return &run{spec: spec, alg: alg, l: l, threads: runtime.GOMAXPROCS(0)}, nil
}

// holdout fits on the training part of a seeded split and evaluates on
// the rest.
func (r *run) holdout(ctx context.Context) (*model.TrainResult, error) {
	v := r.spec.Validation
	train, test := HoldoutSplit(r.d.Rows, v.Holdout, v.Seed)
	if len(test) == 0 || len(train) == 0 {
		return nil, invalidf("a holdout of %g of %d rows leaves %d rows to train on and %d to test on", v.Holdout, r.d.Rows, len(train), len(test))
	}
	fitted, err := r.fit(ctx, train, 0, 1)
	if err != nil {
		return nil, err
	}
	classes, values, err := Predict(ctx, fitted.Predictor, r.d, test, r.threads)
	if err != nil {
		return nil, err
	}
	m := r.metrics(test, classes, values)
	m.Method, m.Holdout, m.TrainRows = model.MethodHoldout, v.Holdout, len(train)
	r.progress.set(r.progress.total)
	return r.result(fitted, m), nil
}

// crossValidate pools out-of-fold predictions, then refits on every row.
func (r *run) crossValidate(ctx context.Context) (*model.TrainResult, error) {
	v := r.spec.Validation
	if v.Folds > r.d.Rows {
		return nil, invalidf("%d folds need at least %d rows; the dataset has %d", v.Folds, v.Folds, r.d.Rows)
	}
	var pooledClasses []int32 // classification
	var pooledValues []float64
	if r.d.Y != nil {
		pooledClasses = make([]int32, r.d.Rows)
	} else {
		pooledValues = make([]float64, r.d.Rows)
	}
	at := int64(1)
	for i, test := range FoldSplit(r.d.Rows, v.Folds, v.Seed) {
		fitted, err := r.fit(ctx, Complement(r.d.Rows, test), i, at)
		if err != nil {
			return nil, fmt.Errorf("fold %d: %w", i+1, err)
		}
		classes, values, err := Predict(ctx, fitted.Predictor, r.d, test, r.threads)
		if err != nil {
			return nil, err
		}
		for k, row := range test {
			if classes != nil {
				pooledClasses[row] = classes[k]
			} else {
				pooledValues[row] = values[k]
			}
		}
		at += r.units + 1
		r.progress.set(at)
	}
	all := AllRows(r.d.Rows)
	fitted, err := r.fit(ctx, all, v.Folds, at)
	if err != nil {
		return nil, err
	}
	m := r.metrics(all, pooledClasses, pooledValues)
	m.Method, m.Folds, m.TrainRows = model.MethodCrossValidation, v.Folds, r.d.Rows
	r.progress.set(r.progress.total)
	return r.result(fitted, m), nil
}

// fit fits a model on the given rows; its progress counts from at.
func (r *run) fit(ctx context.Context, rows []int, index int, at int64) (*Fitted, error) {
	if err := Stopped(ctx); err != nil {
		return nil, err
	}
	f := &Fit{
		Spec: r.spec, Data: r.d, Rows: rows, Index: index, Threads: r.threads,
		Progress: func(done int) { r.progress.set(at + min(int64(done), r.units)) },
	}
	fitted, err := r.l.Fit(ctx, f)
	if err != nil {
		return nil, err
	}
	r.progress.set(at + r.units)
	return fitted, nil
}

// metrics scores predictions of the given rows.
func (r *run) metrics(rows []int, classes []int32, values []float64) model.Metrics {
	m := model.Metrics{Seed: r.spec.Validation.Seed, TestRows: len(rows)}
	if r.d.Y != nil {
		truth, predicted := make([]int, len(rows)), make([]int, len(rows))
		for k, row := range rows {
			truth[k], predicted[k] = r.d.Y[row], int(classes[k])
		}
		m.Classification = Classification(r.d.Classes, truth, predicted)
		return m
	}
	truth := make([]float64, len(rows))
	for k, row := range rows {
		truth[k] = r.d.V[row]
	}
	m.Regression = Regression(truth, values)
	return m
}

// result is the training's result: the stored model and its metrics.
func (r *run) result(f *Fitted, m model.Metrics) *model.TrainResult {
	m.OutOfBag = f.OutOfBag
	res := &model.TrainResult{Artifact: f.Artifact, Classes: r.d.Classes, Metrics: m, Iterations: f.Iterations, Preprocess: f.Preprocess}
	if f.Importances != nil {
		for i, c := range r.spec.Features {
			res.FeatureImportances = append(res.FeatureImportances, model.FeatureImportance{Feature: c.Name, Importance: f.Importances[i]})
		}
	}
	return res
}

// invalidf returns a CodeInvalid error: the data cannot train this model.
func invalidf(format string, args ...any) error {
	return model.Errorf(model.CodeInvalid, format, args...)
}
