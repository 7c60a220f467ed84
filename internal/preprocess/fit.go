// Package preprocess fits and applies a train request's preprocessing
// steps (SPEC 5.1): impute, scale, one_hot and drop. A pipeline is fitted
// on the training rows of each model a training fits (each fold's, then
// the stored model's), so no held-out row informs it. Its artifact wraps
// the learner's artifact with the fitted steps, and its predictor applies
// them to every row before the learner's predictor, on the same
// arithmetic as the training-time transform, without allocating.
package preprocess

import (
	"fmt"
	"math"
	"slices"

	"gitlab.com/mlserve/mlserve/internal/csvdata"
	"gitlab.com/mlserve/mlserve/model"
)

// Fit fits the resolved steps (explicit columns, as a TrainSpec holds
// them) in order on the given rows of the feature columns: each step on
// the output of the steps before it. It returns the fitted steps and the
// columns the learner is fitted on, every row transformed (see
// Transform). Errors are CodeInvalid: an imputer with no training value
// to learn from.
func Fit(steps []model.Step, features []*csvdata.TableColumn, rows []int) ([]model.FittedStep, *Table, error) {
	t := newTable(features)
	fitted := make([]model.FittedStep, 0, len(steps))
	for _, s := range steps {
		f, err := fitStep(&s, t, rows)
		if err != nil {
			return nil, nil, err
		}
		if err := t.apply(&f); err != nil {
			return nil, nil, err
		}
		fitted = append(fitted, f)
	}
	return fitted, t, nil
}

// fitStep learns one step's values from the training rows of t.
func fitStep(s *model.Step, t *Table, rows []int) (model.FittedStep, error) {
	f := model.FittedStep{Step: s.Step, Strategy: s.Strategy, Method: s.Method, Unknown: s.Unknown}
	for _, name := range s.Columns.Names {
		fc := model.FittedColumn{Name: name}
		if c := t.column(name); s.Step != model.StepDrop && c == nil {
			return f, model.Errorf(model.CodeInvalid, "preprocess: no column %q to %s", name, s.Step)
		} else if c != nil {
			switch s.Step {
			case model.StepImpute:
				fill, err := imputeValue(s, c, rows)
				if err != nil {
					return f, err
				}
				fc.Fill = fill
			case model.StepScale:
				center, scale := scaleValues(s.Method, c.Numbers, rows)
				fc.Center, fc.Scale = &center, &scale
			case model.StepOneHot:
				fc.Levels = levels(c.Strings, rows)
			}
		}
		f.Columns = append(f.Columns, fc) // a dropped column is no feature: nothing to learn
	}
	return f, nil
}

// imputeValue is what replaces a missing value of column c.
func imputeValue(s *model.Step, c *csvdata.TableColumn, rows []int) (any, error) {
	if s.Strategy == model.ImputeConstant {
		return s.Value, nil
	}
	if c.Type == model.ColumnString {
		if v, ok := mostFrequent(c.Strings, rows, ""); ok {
			return v, nil
		}
		return nil, noValue(c.Name)
	}
	var values []float64
	for _, r := range rows {
		if v := c.Numbers[r]; !math.IsNaN(v) {
			values = append(values, v)
		}
	}
	if len(values) == 0 {
		return nil, noValue(c.Name)
	}
	switch s.Strategy {
	case model.ImputeMean:
		return mean(values), nil
	case model.ImputeMedian:
		slices.Sort(values)
		n := len(values)
		if n%2 == 1 {
			return values[n/2], nil
		}
		return (values[n/2-1] + values[n/2]) / 2, nil
	}
	v, _ := mostFrequent(values, nil, math.NaN())
	return v, nil
}

func noValue(column string) error {
	return model.Errorf(model.CodeInvalid, "preprocess: column %q has no value in the training rows to impute from (a constant impute needs none)", column)
}

// mostFrequent is the most frequent value of values (at rows, or every
// value when rows is nil) other than missing (a NaN missing matches NaN),
// the smallest among ties, as scikit-learn's SimpleImputer; ok is false
// when every value is missing.
func mostFrequent[T float64 | string](values []T, rows []int, missing T) (best T, ok bool) {
	counts := map[T]int{}
	add := func(v T) {
		if v != missing && v == v { // v != v: a NaN
			counts[v]++
		}
	}
	if rows == nil {
		for _, v := range values {
			add(v)
		}
	} else {
		for _, r := range rows {
			add(values[r])
		}
	}
	most := 0
	for v, n := range counts {
		if n > most || n == most && v < best {
			best, most = v, n
		}
	}
	return best, most > 0
}

func mean(values []float64) float64 {
	sum := 0.0
	for _, v := range values {
		sum += v
	}
	return sum / float64(len(values))
}

// scaleValues returns the center and scale of a number column's training
// values, ignoring missing ones: the mean and the population standard
// deviation (standard), or the minimum and the range (minmax). A scale
// that would be 0 (a constant column) or undefined (no value) is 1, as
// scikit-learn's scalers.
func scaleValues(method string, numbers []float64, rows []int) (center, scale float64) {
	var values []float64
	for _, r := range rows {
		if v := numbers[r]; !math.IsNaN(v) {
			values = append(values, v)
		}
	}
	if len(values) == 0 {
		return 0, 1
	}
	if method == model.ScaleMinMax {
		lo, hi := slices.Min(values), slices.Max(values)
		center, scale = lo, hi-lo
	} else {
		center = mean(values)
		ss := 0.0
		for _, v := range values {
			ss += (v - center) * (v - center)
		}
		scale = math.Sqrt(ss / float64(len(values)))
	}
	if !(scale > 0) || math.IsInf(scale, 0) {
		scale = 1
	}
	return center, scale
}

// levels returns the distinct non-missing strings of the training rows,
// sorted: a one-hot step's categories.
func levels(strings []string, rows []int) []string {
	seen := map[string]bool{"": true}
	out := []string{}
	for _, r := range rows {
		if v := strings[r]; !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return out
}

// IndicatorName is the name of the column a one-hot step makes for one
// category of a column.
func IndicatorName(column, level string) string {
	return fmt.Sprintf("%s=%s", column, level)
}
