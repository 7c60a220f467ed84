package golearn

import (
	"context"
	"fmt"
	"io"

	"gitlab.com/mlserve/mlserve/model"
)

// Trainer trains models with golearn; it implements model.Trainer. It
// holds no state: one value can train any number of models, though a
// process is best kept to one training (see the package doc).
type Trainer struct{}

// NewTrainer returns a Trainer.
func NewTrainer() *Trainer { return &Trainer{} }

var _ model.Trainer = (*Trainer)(nil)

// Train implements model.Trainer. Progress counts stages: reading the
// data, then with a holdout fitting and evaluating (3 in all), with k
// folds one stage per fold and the final refit on every row (k+2). ctx is
// checked between stages, folds and a forest's trees; when it is done
// Train returns an error wrapping ctx.Err().
//
// With a holdout the stored model is the one fitted on the training rows,
// and the metrics are its predictions for the held-out rows; with k folds
// the metrics pool every row's prediction by the model fitted without its
// fold, and the stored model is refitted on every row. Either way
// predictions come from Load(artifact), so they are the stored model's.
//
// Errors: CodeInvalid for a spec or data that cannot train (see
// readData), CodeTrainFailed when golearn fails (a panic, a singular
// regression).
func (t *Trainer) Train(ctx context.Context, spec model.TrainSpec, data io.Reader, progress func(model.Progress)) (*model.TrainResult, error) {
	silenceGolearn()
	r, err := newRun(&spec)
	if err != nil {
		return nil, err
	}
	r.total = 3
	if spec.Validation.Folds > 1 {
		r.total = spec.Validation.Folds + 2
	}
	r.progress = progress
	r.report(0)
	if err := stopped(ctx); err != nil {
		return nil, err
	}
	if r.d, err = readData(data, &spec); err != nil {
		return nil, err
	}
	r.report(1)
	if spec.Validation.Folds > 1 {
		return r.crossValidate(ctx)
	}
	return r.holdout(ctx)
}

// run is one training.
type run struct {
	spec     *model.TrainSpec
	l        learner
	params   map[string]any
	d        *data
	total    int
	progress func(model.Progress)
}

// newRun checks what PrepareTrain checked, since a spec may come from
// anywhere (the training child decodes it from JSON, where ints are
// floats), and normalizes the params.
func newRun(spec *model.TrainSpec) (*run, error) {
	alg, ok := model.LookupAlgorithm(spec.Algorithm)
	l, ok2 := learnerFor(spec.Algorithm)
	switch {
	case !ok || !ok2:
		return nil, invalidf("unknown algorithm %q", spec.Algorithm)
	case spec.Task != alg.Task:
		return nil, invalidf("%s is a %s algorithm, not %s", alg.Name, alg.Task, spec.Task)
	case len(spec.Features) == 0:
		return nil, invalidf("no features to train on")
	case spec.Validation.Folds == 1 || spec.Validation.Folds > 1 && spec.Validation.Holdout != 0:
		return nil, invalidf("validation %+v: folds must be 0 or at least 2, without a holdout", spec.Validation)
	case spec.Validation.Folds == 0 && !(spec.Validation.Holdout > 0 && spec.Validation.Holdout < 1):
		return nil, invalidf("validation %+v: the holdout must be between 0 and 1", spec.Validation)
	}
	for _, f := range spec.Features {
		if f.Type == model.ColumnString && !alg.StringFeatures || f.Type != model.ColumnString && f.Type != model.ColumnNumber {
			return nil, invalidf("%s cannot take feature %q of type %q", alg.Name, f.Name, f.Type)
		}
	}
	params, err := model.CheckParams(spec.Algorithm, spec.Params, len(spec.Features))
	if err != nil {
		return nil, err
	}
	return &run{spec: spec, l: l, params: params}, nil
}

func (r *run) report(done int) {
	if r.progress != nil {
		r.progress(model.Progress{Done: int64(done), Total: int64(r.total)})
	}
}

func stopped(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("training stopped: %w", err)
	}
	return nil
}

// holdout fits on the training part of a seeded split and evaluates on
// the rest.
func (r *run) holdout(ctx context.Context) (*model.TrainResult, error) {
	v := r.spec.Validation
	train, test := holdoutSplit(r.d.rows, v.Holdout, v.Seed)
	if len(test) == 0 || len(train) == 0 {
		return nil, invalidf("a holdout of %g of %d rows leaves %d rows to train on and %d to test on", v.Holdout, r.d.rows, len(train), len(test))
	}
	if err := stopped(ctx); err != nil {
		return nil, err
	}
	artifact, err := r.fit(ctx, train, 0)
	if err != nil {
		return nil, err
	}
	r.report(2)
	if err := stopped(ctx); err != nil {
		return nil, err
	}
	got, err := r.evaluate(artifact, test)
	if err != nil {
		return nil, err
	}
	m := r.metrics(test, got)
	m.Method, m.Holdout, m.TrainRows = model.MethodHoldout, v.Holdout, len(train)
	r.report(3)
	return &model.TrainResult{Artifact: artifact, Classes: r.d.classes, Metrics: m}, nil
}

