package model

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"strings"
)

// The validation a train request gets when it asks for none.
const (
	DefaultHoldout = 0.2
	DefaultSeed    = 1
)

// PrepareTrain checks a train request against the dataset it names and
// returns the TrainSpec a Trainer runs: the target and features resolved
// (features default to every column but the target, in dataset order), the
// parameters with defaults filled in (see CheckParams) and the validation
// (no validation: a holdout of DefaultHoldout with seed DefaultSeed; see
// ValidationRule).
//
// The API calls it at submit time and the worker again at run time; both
// see the same dataset, which never changes, so both get the same spec.
//
// Every problem is reported at once, in a CodeInvalid *Error whose Fields
// are keyed by the request's JSON paths: "target", "features[2]" (or
// "features" when they were defaulted), "params.trees", "params",
// "algorithm", "validation.folds", "validation.holdout", plus whatever
// JobRequest.Valid reports.
func PrepareTrain(req *JobRequest, ds *Dataset) (*TrainSpec, error) {
	p := map[string]string{}
	if err := req.Valid(); err != nil {
		var e *Error
		if !errors.As(err, &e) || e.Code != CodeInvalid {
			return nil, err
		}
		maps.Copy(p, e.Fields)
	}
	if req.Type != JobTrain {
		if _, set := p["type"]; !set {
			p["type"] = "not a train job"
		}
		return nil, Invalid(p)
	}
	name := req.Algorithm
	multi := req.Search != nil && req.Search.Algorithms != nil
	if multi && name == "" && len(req.Search.Algorithms) > 0 {
		name = sortedKeys(req.Search.Algorithms)[0] // the task is inferred for it
	}
	alg, known := LookupAlgorithm(name)
	columns := make(map[string]Column, len(ds.Columns))
	for _, c := range ds.Columns {
		columns[c.Name] = c
	}
	task := req.Task
	if c, ok := columns[req.Target]; ok {
		if task == "" && known {
			task = InferTask(alg, variantOf(alg, req.Params), c)
		}
		// With an unknown algorithm, alg is the zero Algorithm: only the
		// checks that do not depend on it apply.
		if problem := targetProblem(c, alg, task); problem != "" {
			p["target"] = problem
		}
	} else if req.Target != "" {
		p["target"] = fmt.Sprintf("no column %q in the dataset", req.Target)
	}
	features, steps := resolveFeatures(req, ds, columns, alg, known, p)
	var params map[string]any
	if known {
		checked := task
		if checked == "" { // no target to infer it from, a problem already
			checked = alg.Tasks[0]
		}
		params = checkParams(alg.Name, checked, req.Params, features, p)
	}
	v := validation(req.Validation)
	var plan *SearchPlan
	if req.Search != nil && known && task != "" {
		if multi {
			for _, other := range sortedKeys(req.Search.Algorithms)[1:] {
				if a, ok := LookupAlgorithm(other); ok {
					resolveFeatures(req, ds, columns, a, true, p)
				}
			}
		}
		plan = planSearch(req, task, features, TrainRows(int(ds.Rows), v), p)
	}
	if len(p) == 0 {
		checkSizes(alg, params, features, v, int(ds.Rows), p)
	}
	if err := Invalid(p); err != nil {
		return nil, err
	}
	if plan != nil {
		if len(plan.Candidates) == 0 {
			return nil, Invalid(map[string]string{"search": "no candidate to try"})
		}
		first := plan.Candidates[0]
		alg.Name, params = first.Algorithm, first.Params
	}
	return &TrainSpec{
		Algorithm:  alg.Name,
		Params:     params,
		Task:       task,
		Target:     req.Target,
		Features:   features,
		Validation: v,
		Preprocess: steps,
		Search:     plan,
	}, nil
}

// resolveFeatures returns the features to train on, names and types only,
// without the ones the steps drop, and the steps resolved (see
// resolveSteps). It adds a problem for each unusable feature: under
// "features[i]" for a listed one, under "features" for defaulted ones.
func resolveFeatures(req *JobRequest, ds *Dataset, columns map[string]Column, alg Algorithm, known bool, p map[string]string) ([]Column, []Step) {
	var candidates []Column
	keys := map[string]string{}
	if len(req.Features) > 0 {
		for i, name := range req.Features {
			key := fmt.Sprintf("features[%d]", i)
			c, ok := columns[name]
			if _, set := p[key]; set || name == "" {
				continue
			}
			if !ok {
				p[key] = fmt.Sprintf("no column %q in the dataset", name)
				continue
			}
			candidates, keys[name] = append(candidates, c), key
		}
	} else {
		for _, c := range ds.Columns {
			if c.Name != req.Target {
				candidates, keys[c.Name] = append(candidates, c), "features"
			}
		}
	}
	kept, steps := resolveSteps(req.Preprocess, candidates, columns, p)
	var problems []string
	features := make([]Column, 0, len(kept))
	for i, plan := range PlanFeatures(steps, kept) {
		c := kept[i]
		if problem := featureProblem(c, plan, alg, known); problem != "" {
			if key := keys[c.Name]; key != "features" {
				p[key] = problem
			} else {
				problems = append(problems, problem)
			}
		}
		features = append(features, Column{Name: c.Name, Type: c.Type})
	}
	switch {
	case len(problems) > 0:
		p["features"] = strings.Join(problems, "; ")
	case len(candidates) == 0 && len(req.Features) == 0:
		p["features"] = "no feature columns: the dataset has only the target column"
	}
	return features, steps
}

