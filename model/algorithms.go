package model

import "slices"

// Parameter types, as ParamSpec.Type names them.
const (
	ParamInt    = "int"    // a whole number; JSON's 10.0 counts, 10.5 does not
	ParamFloat  = "float"  // any finite number
	ParamString = "string" // one of ParamSpec.Enum
	// ParamFeatures is how many features a split may consider: one of
	// ParamSpec.Enum ("sqrt", "log2"), a fraction in (0, 1] of the
	// features (1 is all of them), or a whole number of at least 2, at
	// most the number of features.
	ParamFeatures = "features"
)

// Algorithm describes one training algorithm: the tasks it learns, which
// features it takes and its parameters. The learners (model/golearn,
// model/trees, model/bayes) implement it; this is the contract users see.
type Algorithm struct {
	Name string `json:"name"`
	// Tasks are the tasks it can learn: TaskClassification,
	// TaskRegression or both.
	Tasks []string `json:"tasks"`
	// StringFeatures says whether string columns can be features. When
	// false, only number columns can.
	StringFeatures bool `json:"string_features"`
	// MissingValues says whether features may have empty cells, which the
	// algorithm handles itself; when false an empty cell is refused.
	MissingValues bool `json:"missing_values"`
	// Variant names the parameter that chooses between implementations
	// ("engine" or "kind"), "" when there is one; Variants describes each,
	// the default first.
	Variant  string        `json:"variant,omitempty"`
	Variants []VariantSpec `json:"variants,omitempty"`
	Params   []ParamSpec   `json:"params"`
	// Preprocess are the steps a train request may put before it (SPEC
	// 5.1); an algorithm without StringFeatures takes a string column
	// once a one_hot step encodes it, and one without MissingValues a
	// column with empty cells once an impute step fills them.
	Preprocess []string `json:"preprocess"`
	// Search are the forms of search its parameters take (SPEC 5.1):
	// "grid" and "random"; each parameter's Distributions are the
	// random search's distributions it takes.
	Search []string `json:"search"`
	Doc    string   `json:"doc"`
}

// VariantSpec describes one implementation of an algorithm.
type VariantSpec struct {
	Name string `json:"name"`
	// Tasks are the tasks this implementation learns.
	Tasks []string `json:"tasks"`
	Doc   string   `json:"doc"`
}

// ParamSpec describes one parameter of an algorithm.
type ParamSpec struct {
	Name string `json:"name"`
	Type string `json:"type"`
	// Default is used when the request leaves the parameter out. It is nil
	// when the default depends on the data (Doc says how).
	Default any `json:"default"`
	// Min and Max bound a number (inclusive unless ExclusiveMin); nil is
	// unbounded.
	Min          *float64 `json:"min,omitempty"`
	Max          *float64 `json:"max,omitempty"`
	ExclusiveMin bool     `json:"exclusive_min,omitempty"`
	// AtMostFeatures caps the value at the number of features trained on.
	AtMostFeatures bool `json:"at_most_features,omitempty"`
	// Enum lists the values a string parameter may take.
	Enum []string `json:"enum,omitempty"`
	// Variants lists the implementations the parameter belongs to, and
	// Tasks the tasks; nil means all of them. An algorithm may list two
	// specs of one name for different tasks (a default that depends on
	// the task).
	Variants []string `json:"variants,omitempty"`
	Tasks    []string `json:"tasks,omitempty"`
	// Distributions are the random-search distributions of the
	// parameter's type (see Distribution); a grid takes any of its values.
	Distributions []string `json:"distributions"`
	Doc           string   `json:"doc"`
}

// appliesTo reports whether s is a parameter of the given variant and task.
func (s ParamSpec) appliesTo(variant, task string) bool {
	return (s.Variants == nil || slices.Contains(s.Variants, variant)) && (s.Tasks == nil || slices.Contains(s.Tasks, task))
}

// LookupAlgorithm returns the catalog entry of the named algorithm.
func LookupAlgorithm(name string) (Algorithm, bool) {
	for _, a := range Catalog() {
		if a.Name == name {
			return a, true
		}
	}
	return Algorithm{}, false
}

// VariantTasks returns the tasks the named variant of a learns ("" is the
// default variant), or nil for a variant a does not have.
func (a Algorithm) VariantTasks(variant string) []string {
	if a.Variant == "" {
		return a.Tasks
	}
	for i, v := range a.Variants {
		if v.Name == variant || variant == "" && i == 0 {
			return v.Tasks
		}
	}
	return nil
}

// Learns reports whether a learns task with some variant.
func (a Algorithm) Learns(task string) bool {
	return slices.Contains(a.Tasks, task)
}

func intParam(name string, def, lo, hi int, doc string) ParamSpec {
	return ParamSpec{Name: name, Type: ParamInt, Default: def, Min: ptr(float64(lo)), Max: ptr(float64(hi)), Doc: doc}
}

func floatParam(name string, def, lo, hi float64, exclusiveMin bool, doc string) ParamSpec {
	return ParamSpec{Name: name, Type: ParamFloat, Default: def, Min: ptr(lo), Max: ptr(hi), ExclusiveMin: exclusiveMin, Doc: doc}
}

func enumParam(name, def string, values []string, doc string) ParamSpec {
	return ParamSpec{Name: name, Type: ParamString, Default: def, Enum: values, Doc: doc}
}

// featuresParam is a max_features parameter with the given default.
func featuresParam(def any) ParamSpec {
	return ParamSpec{Name: "max_features", Type: ParamFeatures, Default: def, Enum: []string{"sqrt", "log2"},
		Doc: `features each split chooses from, drawn per split: "sqrt", "log2", a fraction in (0, 1] of the features (1 is all) or a count of at least 2`}
}

// only returns s restricted to the given variants.
func (s ParamSpec) only(variants ...string) ParamSpec {
	s.Variants = variants
	return s
}

// forTask returns s restricted to one task.
func (s ParamSpec) forTask(task string) ParamSpec {
	s.Tasks = []string{task}
	return s
}

func ptr(f float64) *float64 { return &f }
