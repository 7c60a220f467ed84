package preprocess

import (
	"math"

	"gitlab.com/mlserve/mlserve/internal/csvdata"
	"gitlab.com/mlserve/mlserve/model"
)

// Table is feature columns as the steps transform them, a step at a
// time, for every row: the reference a pipeline's predictor must agree
// with. Columns that a step changes are copies; the input columns are
// never modified.
type Table struct {
	// Columns are the transformed columns, in feature order, a one-hot
	// encoded feature replaced by its indicators.
	Columns []*csvdata.TableColumn
	// Origin[i] is the index of the input feature Columns[i] comes from.
	Origin []int
}

func newTable(features []*csvdata.TableColumn) *Table {
	t := &Table{Columns: make([]*csvdata.TableColumn, len(features)), Origin: make([]int, len(features))}
	for i, c := range features {
		t.Columns[i], t.Origin[i] = c, i
	}
	return t
}

// Transform applies fitted steps, in order, to every row of the feature
// columns. It fails only on steps that do not fit the columns, which a
// loaded artifact's checks rule out.
func Transform(steps []model.FittedStep, features []*csvdata.TableColumn) (*Table, error) {
	t := newTable(features)
	for i := range steps {
		if err := t.apply(&steps[i]); err != nil {
			return nil, err
		}
	}
	return t, nil
}

func (t *Table) column(name string) *csvdata.TableColumn {
	if i := t.index(name); i >= 0 {
		return t.Columns[i]
	}
	return nil
}

func (t *Table) index(name string) int {
	for i, c := range t.Columns {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// apply transforms the columns of one fitted step.
func (t *Table) apply(f *model.FittedStep) error {
	if f.Step == model.StepDrop {
		return nil // dropped features never reach the table
	}
	for _, fc := range f.Columns {
		i := t.index(fc.Name)
		if i < 0 {
			return model.Errorf(model.CodeInvalid, "preprocess: no column %q to %s", fc.Name, f.Step)
		}
		c := t.Columns[i]
		switch {
		case f.Step == model.StepImpute:
			t.Columns[i] = impute(c, fc.Fill)
		case f.Step == model.StepScale && fc.Center != nil && fc.Scale != nil:
			t.Columns[i] = scale(c, *fc.Center, *fc.Scale)
		case f.Step == model.StepOneHot:
			if err := t.oneHot(i, fc.Levels); err != nil {
				return err
			}
		}
	}
	return nil
}

// impute returns c with its missing values replaced by fill.
func impute(c *csvdata.TableColumn, fill any) *csvdata.TableColumn {
	out := &csvdata.TableColumn{Name: c.Name, Type: c.Type}
	if c.Type == model.ColumnString {
		s, _ := fill.(string)
		out.Strings = make([]string, len(c.Strings))
		for r, v := range c.Strings {
			if v == "" {
				v = s
			}
			out.Strings[r] = v
		}
		return out
	}
	x, _ := fill.(float64)
	out.Numbers = make([]float64, len(c.Numbers))
	for r, v := range c.Numbers {
		if math.IsNaN(v) {
			v = x
		}
		out.Numbers[r] = v
	}
	return out
}

// scale returns c with each value v as (v - center) / by; a missing value
// stays missing.
func scale(c *csvdata.TableColumn, center, by float64) *csvdata.TableColumn {
	out := &csvdata.TableColumn{Name: c.Name, Type: c.Type, Numbers: make([]float64, len(c.Numbers))}
	for r, v := range c.Numbers {
		out.Numbers[r] = (v - center) / by
	}
	return out
}

// oneHot replaces column i by an indicator column per level: 1 where the
// row's value is that level, else 0 (a missing value, or a category not
// among the levels, is all zeros).
func (t *Table) oneHot(i int, levels []string) error {
	c := t.Columns[i]
	indicators := make([]*csvdata.TableColumn, len(levels))
	at := make(map[string]int, len(levels))
	for j, l := range levels {
		name := IndicatorName(c.Name, l)
		if t.index(name) >= 0 {
			return model.Errorf(model.CodeInvalid, "preprocess: one_hot of column %q makes column %q, which exists", c.Name, name)
		}
		indicators[j] = &csvdata.TableColumn{Name: name, Type: model.ColumnNumber, Numbers: make([]float64, len(c.Strings))}
		at[l] = j
	}
	for r, v := range c.Strings {
		if j, ok := at[v]; ok {
			indicators[j].Numbers[r] = 1
		}
	}
	origin := make([]int, len(levels))
	for j := range origin {
		origin[j] = t.Origin[i]
	}
	t.Columns = append(t.Columns[:i:i], append(indicators, t.Columns[i+1:]...)...)
	t.Origin = append(t.Origin[:i:i], append(origin, t.Origin[i+1:]...)...)
	return nil
}

// Features returns the names and types of t's columns: the features of
// the model fitted on them.
func (t *Table) Features() []model.Column {
	out := make([]model.Column, len(t.Columns))
	for i, c := range t.Columns {
		out[i] = model.Column{Name: c.Name, Type: c.Type}
	}
	return out
}
