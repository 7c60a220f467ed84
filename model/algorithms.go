package model

// Parameter types, as ParamSpec.Type names them.
const (
	ParamInt    = "int"    // a whole number; JSON's 10.0 counts, 10.5 does not
	ParamFloat  = "float"  // any finite number
	ParamString = "string" // one of ParamSpec.Enum
)

// Algorithm describes one training algorithm: what it predicts, which
// features it takes and its parameters. The training library (golearn,
// see model/golearn) implements it; this is the contract users see.
type Algorithm struct {
	Name string `json:"name"`
	// Task is TaskClassification or TaskRegression.
	Task string `json:"task"`
	// StringFeatures says whether string columns can be features. When
	// false, only number columns can.
	StringFeatures bool        `json:"string_features"`
	Params         []ParamSpec `json:"params"`
	Doc            string      `json:"doc"`
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
	Doc  string   `json:"doc"`
}

// Catalog lists every algorithm, in the order of Algorithms. It builds a
// fresh value on each call, so callers may keep or change what it returns.
func Catalog() []Algorithm {
	return []Algorithm{
		{
			Name: "random_forest", Task: TaskClassification, StringFeatures: true,
			Doc: "Bagged ID3 decision trees (golearn trees), each fitted on a bootstrap sample of the training rows " +
				"and a random subset of the features; the trees vote. String features are one-hot encoded.",
			Params: []ParamSpec{
				intParam("trees", 50, 1, 500, "number of trees"),
				// golearn draws a tree's features once per tree, not per
				// split as Breiman's forest does, and its ID3 splits on a
				// number feature at most once on a path: trees seeing
				// ⌈√n⌉ features are too shallow (iris: accuracy 0.85
				// against 0.96 with ⌈2n/3⌉, measured over five seeds).
				{Name: "features", Type: ParamInt, Min: ptr(1), AtMostFeatures: true,
					Doc: "features each tree sees, drawn at random per tree; default ⌈2n/3⌉ of the n features"},
			},
		},
		{
			Name: "decision_tree", Task: TaskClassification, StringFeatures: true,
			Doc: "One ID3 decision tree (golearn trees). Number features split at a threshold, each at most once " +
				"on a path; string features are one-hot encoded.",
			Params: []ParamSpec{
				enumParam("rule", "information_gain", []string{"information_gain", "gain_ratio", "gini"},
					"how a split is chosen: golearn's information gain, its gain ratio, or Gini impurity"),
				floatParam("prune", 0, 0, 0.5, false,
					"fraction of the training rows held out to prune the tree with (golearn's reduced-error "+
						"pruning); 0 grows the tree on every training row and does not prune"),
			},
		},
		{
			Name: "knn", Task: TaskClassification, StringFeatures: true,
			Doc: "k nearest neighbours with golearn's distance functions; the neighbours vote. " +
				"String features are one-hot encoded.",
			Params: []ParamSpec{
				intParam("k", 5, 1, 100, "number of neighbours that vote"),
				enumParam("distance", "euclidean", []string{"euclidean", "manhattan", "cosine"}, "distance between rows"),
			},
		},
		{
			Name: "logistic_regression", Task: TaskClassification, StringFeatures: true,
			Doc: "Regularized logistic regression (golearn's liblinear binding), one-vs-rest for more than two " +
				"classes, with an intercept. String features are one-hot encoded.",
			Params: []ParamSpec{
				enumParam("penalty", "l2", []string{"l2", "l1"}, "regularization: l2 (ridge) or l1 (lasso)"),
				floatParam("C", 1, 0, 1e6, true, "inverse regularization strength: larger fits the training rows more closely"),
				floatParam("eps", 0.01, 0, 1, true, "liblinear's stopping tolerance"),
			},
		},
		{
			Name: "linear_regression", Task: TaskRegression, StringFeatures: false,
			Doc: "Ordinary least squares with an intercept, by golearn's LinearRegression algorithm (QR). " +
				"Number features only; the target must be a number column.",
			Params: []ParamSpec{},
		},
		{
			Name: "naive_bayes", Task: TaskClassification, StringFeatures: true,
			Doc: "Bernoulli naive Bayes (golearn naive), which sees only binary features: a string feature " +
				"becomes one indicator per value, a number feature one indicator per equal-width bin of its " +
				"training range that holds training rows.",
			Params: []ParamSpec{
				intParam("bins", 5, 2, 100, "equal-width bins each number feature is cut into"),
			},
		},
	}
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

func intParam(name string, def, lo, hi int, doc string) ParamSpec {
	return ParamSpec{Name: name, Type: ParamInt, Default: def, Min: ptr(float64(lo)), Max: ptr(float64(hi)), Doc: doc}
}

func floatParam(name string, def, lo, hi float64, exclusiveMin bool, doc string) ParamSpec {
	return ParamSpec{Name: name, Type: ParamFloat, Default: def, Min: ptr(lo), Max: ptr(hi), ExclusiveMin: exclusiveMin, Doc: doc}
}

func enumParam(name, def string, values []string, doc string) ParamSpec {
	return ParamSpec{Name: name, Type: ParamString, Default: def, Enum: values, Doc: doc}
}

func ptr(f float64) *float64 { return &f }
