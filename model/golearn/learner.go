package golearn

import (
	"context"
	"fmt"

	"gitlab.com/mlserve/mlserve/internal/learn"
	"gitlab.com/mlserve/mlserve/model"
)

// Learner returns the learner of a spec that golearn fits: random_forest
// and decision_tree with engine golearn, knn, logistic_regression,
// linear_regression and naive_bayes of kind bernoulli. spec.Params are
// normalized (model.CheckParams).
func Learner(spec *model.TrainSpec) (learn.Learner, bool) {
	l, ok := learnerFor(spec.Algorithm, spec.Task)
	if !ok || !ownsVariant(spec.Algorithm, spec.Params) {
		return nil, false
	}
	return &golearnLearner{l: l}, true
}

// ownsVariant reports whether params choose golearn's implementation of
// an algorithm that has several.
func ownsVariant(algorithm string, params map[string]any) bool {
	alg, _ := model.LookupAlgorithm(algorithm)
	return alg.Variant == "" || params[alg.Variant] == golearnVariant(alg)
}

// golearnVariant is the variant golearn implements of an algorithm that
// has several: engine golearn, or kind bernoulli.
func golearnVariant(alg model.Algorithm) string {
	if alg.Variant == "kind" {
		return model.KindBernoulli
	}
	return model.EngineGolearn
}

// golearnLearner implements learn.Learner with one of this package's
// learners. A fit encodes the rows (see fitInput), fits, writes the
// artifact and loads it back as the predictor that serves it.
type golearnLearner struct{ l learner }

// Units implements learn.Learner: a forest's trees, else 1.
func (g *golearnLearner) Units(params map[string]any) int {
	if trees, ok := params["trees"].(int); ok {
		return trees
	}
	return 1
}

// Fit implements learn.Learner.
func (g *golearnLearner) Fit(ctx context.Context, f *learn.Fit) (*learn.Fitted, error) {
	silenceGolearn()
	spec, d := f.Spec, f.Data
	bins := 0
	if g.l.binned {
		bins = spec.Params["bins"].(int)
	}
	encs := learn.FitEncodings(d.Features, f.Rows, bins)
	en := learn.NewEncoder(encs)
	in := &fitInput{
		x:        en.Encode(d.Features, f.Rows),
		classes:  d.Classes,
		groups:   en.Groups(),
		dims:     en.Width,
		params:   spec.Params,
		rng:      learn.NewRand(spec.Validation.Seed, learn.StreamFit+uint64(f.Index)),
		progress: f.Progress,
	}
	for i, e := range encs {
		for range e.Width() {
			in.names = append(in.names, d.Features[i].Name)
		}
	}
	for _, row := range f.Rows {
		if d.Y != nil {
			in.y = append(in.y, d.Y[row])
		} else {
			in.v = append(in.v, d.V[row])
		}
	}
	payload, err := g.l.fit(ctx, in)
	if err != nil {
		return nil, err
	}
	h := &header{
		Library: library, Algorithm: spec.Algorithm, Params: spec.Params, Task: spec.Task, Target: spec.Target,
		Features: featureColumns(spec.Features), Encodings: encs, Dims: en.Width, Classes: d.Classes,
		Payload: g.l.payload,
	}
	if spec.Algorithm == "knn" {
		h.KNN = &knnSettings{K: spec.Params["k"].(int), Distance: spec.Params["distance"].(string), Rows: len(f.Rows)}
	}
	artifact, err := marshalArtifact(h, payload)
	if err != nil {
		return nil, err
	}
	p, err := NewPredictorLoader().LoadPredictor(artifact)
	if err != nil {
		return nil, fmt.Errorf("load the artifact just trained: %w", err)
	}
	return &learn.Fitted{Artifact: artifact, Predictor: p}, nil
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
