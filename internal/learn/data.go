package learn

import (
	"fmt"
	"io"
	"math"
	"slices"

	"gitlab.com/mlserve/mlserve/internal/csvdata"
	"gitlab.com/mlserve/mlserve/model"
)

// Data is a training table as read and checked: the feature columns in the
// spec's order, and the target as class indexes or numbers.
type Data struct {
	Features []*csvdata.TableColumn
	Rows     int
	Classes  []string  // classification: the target's values, sorted
	Y        []int     // classification: each row's class index
	V        []float64 // regression: each row's target
}

// ReadData reads the spec's features and target from the dataset CSV.
// Empty cells of feature i are refused unless missing[i] (missing may be
// nil: none), when number cells read as NaN and string cells as "". Its
// errors are CodeInvalid: the data, not the code, is wrong.
func ReadData(r io.Reader, spec *model.TrainSpec, missing []bool) (*Data, error) {
	target := model.Column{Name: spec.Target, Type: model.ColumnString}
	if spec.Task == model.TaskRegression {
		target.Type = model.ColumnNumber
	}
	t, err := csvdata.ReadTableMissing(r, append(slices.Clone(spec.Features), target), missing)
	if err != nil {
		return nil, err
	}
	if t.Rows < 2 {
		return nil, model.Errorf(model.CodeInvalid, "the dataset has %d row; training needs at least 2", t.Rows)
	}
	d := &Data{Rows: t.Rows}
	for i := range spec.Features {
		c := &t.Columns[i]
		empty := slices.Contains(c.Strings, "") || slices.ContainsFunc(c.Numbers, math.IsNaN)
		if empty && (i >= len(missing) || !missing[i]) {
			return nil, missingValues(c.Name)
		}
		d.Features = append(d.Features, c)
	}
	tc := &t.Columns[len(spec.Features)]
	if spec.Task == model.TaskRegression {
		d.V = tc.Numbers
		return d, nil
	}
	if slices.Contains(tc.Strings, "") {
		return nil, model.Errorf(model.CodeInvalid, "column %q has empty cells; every training row needs a target", tc.Name)
	}
	d.Classes = slices.Clone(tc.Strings)
	slices.Sort(d.Classes)
	d.Classes = slices.Compact(d.Classes)
	switch {
	case len(d.Classes) > model.MaxClasses:
		return nil, model.Errorf(model.CodeInvalid, "too many classes: column %q has %d distinct values; a classification target may have at most %d",
			tc.Name, len(d.Classes), model.MaxClasses)
	case len(d.Classes) < 2:
		return nil, model.Errorf(model.CodeInvalid, "column %q has a single value; a classification target needs at least 2 classes", tc.Name)
	}
	index := make(map[string]int, len(d.Classes))
	for i, c := range d.Classes {
		index[c] = i
	}
	d.Y = make([]int, t.Rows)
	for i, s := range tc.Strings {
		d.Y[i] = index[s]
	}
	return d, nil
}

func missingValues(column string) error {
	return model.Errorf(model.CodeInvalid, "column %q has empty cells; this algorithm cannot handle missing values (an impute step fills them; gradient_boosting takes them)", column)
}

// String describes d for test failures.
func (d *Data) String() string {
	return fmt.Sprintf("data{%d features, %d rows, classes %q}", len(d.Features), d.Rows, d.Classes)
}
