package scoring

import (
	"slices"

	"gitlab.com/mlserve/mlserve/model"
)

// Layout maps a dataset's records to a predictor's Batch and to output
// lines. It is immutable: scorers of one job's parts, in one process, may
// share it.
type Layout struct {
	fields       int // fields per record: the dataset's columns
	features     []feature
	numbers      bool // some feature is a number
	strings      bool // some feature is a string
	includeInput bool
	columns      []model.Column
	task         string
	hasProbs     bool
	// labels are the predictor's classes as written in an output line
	// (classification); probabilities counts the probability columns.
	labels        [][]byte
	probabilities int
}

// feature is where a predictor's feature is in a record.
type feature struct {
	name   string
	at     int  // field index in the record
	string bool // a string feature; else a number
	// missing: the predictor takes a missing value of this feature, so an
	// empty number cell is NaN.
	missing bool
}

// NewLayout lays out the scoring of a dataset whose header has the columns
// dataset (model.Dataset.Columns, in file order) with p. Every feature of
// p must be a dataset column, and a number feature a number (or all-empty)
// column: else a
// *model.Error with CodeInvalid naming it. The output columns are
// model.ScoreOutputColumns's, whose error NewLayout returns.
func NewLayout(dataset []model.Column, p model.Predictor, includeInput bool) (*Layout, error) {
	index := make(map[string]int, len(dataset))
	for i, c := range dataset {
		if _, dup := index[c.Name]; !dup {
			index[c.Name] = i
		}
	}
	l := &Layout{fields: len(dataset), includeInput: includeInput}
	for i, f := range p.Features() {
		at, ok := index[f.Name]
		switch {
		case !ok:
			return nil, model.Errorf(model.CodeInvalid, "the dataset has no column %q, a feature of the model", f.Name)
		case f.Type == model.ColumnNumber && dataset[at].Type == model.ColumnString:
			return nil, model.Errorf(model.CodeInvalid, "column %q holds text (type %s); the model needs numbers", f.Name, dataset[at].Type)
		}
		str := f.Type == model.ColumnString
		l.features = append(l.features, feature{name: f.Name, at: at, string: str, missing: p.Missing(i)})
		l.strings = l.strings || str
		l.numbers = l.numbers || !str
	}
	cols, err := model.ScoreOutputColumns(dataset, p.Task(), p.Classes(), p.HasProbabilities(), includeInput)
	if err != nil {
		return nil, err
	}
	l.columns, l.task, l.hasProbs = cols, p.Task(), p.HasProbabilities()
	if p.Task() == model.TaskClassification {
		for _, c := range p.Classes() {
			label := appendField(nil, []byte(c))
			if len(cols) == 1 && c == "" {
				// A line holding one empty field is an empty line,
				// which is no record; quoted, it is one.
				label = []byte(`""`)
			}
			l.labels = append(l.labels, label)
		}
	}
	if p.HasProbabilities() {
		l.probabilities = len(p.Classes())
	}
	return l, nil
}

// Columns returns the output columns: the dataset's when the input is
// included, then the prediction, then one probability per class.
func (l *Layout) Columns() []model.Column { return slices.Clone(l.columns) }

// check reports whether p is the predictor l was laid out for, as far as
// the layout depends on it.
func (l *Layout) check(p model.Predictor) error {
	feats := p.Features()
	ok := p.Task() == l.task && p.HasProbabilities() == l.hasProbs &&
		len(p.Classes()) == len(l.labels) && len(feats) == len(l.features)
	for i := 0; ok && i < len(feats); i++ {
		f := &l.features[i]
		ok = feats[i].Name == f.name && (feats[i].Type == model.ColumnString) == f.string && p.Missing(i) == f.missing
	}
	if !ok {
		return model.Errorf(model.CodeInternal, "the scoring layout is not for this predictor")
	}
	return nil
}