// crossValidate pools out-of-fold predictions, then refits on every row.
func (r *run) crossValidate(ctx context.Context) (*model.TrainResult, error) {
	v := r.spec.Validation
	if v.Folds > r.d.rows {
		return nil, invalidf("%d folds need at least %d rows; the dataset has %d", v.Folds, v.Folds, r.d.rows)
	}
	pooled := make([]outcome, r.d.rows)
	for i, test := range foldSplit(r.d.rows, v.Folds, v.Seed) {
		if err := stopped(ctx); err != nil {
			return nil, err
		}
		artifact, err := r.fit(ctx, complement(r.d.rows, test), i)
		if err != nil {
			return nil, fmt.Errorf("fold %d: %w", i+1, err)
		}
		got, err := r.evaluate(artifact, test)
		if err != nil {
			return nil, err
		}
		for k, row := range test {
			pooled[row] = got[k]
		}
		r.report(2 + i)
	}
	if err := stopped(ctx); err != nil {
		return nil, err
	}
	all := allRows(r.d.rows)
	artifact, err := r.fit(ctx, all, v.Folds)
	if err != nil {
		return nil, err
	}
	m := r.metrics(all, pooled)
	m.Method, m.Folds, m.TrainRows = model.MethodCrossValidation, v.Folds, r.d.rows
	r.report(r.total)
	return &model.TrainResult{Artifact: artifact, Classes: r.d.classes, Metrics: m}, nil
}

// fit fits a model on the given rows and returns its artifact. index
// tells the models of one training apart, so each draws its own random
// stream (a fold, or the final model).
func (r *run) fit(ctx context.Context, rows []int, index int) ([]byte, error) {
	bins, _ := r.params["bins"].(int)
	encs := fitEncodings(r.l.style, r.d.features, rows, bins)
	en := newEncoder(encs)
	in := &fitInput{
		x:       en.encode(r.d.features, rows),
		classes: r.d.classes,
		groups:  en.groups(),
		dims:    en.width,
		params:  r.params,
		rng:     newRand(r.spec.Validation.Seed, streamFit+uint64(index)),
	}
	for i, e := range encs {
		for range e.width() {
			in.names = append(in.names, r.d.features[i].Name)
		}
	}
	for _, row := range rows {
		if r.d.y != nil {
			in.y = append(in.y, r.d.y[row])
		} else {
			in.v = append(in.v, r.d.v[row])
		}
	}
	payload, err := r.l.fit(ctx, in)
	if err != nil {
		return nil, err
	}
	h := &header{
		Library: library, Algorithm: r.spec.Algorithm, Params: r.params, Task: r.spec.Task, Target: r.spec.Target,
		Features: featureColumns(r.spec.Features), Encodings: encs, Dims: en.width, Classes: r.d.classes,
		Payload: r.l.payload,
	}
	if r.spec.Algorithm == "knn" {
		h.KNN = &knnSettings{K: r.params["k"].(int), Distance: r.params["distance"].(string), Rows: len(rows)}
	}
	return marshalArtifact(h, payload)
}

// evaluate predicts the given rows with the model an artifact holds.
func (r *run) evaluate(artifact []byte, rows []int) ([]outcome, error) {
	m, err := Load(artifact)
	if err != nil {
		return nil, fmt.Errorf("load the artifact just trained: %w", err)
	}
	return m.outcomes(r.d.features, rows), nil
}

// metrics scores predictions of the given rows.
func (r *run) metrics(rows []int, got []outcome) model.Metrics {
	m := model.Metrics{Seed: r.spec.Validation.Seed, TestRows: len(rows)}
	if r.d.y != nil {
		truth, predicted := make([]int, len(rows)), make([]int, len(rows))
		for k, row := range rows {
			truth[k], predicted[k] = r.d.y[row], got[k].class
		}
		m.Classification = classification(r.d.classes, truth, predicted)
		return m
	}
	truth, predicted := make([]float64, len(rows)), make([]float64, len(rows))
	for k, row := range rows {
		truth[k], predicted[k] = r.d.v[row], got[k].value
	}
	m.Regression = regression(truth, predicted)
	return m
}

// featureColumns keeps the names and types of features, not a dataset's
// counts.
func featureColumns(cols []model.Column) []model.Column {
	out := make([]model.Column, len(cols))
	for i, c := range cols {
		out[i] = model.Column{Name: c.Name, Type: c.Type}
	}
	return out
}
