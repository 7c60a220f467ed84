package golearn

import (
	"fmt"
	"slices"

	"gitlab.com/mlserve/mlserve/internal/csvdata"
	"gitlab.com/mlserve/mlserve/internal/learn"
	"gitlab.com/mlserve/mlserve/model"
)

// Model is a trained model loaded from its artifact. It is immutable and
// safe for concurrent use.
type Model struct {
	h   *header
	p   predictor
	enc *learn.Encoder
}

// Prediction is a model's answer for one row.
type Prediction struct {
	// Class is the predicted class (classification).
	Class string
	// Probabilities has one probability per class, in the order of
	// Model.Classes (classification).
	Probabilities []float64
	// Value is the predicted number (regression).
	Value float64
}

// Row is one input row: a value for each feature, in the order of
// Model.Features, a float64 (or any Go integer) for a number feature and a
// string for a string feature.
type Row []any

// Load reads an artifact written by Trainer.Train. It checks everything it
// reads and returns a CodeCorrupt *model.Error for bytes that are not a
// valid artifact; it never panics, whatever the bytes (FuzzLoad).
func Load(artifact []byte) (*Model, error) {
	h, payload, err := parseArtifact(artifact)
	if err != nil {
		return nil, model.Errorf(model.CodeCorrupt, "artifact: %v", err)
	}
	l, _ := learnerFor(h.Algorithm, h.Task)
	p, err := l.load(h, payload)
	if err != nil {
		return nil, model.Errorf(model.CodeCorrupt, "artifact: %v", err)
	}
	return &Model{h: h, p: p, enc: learn.NewEncoder(h.Encodings)}, nil
}

// Algorithm returns the model's algorithm, as model.Algorithms names it.
func (m *Model) Algorithm() string { return m.h.Algorithm }

// Task returns model.TaskClassification or model.TaskRegression.
func (m *Model) Task() string { return m.h.Task }

// Target returns the name of the column the model predicts.
func (m *Model) Target() string { return m.h.Target }

// Features returns the columns the model predicts from, in order.
func (m *Model) Features() []model.Column { return slices.Clone(m.h.Features) }

// Classes returns the classes a classifier predicts, sorted; nil for a
// regression.
func (m *Model) Classes() []string { return slices.Clone(m.h.Classes) }

// Params returns the parameters the model was trained with, defaults
// filled in.
func (m *Model) Params() map[string]any {
	out := make(map[string]any, len(m.h.Params))
	for k, v := range m.h.Params {
		out[k] = v
	}
	return out
}

// Predict predicts each row. A row of the wrong length or with a value of
// the wrong type is a CodeInvalid error naming it.
func (m *Model) Predict(rows ...Row) ([]Prediction, error) {
	t := &csvdata.Table{Rows: len(rows), Columns: make([]csvdata.TableColumn, len(m.h.Features))}
	for j, f := range m.h.Features {
		t.Columns[j] = csvdata.TableColumn{Name: f.Name, Type: f.Type}
	}
	for i, row := range rows {
		if len(row) != len(m.h.Features) {
			return nil, model.Errorf(model.CodeInvalid, "row %d has %d values; the model has %d features", i, len(row), len(m.h.Features))
		}
		for j, v := range row {
			c := &t.Columns[j]
			if c.Type == model.ColumnString {
				s, ok := v.(string)
				if !ok {
					return nil, model.Errorf(model.CodeInvalid, "row %d: feature %q needs a string, not %T", i, c.Name, v)
				}
				c.Strings = append(c.Strings, s)
				continue
			}
			f, ok := model.AsNumber(v)
			if !ok {
				return nil, model.Errorf(model.CodeInvalid, "row %d: feature %q needs a finite number, not %v", i, c.Name, v)
			}
			c.Numbers = append(c.Numbers, f)
		}
	}
	return m.PredictTable(t)
}

// PredictTable predicts every row of t, which holds the model's features
// (found by name, of the model's types; other columns are ignored), as
// csvdata.ReadTable reads them.
func (m *Model) PredictTable(t *csvdata.Table) ([]Prediction, error) {
	cols := make([]*csvdata.TableColumn, len(m.h.Features))
	for j, f := range m.h.Features {
		c := t.Column(f.Name)
		switch {
		case c == nil:
			return nil, model.Errorf(model.CodeInvalid, "no column %q, a feature of the model", f.Name)
		case c.Type != f.Type:
			return nil, model.Errorf(model.CodeInvalid, "column %q is a %s column; the model's feature is a %s", f.Name, c.Type, f.Type)
		case f.Type == model.ColumnNumber && len(c.Numbers) != t.Rows, f.Type == model.ColumnString && len(c.Strings) != t.Rows:
			return nil, model.Errorf(model.CodeInvalid, "column %q does not have %d rows", f.Name, t.Rows)
		}
		cols[j] = c
	}
	return m.predictRows(cols, learn.AllRows(t.Rows)), nil
}

// predictRows predicts the given rows of feature columns in model order.
func (m *Model) predictRows(cols []*csvdata.TableColumn, rows []int) []Prediction {
	out := make([]Prediction, len(rows))
	for k, o := range m.outcomes(cols, rows) {
		if m.h.Task == model.TaskRegression {
			out[k] = Prediction{Value: o.value}
			continue
		}
		out[k] = Prediction{Class: m.h.Classes[o.class], Probabilities: slices.Clone(o.probs)}
	}
	return out
}

// outcomes predicts the given rows of feature columns in model order.
func (m *Model) outcomes(cols []*csvdata.TableColumn, rows []int) []outcome {
	out := make([]outcome, len(rows))
	x := make([]float64, m.enc.Width)
	for k, r := range rows {
		clear(x)
		m.enc.EncodeRow(cols, r, x)
		out[k] = m.p.predict(x)
	}
	return out
}

// String describes the model for logs and test failures.
func (m *Model) String() string {
	return fmt.Sprintf("%s model of %q from %d features (%d columns)", m.h.Algorithm, m.h.Target, len(m.h.Features), m.h.Dims)
}
