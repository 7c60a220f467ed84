package model

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// CheckParams checks an algorithm's parameters and returns them with every
// default filled in and every value of its declared type: int for ParamInt,
// float64 for ParamFloat, string for ParamString. So the map is the same
// whether params came from JSON (numbers as float64), BSON (int32, int64)
// or Go, and it records exactly what was trained with. features is how
// many features the model trains on (some defaults and bounds depend on it).
//
// It returns a CodeInvalid *Error whose Fields name each problem:
// "params.<name>" for one parameter, "params" for the map as a whole,
// "algorithm" for an unknown algorithm.
func CheckParams(algorithm string, params map[string]any, features int) (map[string]any, error) {
	p := map[string]string{}
	out := checkParams(algorithm, params, features, p)
	if err := Invalid(p); err != nil {
		return nil, err
	}
	return out, nil
}

// checkParams adds its problems to p and returns the filled-in map, or nil
// when the algorithm is unknown.
func checkParams(algorithm string, params map[string]any, features int, p map[string]string) map[string]any {
	alg, ok := LookupAlgorithm(algorithm)
	if !ok {
		if _, set := p["algorithm"]; !set {
			p["algorithm"] = fmt.Sprintf("unknown algorithm %q", algorithm)
		}
		return nil
	}
	known := make([]string, len(alg.Params))
	for i, s := range alg.Params {
		known[i] = s.Name
	}
	for _, name := range sortedKeys(params) {
		if slices.Contains(known, name) {
			continue
		}
		if len(known) == 0 {
			p["params"] = alg.Name + " takes no parameters"
			break
		}
		p["params."+name] = fmt.Sprintf("unknown parameter of %s (it takes %s)", alg.Name, strings.Join(known, ", "))
	}
	out := make(map[string]any, len(alg.Params))
	for _, s := range alg.Params {
		v, given := params[s.Name]
		if !given {
			out[s.Name] = s.defaultFor(features)
			continue
		}
		val, problem := s.check(v, features)
		if problem != "" {
			p["params."+s.Name] = problem
			continue
		}
		out[s.Name] = val
	}
	return out
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

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
