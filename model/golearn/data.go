package golearn

import (
	"fmt"
	"io"
	"slices"

	"gitlab.com/mlserve/mlserve/internal/csvdata"
	"gitlab.com/mlserve/mlserve/model"
)

// data is a training table as read and checked: the feature columns in the
// spec's order, and the target as class indexes or numbers.
type data struct {
	features []*csvdata.TableColumn
	rows     int
	classes  []string  // classification: the target's values, sorted
	y        []int     // classification: each row's class index
	v        []float64 // regression: each row's target
}

// readData reads the spec's features and target from the dataset CSV.
// Its errors are CodeInvalid: the data, not the code, is wrong.
func readData(r io.Reader, spec *model.TrainSpec) (*data, error) {
	target := model.Column{Name: spec.Target, Type: model.ColumnString}
	if spec.Task == model.TaskRegression {
		target.Type = model.ColumnNumber
	}
	t, err := csvdata.ReadTable(r, append(slices.Clone(spec.Features), target))
	if err != nil {
		return nil, err
	}
	if t.Rows < 2 {
		return nil, model.Errorf(model.CodeInvalid, "the dataset has %d row; training needs at least 2", t.Rows)
	}
	d := &data{rows: t.Rows}
	for i := range spec.Features {
		c := &t.Columns[i]
		if c.Type == model.ColumnString && slices.Contains(c.Strings, "") {
			return nil, missingValues(c.Name)
		}
		d.features = append(d.features, c)
	}
	tc := &t.Columns[len(spec.Features)]
	if spec.Task == model.TaskRegression {
		d.v = tc.Numbers
		return d, nil
	}
	if slices.Contains(tc.Strings, "") {
		return nil, missingValues(tc.Name)
	}
	d.classes = slices.Clone(tc.Strings)
	slices.Sort(d.classes)
	d.classes = slices.Compact(d.classes)
	switch {
	case len(d.classes) > model.MaxClasses:
		return nil, model.Errorf(model.CodeInvalid, "too many classes: column %q has %d distinct values; a classification target may have at most %d",
			tc.Name, len(d.classes), model.MaxClasses)
	case len(d.classes) < 2:
		return nil, model.Errorf(model.CodeInvalid, "column %q has a single value; a classification target needs at least 2 classes", tc.Name)
	}
	index := make(map[string]int, len(d.classes))
	for i, c := range d.classes {
		index[c] = i
	}
	d.y = make([]int, t.Rows)
	for i, s := range tc.Strings {
		d.y[i] = index[s]
	}
	return d, nil
}

func missingValues(column string) error {
	return model.Errorf(model.CodeInvalid, "golearn cannot handle missing values: column %q has empty cells", column)
}

// String describes d for test failures.
func (d *data) String() string {
	return fmt.Sprintf("data{%d features, %d rows, classes %q}", len(d.features), d.rows, d.classes)
}
