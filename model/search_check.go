package model

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
)

// validSearch checks the shape of a train request's search: one form of
// candidates, known metric, a sane number of folds. The parameters it
// names are checked against the algorithm by planSearch.
func validSearch(r *JobRequest, p map[string]string) {
	s := r.Search
	if s == nil {
		return
	}
	if s.Algorithms != nil {
		if r.Algorithm != "" {
			p["algorithm"] = "give either algorithm or search.algorithms, not both"
		}
		if r.Params != nil {
			p["params"] = "with search.algorithms, each algorithm's space gives its parameters"
		}
		if s.Grid != nil || s.Random != nil {
			p["search"] = "give one of grid, random or algorithms"
		}
		if len(s.Algorithms) == 0 {
			p["search.algorithms"] = "required: at least one algorithm"
		}
		for _, name := range sortedKeys(s.Algorithms) {
			if !KnownAlgorithm(name) {
				p["search.algorithms."+clipName(name)] = fmt.Sprintf("unknown algorithm %q", clipName(name))
				continue
			}
			validSpace(s.Algorithms[name], "search.algorithms."+name, p)
		}
	} else {
		validSpace(s.SearchSpace, "search", p)
	}
	if s.Metric != "" && MetricTask(s.Metric) == "" {
		p["search.metric"] = fmt.Sprintf("unknown metric %q (want accuracy, macro_f1, r2, rmse or mae)", s.Metric)
	}
	if s.Folds != 0 && (s.Folds < 2 || s.Folds > 20) {
		p["search.folds"] = "must be between 2 and 20"
	}
}

func clipName(s string) string {
	if len(s) > 64 {
		return s[:64]
	}
	return s
}

func validSpace(sp SearchSpace, key string, p map[string]string) {
	switch {
	case (sp.Grid != nil) == (sp.Random != nil):
		p[key] = "give grid or random, one of them"
	case sp.Grid != nil: // {} is one candidate: the defaults
		for _, name := range sortedKeys(sp.Grid) {
			if n := len(sp.Grid[name]); n == 0 || n > MaxSearchValues {
				p[key+".grid."+clipName(name)] = fmt.Sprintf("must list 1 to %d values", MaxSearchValues)
			}
		}
	default:
		r := sp.Random
		if r.Trials < 1 || r.Trials > MaxTrials {
			p[key+".random.trials"] = fmt.Sprintf("must be between 1 and %d", MaxTrials)
		}
		if len(r.Params) == 0 {
			p[key+".random.params"] = "required: at least one parameter with its distribution"
		}
		for _, name := range sortedKeys(r.Params) {
			if problem := distributionProblem(r.Params[name]); problem != "" {
				p[key+".random.params."+clipName(name)] = problem
			}
		}
	}
}

func distributionProblem(d Distribution) string {
	forms := 0
	for _, set := range []bool{d.Int != nil, d.Float != nil, d.Log != nil, d.Choice != nil} {
		if set {
			forms++
		}
	}
	if forms != 1 {
		return `give one of {"int": [lo, hi]}, {"float": [lo, hi]}, {"log": [lo, hi]} or {"choice": [values]}`
	}
	if d.Choice != nil {
		if len(d.Choice) == 0 || len(d.Choice) > MaxSearchValues {
			return fmt.Sprintf("must list 1 to %d choices", MaxSearchValues)
		}
		return ""
	}
	r := slices.Concat(d.Int, d.Float, d.Log)
	switch {
	case len(r) != 2 || !(r[0] <= r[1]) || math.IsInf(r[0], 0) || math.IsInf(r[1], 0):
		return "must be [lo, hi], finite, lo at most hi"
	case d.Int != nil && (r[0] != math.Trunc(r[0]) || r[1] != math.Trunc(r[1])):
		return "an int range has whole-number bounds"
	case d.Log != nil && !(r[0] > 0):
		return "a log range needs lo above 0"
	}
	return ""
}

