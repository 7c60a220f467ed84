package model

import (
	"fmt"
	"math"
)

// Valid checks the shape of a job request: the fields its type needs are
// there and the fields of the other type are not. Whether the dataset, model
// or algorithm parameters make sense is checked against the stores later.
func (r *JobRequest) Valid() error {
	p := map[string]string{}
	if r.Model == "" {
		p["model"] = "required"
	} else if !ValidName(r.Model) {
		p["model"] = "must match [a-z0-9][a-z0-9_.-]{0,62}"
	}
	if r.Dataset == "" {
		p["dataset"] = "required"
	}
	switch r.Type {
	case JobTrain:
		r.validTrain(p)
	case JobScore:
		r.validScore(p)
	case "":
		p["type"] = "required"
	default:
		p["type"] = fmt.Sprintf("unknown job type %q (want train or score)", r.Type)
	}
	return Invalid(p)
}

func (r *JobRequest) validTrain(p map[string]string) {
	if r.Target == "" {
		p["target"] = "required"
	}
	validSearch(r, p)
	switch {
	case r.Algorithm == "" && r.Search != nil && r.Search.Algorithms != nil:
	case r.Algorithm == "":
		p["algorithm"] = "required"
	case !KnownAlgorithm(r.Algorithm):
		p["algorithm"] = fmt.Sprintf("unknown algorithm %q", r.Algorithm)
	}
	if r.Task != "" && r.Task != TaskClassification && r.Task != TaskRegression {
		p["task"] = fmt.Sprintf("unknown task %q (want classification or regression)", r.Task)
	}
	if r.Features != nil && len(r.Features) == 0 {
		p["features"] = "empty: list at least one feature, or leave features out to train on every other column"
	}
	seen := map[string]bool{}
	for i, f := range r.Features {
		switch {
		case f == "":
			p[fmt.Sprintf("features[%d]", i)] = "empty feature name"
		case f == r.Target:
			p[fmt.Sprintf("features[%d]", i)] = "the target cannot be a feature"
		case seen[f]:
			p[fmt.Sprintf("features[%d]", i)] = fmt.Sprintf("duplicate feature %q", f)
		}
		seen[f] = true
	}
	if v := r.Validation; v != nil {
		if math.IsNaN(v.Holdout) || v.Holdout < 0 || v.Holdout >= 1 {
			p["validation.holdout"] = "must be in [0, 1)"
		}
		if v.Folds < 0 || v.Folds == 1 || v.Folds > 20 {
			p["validation.folds"] = "must be 0 (holdout) or between 2 and 20"
		}
		if v.Folds > 1 && v.Holdout > 0 {
			p["validation.folds"] = "use either holdout or folds, not both"
		}
		if v.Folds == 0 && v.Holdout == 0 {
			p["validation.holdout"] = "0 leaves no rows to test the model on: give a holdout in (0, 1), or folds from 2 to 20"
		}
	}
	validSteps(r.Preprocess, p)
	if r.SetAlias != "" && !ValidName(r.SetAlias) {
		p["set_alias"] = "must match [a-z0-9][a-z0-9_.-]{0,62}"
	}
	for _, f := range []struct {
		name string
		set  bool
	}{{"version", r.Version != 0}, {"alias", r.Alias != ""}, {"include_input", r.IncludeInput}} {
		if f.set {
			p[f.name] = "not a field of a train job"
		}
	}
}

func (r *JobRequest) validScore(p map[string]string) {
	if r.Version < 0 {
		p["version"] = "must be positive"
	}
	if r.Version > 0 && r.Alias != "" {
		p["alias"] = "give either version or alias, not both"
	}
	if r.Alias != "" && !ValidName(r.Alias) {
		p["alias"] = "must match [a-z0-9][a-z0-9_.-]{0,62}"
	}
	for _, f := range []struct {
		name string
		set  bool
	}{
		{"target", r.Target != ""}, {"features", r.Features != nil}, {"algorithm", r.Algorithm != ""}, {"task", r.Task != ""},
		{"params", r.Params != nil}, {"validation", r.Validation != nil}, {"set_alias", r.SetAlias != ""},
		{"preprocess", r.Preprocess != nil}, {"search", r.Search != nil},
	} {
		if f.set {
			p[f.name] = "not a field of a score job"
		}
	}
}