// MaxInferredClasses is the most distinct whole numbers a number target
// may hold and still be taken for classes when the request names no task.
const MaxInferredClasses = 20

// InferTask is the task of a request that names none: the only task the
// algorithm's variant learns; else classification for a string target and
// for a number target of whole numbers with at most MaxInferredClasses
// distinct values; else regression.
func InferTask(alg Algorithm, variant string, target Column) string {
	if tasks := alg.VariantTasks(variant); len(tasks) == 1 {
		return tasks[0]
	}
	if target.Type == ColumnString || !target.Fractional && target.Distinct > 0 && target.Distinct <= MaxInferredClasses {
		return TaskClassification
	}
	return TaskRegression
}

// targetProblem says why column c cannot be alg's target for task, or "".
//
// A Distinct of 0 on a column with values means the dataset was inspected
// before distinct values were counted: the trainer checks classes itself.
func targetProblem(c Column, alg Algorithm, task string) string {
	switch {
	case c.Empty > 0:
		return fmt.Sprintf("column %q has %d empty cells; every training row needs a target", c.Name, c.Empty)
	case task == TaskRegression && c.Type != ColumnNumber:
		return fmt.Sprintf("a regression needs a number target; column %q holds strings", c.Name)
	case task == TaskClassification && c.Distinct >= DistinctCap:
		return fmt.Sprintf("too many classes: column %q has at least %d distinct values; a classification target may have at most %d",
			c.Name, c.Distinct, MaxClasses)
	case task == TaskClassification && c.Distinct == 1:
		return fmt.Sprintf("column %q has a single value; a classification target needs at least 2 classes", c.Name)
	}
	return ""
}

// featureProblem says why column c, preprocessed as plan says, cannot be
// a feature of alg, or "".
func featureProblem(c Column, plan FeaturePlan, alg Algorithm, known bool) string {
	switch {
	case c.Type == ColumnEmpty:
		return fmt.Sprintf("column %q is empty in every row, so there is nothing to learn from it; leave it out of features", c.Name)
	case c.Empty > 0 && !plan.Imputed && !(known && alg.MissingValues):
		return missingValues(c, alg, known)
	case c.Type == ColumnString && known && !alg.StringFeatures && !plan.OneHot:
		return fmt.Sprintf("%s takes only number features; column %q holds strings (a one_hot step encodes them)", alg.Name, c.Name)
	case c.Type == ColumnString && c.Distinct >= DistinctCap:
		return fmt.Sprintf("column %q has at least %d distinct values; a string feature may have at most %d (each value becomes an indicator)",
			c.Name, c.Distinct, MaxClasses)
	}
	return ""
}

func missingValues(c Column, alg Algorithm, known bool) string {
	name := "this algorithm"
	if known {
		name = alg.Name
	}
	return fmt.Sprintf("%s cannot handle missing values: column %q has %d empty cells (an impute step fills them; gradient_boosting takes them)", name, c.Name, c.Empty)
}

// validation is a request's validation, or the default when it has none.
// A decoded request has its fields' defaults already (see
// ValidationSpec.UnmarshalJSON); nothing given is replaced.
func validation(req *ValidationSpec) ValidationSpec {
	if req == nil {
		return ValidationSpec{Holdout: DefaultHoldout, Seed: DefaultSeed}
	}
	return *req
}

// checkSizes checks what depends on the number of rows: enough to test
// and train on, k neighbours, a solvable regression. It runs only on an
// otherwise valid request, so params are filled in.
func checkSizes(alg Algorithm, params map[string]any, features []Column, v ValidationSpec, rows int, p map[string]string) {
	train := TrainRows(rows, v)
	if v.Folds > 1 {
		if v.Folds > rows {
			p["validation.folds"] = fmt.Sprintf("%d folds need at least %d rows; the dataset has %d", v.Folds, v.Folds, rows)
			return
		}
	} else {
		test := HoldoutTestRows(rows, v.Holdout)
		switch {
		case test < 1:
			p["validation.holdout"] = fmt.Sprintf("a holdout of %s of %d rows leaves no row to test on", formatNumber(v.Holdout), rows)
			return
		case train < 1:
			p["validation.holdout"] = fmt.Sprintf("a holdout of %s of %d rows leaves no row to train on", formatNumber(v.Holdout), rows)
			return
		}
	}
	if k, ok := params["k"].(int); ok && k > train {
		p["params.k"] = fmt.Sprintf("must be at most %d, the rows each model is fitted on", train)
	}
	if alg.Name == "linear_regression" && train < len(features)+1 {
		p["features"] = fmt.Sprintf("a regression on %d features needs at least %d training rows; this validation leaves %d",
			len(features), len(features)+1, train)
	}
}

// HoldoutTestRows is how many of rows a holdout fraction tests on; the
// others train. Trainers split exactly this way.
func HoldoutTestRows(rows int, holdout float64) int {
	return int(math.Round(holdout * float64(rows)))
}

// TrainRows is the fewest rows any model v fits during evaluation: the
// training part of the holdout, or of the largest fold.
func TrainRows(rows int, v ValidationSpec) int {
	if v.Folds > 1 {
		return rows - (rows+v.Folds-1)/v.Folds
	}
	return rows - HoldoutTestRows(rows, v.Holdout)
}
