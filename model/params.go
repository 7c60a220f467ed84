package model

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
)

// CheckParams checks an algorithm's parameters for the given task and
// features and returns them with every default filled in and every value
// of its declared type: int for ParamInt, float64 for ParamFloat, string
// for ParamString, and for ParamFeatures a string, a float64 fraction or
// an int count. So the map is the same whether params came from JSON
// (numbers as float64), BSON (int32, int64) or Go, and it records exactly
// what was trained with. An algorithm with variants records its variant
// ("engine": "cart") and only that variant's parameters.
//
// It returns a CodeInvalid *Error whose Fields name each problem:
// "params.<name>" for one parameter, "params" for the map as a whole,
// "algorithm" for an unknown algorithm, "task" for a task the algorithm
// (or its variant) does not learn.
func CheckParams(algorithm, task string, params map[string]any, features []Column) (map[string]any, error) {
	p := map[string]string{}
	out := checkParams(algorithm, task, params, features, p)
	if err := Invalid(p); err != nil {
		return nil, err
	}
	return out, nil
}

// checkParams adds its problems to p and returns the filled-in map, or nil
// when the algorithm is unknown.
func checkParams(algorithm, task string, params map[string]any, features []Column, p map[string]string) map[string]any {
	alg, ok := LookupAlgorithm(algorithm)
	if !ok {
		if _, set := p["algorithm"]; !set {
			p["algorithm"] = fmt.Sprintf("unknown algorithm %q", algorithm)
		}
		return nil
	}
	variant := variantOf(alg, params)
	if tasks := alg.VariantTasks(variant); !slices.Contains(tasks, task) {
		if _, set := p["task"]; !set {
			p["task"] = taskProblem(alg, variant, task)
		}
	}
	var known []string
	for _, s := range alg.Params {
		if !slices.Contains(known, s.Name) {
			known = append(known, s.Name)
		}
	}
	for _, name := range sortedKeys(params) {
		switch {
		case !slices.Contains(known, name) && len(known) == 0:
			p["params"] = alg.Name + " takes no parameters"
		case !slices.Contains(known, name):
			p["params."+name] = fmt.Sprintf("unknown parameter of %s (it takes %s)", alg.Name, strings.Join(known, ", "))
		case !slices.ContainsFunc(alg.Params, func(s ParamSpec) bool { return s.Name == name && s.appliesTo(variant, task) }):
			p["params."+name] = notApplicable(alg, variant, task, name)
		}
	}
	out := make(map[string]any, len(alg.Params))
	for _, s := range alg.Params {
		if !s.appliesTo(variant, task) {
			continue
		}
		v, given := params[s.Name]
		if !given {
			out[s.Name] = s.defaultFor(len(features))
			continue
		}
		val, problem := s.check(v, len(features))
		if problem != "" {
			p["params."+s.Name] = problem
			continue
		}
		out[s.Name] = val
	}
	return out
}

// variantOf returns the variant params choose (its default when they do
// not), or "" for an algorithm with one implementation.
func variantOf(alg Algorithm, params map[string]any) string {
	if alg.Variant == "" {
		return ""
	}
	if v, ok := params[alg.Variant].(string); ok && slices.ContainsFunc(alg.Variants, func(s VariantSpec) bool { return s.Name == v }) {
		return v
	}
	// A bad value is reported with the parameter itself.
	return alg.Variants[0].Name
}

func taskProblem(alg Algorithm, variant, task string) string {
	switch {
	case task != TaskClassification && task != TaskRegression:
		return fmt.Sprintf("unknown task %q (want classification or regression)", task)
	case !alg.Learns(task):
		return fmt.Sprintf("%s does not do %s", alg.Name, task)
	default:
		return fmt.Sprintf("%s %s %s does not do %s", alg.Name, alg.Variant, variant, task)
	}
}

// notApplicable says why a parameter of the algorithm is not one of this
// variant and task.
func notApplicable(alg Algorithm, variant, task, name string) string {
	for _, s := range alg.Params {
		if s.Name == name && (s.Variants == nil || slices.Contains(s.Variants, variant)) {
			return fmt.Sprintf("not a parameter of %s for %s", alg.Name, task)
		}
	}
	return fmt.Sprintf("not a parameter of %s %s %s", alg.Name, alg.Variant, variant)
}

func (s ParamSpec) defaultFor(features int) any {
	if s.Default == nil && s.Name == "features" {
		// ⌈2n/3⌉: see the random_forest entry of Catalog.
		return max(1, (2*features+2)/3)
	}
	return s.Default
}

