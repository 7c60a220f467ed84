package model

import (
	"bytes"
	"encoding/json"
	"slices"
)

// The preprocessing steps of a train request (SPEC 5.1), applied in order
// to the features: fitted on the training rows, then applied identically
// wherever the model predicts.
const (
	StepImpute = "impute"  // replace a missing value
	StepScale  = "scale"   // center and scale a number
	StepOneHot = "one_hot" // a string becomes one indicator per category
	StepDrop   = "drop"    // leave columns out of the model
)

// Impute strategies, scale methods and one_hot's policies for a category
// not seen in training.
const (
	ImputeMean         = "mean"
	ImputeMedian       = "median"
	ImputeMostFrequent = "most_frequent"
	ImputeConstant     = "constant"

	ScaleStandard = "standard" // (x - mean) / standard deviation
	ScaleMinMax   = "minmax"   // (x - min) / (max - min)

	UnknownZeros = "zeros" // every indicator 0
	UnknownError = "error" // the row is refused (422)
)

// Column selectors: a step's columns are a list of feature names or one
// of these.
const (
	SelectNumbers = "numbers"
	SelectStrings = "strings"
	SelectAll     = "all" // every feature the step can take
)

// MaxSteps bounds a request's preprocessing steps.
const MaxSteps = 32

// Step is one preprocessing step as requested. After PrepareTrain its
// Columns are an explicit list and its defaults are filled in.
type Step struct {
	Step     string  `json:"step" bson:"step"`
	Columns  Columns `json:"columns" bson:"columns"`
	Strategy string  `json:"strategy,omitempty" bson:"strategy,omitempty"`
	// Value is constant imputation's value: a number for number columns,
	// a string for string ones.
	Value   any    `json:"value,omitempty" bson:"value,omitempty"`
	Method  string `json:"method,omitempty" bson:"method,omitempty"`
	Unknown string `json:"unknown,omitempty" bson:"unknown,omitempty"`
}

// Columns are the columns a step applies to: Names, or Select (one of
// the selectors). In JSON it is a string (a selector) or a list of names.
type Columns struct {
	Select string   `bson:"select,omitempty"`
	Names  []string `bson:"names,omitempty"`
	// bad is why the JSON was neither, reported by Valid as a field
	// problem rather than failing the decoding of the whole request.
	bad string
}

// MarshalJSON writes the selector or the list of names.
func (c Columns) MarshalJSON() ([]byte, error) {
	if c.Select != "" {
		return json.Marshal(c.Select)
	}
	if c.Names == nil {
		return []byte("[]"), nil
	}
	return json.Marshal(c.Names)
}

// UnmarshalJSON reads a selector or a list of names. Any other JSON is
// kept as a problem for Valid, so a request gets a 422 naming the field.
func (c *Columns) UnmarshalJSON(b []byte) error {
	*c = Columns{}
	switch b = bytes.TrimSpace(b); {
	case len(b) > 0 && b[0] == '"':
		return json.Unmarshal(b, &c.Select)
	case len(b) > 0 && b[0] == '[':
		var names []string
		if err := json.Unmarshal(b, &names); err == nil {
			c.Names = names
			return nil
		}
	}
	c.bad = `must be "numbers", "strings", "all" or a list of column names`
	return nil
}

// FittedStep is a step with the values it learnt from the training rows,
// one entry per column: what a version records and its artifact applies.
type FittedStep struct {
	Step     string         `json:"step" bson:"step"`
	Strategy string         `json:"strategy,omitempty" bson:"strategy,omitempty"`
	Method   string         `json:"method,omitempty" bson:"method,omitempty"`
	Unknown  string         `json:"unknown,omitempty" bson:"unknown,omitempty"`
	Columns  []FittedColumn `json:"columns" bson:"columns"`
}

// FittedColumn is what a step learnt of one column.
type FittedColumn struct {
	Name string `json:"name" bson:"name"`
	// Fill (impute) replaces a missing value: a number or a string, as
	// the column.
	Fill any `json:"fill,omitempty" bson:"fill,omitempty"`
	// Center and Scale (scale): a value x becomes (x - Center) / Scale.
	Center *float64 `json:"center,omitempty" bson:"center,omitempty"`
	Scale  *float64 `json:"scale,omitempty" bson:"scale,omitempty"`
	// Levels (one_hot) are the categories seen in training, sorted; each
	// becomes an indicator column named "column=level".
	Levels []string `json:"levels,omitempty" bson:"levels,omitempty"`
}

// FeaturePlan is what a resolved pipeline does to one feature, as far as
// the learner and the predict paths need to know.
type FeaturePlan struct {
	Imputed bool // a step imputes its missing values
	OneHot  bool // a string the pipeline encodes as numbers
}

// PlanFeatures returns the plan of each of features under the resolved
// steps (explicit column names, as in a TrainSpec).
func PlanFeatures(steps []Step, features []Column) []FeaturePlan {
	at := make(map[string]int, len(features))
	for i, f := range features {
		at[f.Name] = i
	}
	plans := make([]FeaturePlan, len(features))
	for _, s := range steps {
		for _, name := range s.Columns.Names {
			i, ok := at[name]
			if !ok {
				continue
			}
			switch s.Step {
			case StepImpute:
				plans[i].Imputed = true
			case StepOneHot:
				plans[i].OneHot = true
			}
		}
	}
	return plans
}

// AcceptsMissing says, per feature of spec, whether its training data
// and its predictions may have missing values: the algorithm learns where
// they go, or a step imputes them.
func (s *TrainSpec) AcceptsMissing() []bool {
	alg, _ := LookupAlgorithm(s.Algorithm)
	ok := make([]bool, len(s.Features))
	for i, p := range PlanFeatures(s.Preprocess, s.Features) {
		ok[i] = alg.MissingValues || p.Imputed
	}
	return ok
}

// Imputes reports whether a step of v imputes the named feature's missing
// values.
func (v *ModelVersion) Imputes(feature string) bool {
	for _, s := range v.Preprocess {
		if s.Step == StepImpute && slices.ContainsFunc(s.Columns, func(c FittedColumn) bool { return c.Name == feature }) {
			return true
		}
	}
	return false
}