// planSearch checks a request's search against the algorithms, the task
// and the features, and returns the candidates in trial order: the
// algorithms by name, a grid's combinations with the parameters in name
// order (the last varying fastest), a random search's distinct draws
// from the search's seed. A candidate's params are the request's params
// (single algorithm) overridden by its values, checked and filled in by
// CheckParams; a problem is reported under the search path of the value
// that causes it. trainRows is how many rows the trials cross-validate.
func planSearch(req *JobRequest, task string, features []Column, trainRows int, p map[string]string) *SearchPlan {
	s := req.Search
	plan := &SearchPlan{Metric: s.Metric, Folds: s.Folds, Seed: s.Seed}
	if plan.Metric == "" {
		plan.Metric = map[string]string{TaskClassification: MetricAccuracy, TaskRegression: MetricR2}[task]
	}
	if plan.Folds == 0 {
		plan.Folds = DefaultSearchFolds
	}
	if plan.Seed == 0 {
		plan.Seed = DefaultSeed
	}
	if t := MetricTask(plan.Metric); t != "" && t != task {
		p["search.metric"] = fmt.Sprintf("%s scores a %s; this model is a %s", plan.Metric, t, task)
	}
	if plan.Folds > trainRows {
		p["search.folds"] = fmt.Sprintf("%d folds need at least %d training rows; the validation leaves %d", plan.Folds, plan.Folds, trainRows)
	}
	spaces, keys := map[string]SearchSpace{req.Algorithm: s.SearchSpace}, map[string]string{req.Algorithm: "search"}
	if s.Algorithms != nil {
		spaces, keys = s.Algorithms, map[string]string{}
		for name := range spaces {
			keys[name] = "search.algorithms." + name
		}
	}
	for i, name := range sortedKeys(spaces) {
		sp, key := spaces[name], keys[name]
		if hasProblem(p, key) || (sp.Grid == nil) == (sp.Random == nil) {
			continue // its shape is wrong, as validSearch reported
		}
		raw, bounds, valueKey := drawSpace(sp, name, plan.Seed, i)
		if raw == nil && sp.Grid != nil {
			p[key+".grid"] = fmt.Sprintf("more than %d combinations", MaxTrials)
			continue
		}
		seen := map[string]bool{}
		for k, values := range slices.Concat(bounds, raw) {
			merged := map[string]any{}
			for k, v := range req.Params {
				merged[k] = v
			}
			for k, v := range values {
				merged[k] = v
			}
			q := map[string]string{}
			params := checkParams(name, task, merged, features, q)
			for field, problem := range q {
				at := key
				if param, ok := strings.CutPrefix(field, "params."); ok && values[param] != nil {
					at = key + valueKey + param
				} else if ok {
					at = field
				}
				if _, set := p[at]; !set {
					p[at] = problem
				}
			}
			if len(q) > 0 || k < len(bounds) {
				continue
			}
			id, _ := json.Marshal(params)
			if !seen[string(id)] {
				seen[string(id)] = true
				plan.Candidates = append(plan.Candidates, Candidate{Algorithm: name, Params: params})
			}
		}
	}
	if len(plan.Candidates) > MaxTrials {
		p["search"] = fmt.Sprintf("%d trials, more than %d", len(plan.Candidates), MaxTrials)
	}
	return plan
}

// drawSpace returns the raw values of each candidate of a space (nil
// for a grid over MaxTrials combinations) and the path of a value below
// the space's key. A random space also returns bounds: each range's ends
// and each choice, one parameter at a time, so a value out of a
// parameter's bounds is reported whatever is drawn; they are checked,
// not tried (see planSearch).
func drawSpace(sp SearchSpace, algorithm string, seed int64, index int) (raw, bounds []map[string]any, valueKey string) {
	if sp.Grid != nil {
		names := sortedKeys(sp.Grid)
		total := 1
		for _, n := range names {
			if total *= len(sp.Grid[n]); total > MaxTrials {
				return nil, nil, ""
			}
		}
		out := make([]map[string]any, 0, total)
		for c := range total {
			values, rest := map[string]any{}, c
			for j := len(names) - 1; j >= 0; j-- {
				vs := sp.Grid[names[j]]
				values[names[j]] = vs[rest%len(vs)]
				rest /= len(vs)
			}
			out = append(out, values)
		}
		return out, nil, ".grid."
	}
	alg, _ := LookupAlgorithm(algorithm)
	rng := rand.New(rand.NewPCG(uint64(seed), uint64(index)))
	names := sortedKeys(sp.Random.Params)
	var out []map[string]any
	seen := map[string]bool{}
	for tries := 0; len(out) < sp.Random.Trials && tries < 10*sp.Random.Trials; tries++ {
		values := map[string]any{}
		for _, n := range names {
			values[n] = draw(sp.Random.Params[n], wholeNumber(alg, n), rng)
		}
		id, _ := json.Marshal(values)
		if !seen[string(id)] {
			seen[string(id)] = true
			out = append(out, values)
		}
	}
	for _, n := range names {
		d := sp.Random.Params[n]
		for _, v := range slices.Concat(d.Int, d.Float, d.Log) {
			bounds = append(bounds, map[string]any{n: v})
		}
		for _, v := range d.Choice {
			bounds = append(bounds, map[string]any{n: v})
		}
	}
	return out, bounds, ".random.params."
}

func wholeNumber(alg Algorithm, param string) bool {
	i := slices.IndexFunc(alg.Params, func(s ParamSpec) bool { return s.Name == param })
	return i >= 0 && alg.Params[i].Type == ParamInt
}

// draw draws one value of d (see Distribution).
func draw(d Distribution, whole bool, rng *rand.Rand) any {
	switch {
	case d.Choice != nil:
		return d.Choice[rng.Uint64()%uint64(len(d.Choice))]
	case d.Int != nil:
		return d.Int[0] + float64(rng.Uint64()%(uint64(d.Int[1]-d.Int[0])+1))
	case d.Log != nil:
		lo, hi := math.Log(d.Log[0]), math.Log(d.Log[1])
		v := math.Exp(lo + unit(rng)*(hi-lo))
		if whole {
			v = math.Round(v)
		}
		return v
	}
	return d.Float[0] + unit(rng)*(d.Float[1]-d.Float[0])
}

// unit is a draw in [0, 1) from the generator's bits alone (PCG is a
// fixed algorithm; math/rand/v2's helpers may change), so a seed draws
// the same candidates on every Go version.
func unit(rng *rand.Rand) float64 {
	return float64(rng.Uint64()>>11) / (1 << 53)
}