// check returns v converted to s's type, or what is wrong with it.
func (s ParamSpec) check(v any, features int) (any, string) {
	if s.Type == ParamString {
		str, ok := v.(string)
		if !ok || !slices.Contains(s.Enum, str) {
			return nil, "must be one of " + quoteAll(s.Enum)
		}
		return str, ""
	}
	if s.Type == ParamFeatures {
		return s.checkFeatures(v, features)
	}
	f, ok := AsNumber(v)
	if !ok {
		return nil, "must be a number"
	}
	if s.Type == ParamInt && f != math.Trunc(f) {
		return nil, "must be a whole number, not " + formatNumber(f)
	}
	if problem := s.checkRange(f, features); problem != "" {
		return nil, problem
	}
	if s.Type == ParamInt {
		return int(f), ""
	}
	return f, ""
}

// checkFeatures checks a ParamFeatures value.
func (s ParamSpec) checkFeatures(v any, features int) (any, string) {
	want := quoteAll(s.Enum) + ", a fraction in (0, 1] of the features or a whole number of them"
	if str, ok := v.(string); ok {
		if !slices.Contains(s.Enum, str) {
			return nil, "must be " + want
		}
		return str, ""
	}
	f, ok := AsNumber(v)
	switch {
	case !ok:
		return nil, "must be " + want
	case f <= 0:
		return nil, "must be greater than 0"
	case f <= 1:
		return f, ""
	case f != math.Trunc(f):
		return nil, "must be a fraction in (0, 1] or a whole number of features, not " + formatNumber(f)
	case f > float64(features):
		return nil, fmt.Sprintf("must be at most %d, the number of features", features)
	}
	return int(f), ""
}

// FeaturesPerSplit resolves a ParamFeatures value (as CheckParams returns
// it) for n features: "sqrt" is ⌊√n⌋, "log2" ⌊log₂ n⌋, a fraction f is
// ⌊f·n⌋, each at least 1 (scikit-learn's rules); a count is itself.
func FeaturesPerSplit(v any, n int) int {
	k := n
	switch v := v.(type) {
	case string:
		switch v {
		case "sqrt":
			k = int(math.Sqrt(float64(n)))
		case "log2":
			k = int(math.Log2(float64(n)))
		}
	case float64:
		k = int(v * float64(n))
	case int:
		k = v
	}
	return min(max(k, 1), n)
}

func (s ParamSpec) checkRange(f float64, features int) string {
	lo, hi := s.Min, s.Max
	if s.AtMostFeatures {
		hi = ptr(float64(features))
	}
	low := lo != nil && (f < *lo || s.ExclusiveMin && f == *lo)
	high := hi != nil && f > *hi
	if !low && !high {
		return ""
	}
	switch {
	case s.AtMostFeatures && high:
		return fmt.Sprintf("must be at most %d, the number of features", features)
	case lo != nil && hi != nil && s.ExclusiveMin:
		return fmt.Sprintf("must be greater than %s and at most %s", formatNumber(*lo), formatNumber(*hi))
	case lo != nil && hi != nil:
		return fmt.Sprintf("must be between %s and %s", formatNumber(*lo), formatNumber(*hi))
	case low:
		return "must be at least " + formatNumber(*lo)
	default:
		return "must be at most " + formatNumber(*hi)
	}
}

// AsNumber accepts every numeric type a decoded request or row can hold:
// float64 from JSON, int32 and int64 from BSON, Go ints from tests and
// callers. NaN and infinities are not numbers here.
func AsNumber(v any) (float64, bool) {
	var f float64
	switch n := v.(type) {
	case float64:
		f = n
	case float32:
		f = float64(n)
	case int:
		f = float64(n)
	case int8:
		f = float64(n)
	case int16:
		f = float64(n)
	case int32:
		f = float64(n)
	case int64:
		f = float64(n)
	case uint:
		f = float64(n)
	case uint8:
		f = float64(n)
	case uint16:
		f = float64(n)
	case uint32:
		f = float64(n)
	case uint64:
		f = float64(n)
	case json.Number:
		var err error
		if f, err = n.Float64(); err != nil {
			return 0, false
		}
	default:
		return 0, false
	}
	return f, !math.IsNaN(f) && !math.IsInf(f, 0)
}

func formatNumber(f float64) string {
	return strconv.FormatFloat(f, 'f', -1, 64)
}

func quoteAll(values []string) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = strconv.Quote(v)
	}
	return strings.Join(q, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
