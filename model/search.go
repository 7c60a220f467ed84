package model

// The metrics a search ranks its trials by: accuracy and macro_f1 for a
// classification (higher is better), r2 (higher), rmse and mae (lower)
// for a regression.
const (
	MetricAccuracy = "accuracy"
	MetricMacroF1  = "macro_f1"
	MetricR2       = "r2"
	MetricRMSE     = "rmse"
	MetricMAE      = "mae"
)

// Bounds on a search: its trials (jobs.max_trials may allow fewer), a
// grid's values per parameter, a choice's values.
const (
	MaxTrials          = 1000
	MaxSearchValues    = 100
	DefaultSearchFolds = 5
)

// SearchSpec is a train request's "search": the candidates, a grid or a
// random search over the algorithm's parameters, or one of them per
// algorithm (Algorithms); each scored by Folds-fold cross-validation on
// the training rows by Metric.
type SearchSpec struct {
	SearchSpace `bson:",inline"`
	// Algorithms searches several algorithms, each over its own space;
	// the request then names no algorithm or params of its own.
	Algorithms map[string]SearchSpace `json:"algorithms,omitempty" bson:"algorithms,omitempty"`
	// Metric defaults to accuracy for a classification, r2 for a
	// regression; Folds to DefaultSearchFolds; Seed (of the random draws
	// and of the folds) to DefaultSeed.
	Metric string `json:"metric,omitempty" bson:"metric,omitempty"`
	Folds  int    `json:"folds,omitempty" bson:"folds,omitempty"`
	Seed   int64  `json:"seed,omitempty" bson:"seed,omitempty"`
}

// SearchSpace is the candidates of one algorithm: exactly one of Grid
// (every combination of the listed values; {} is the defaults alone) or
// Random.
type SearchSpace struct {
	Grid   map[string][]any `json:"grid,omitempty" bson:"grid,omitempty"`
	Random *RandomSearch    `json:"random,omitempty" bson:"random,omitempty"`
}

// RandomSearch draws Trials distinct candidates, each parameter from its
// distribution.
type RandomSearch struct {
	Trials int                     `json:"trials" bson:"trials"`
	Params map[string]Distribution `json:"params" bson:"params"`
}

// Distribution is one parameter's distribution: exactly one of Int (a
// whole number uniform in [lo, hi]), Float (uniform in [lo, hi]), Log
// (log-uniform in [lo, hi], lo > 0; rounded for a whole-number
// parameter) or Choice (one of the values, each as likely).
type Distribution struct {
	Int    []float64 `json:"int,omitempty" bson:"int,omitempty"`
	Float  []float64 `json:"float,omitempty" bson:"float,omitempty"`
	Log    []float64 `json:"log,omitempty" bson:"log,omitempty"`
	Choice []any     `json:"choice,omitempty" bson:"choice,omitempty"`
}

// SearchPlan is a checked search: the candidates in trial order, each
// with its params checked and filled in as CheckParams does.
type SearchPlan struct {
	Metric     string      `json:"metric"`
	Folds      int         `json:"folds"`
	Seed       int64       `json:"seed"`
	Candidates []Candidate `json:"candidates"`
}

// Candidate is one trial's model.
type Candidate struct {
	Algorithm string         `json:"algorithm" bson:"algorithm"`
	Params    map[string]any `json:"params" bson:"params"`
}

// TrialSpec makes a training a search trial (TrainSpec.Trial): the
// spec's model is scored by Folds-fold cross-validation of its training
// rows (the holdout's training part, or every row) by Metric, and no
// model is kept.
type TrialSpec struct {
	Metric string `json:"metric"`
	Folds  int    `json:"folds"`
	Seed   int64  `json:"seed"`
}

// TrialScore is what a trial measured: the metric on each fold, their
// mean and population standard deviation.
type TrialScore struct {
	Scores []float64 `json:"scores"`
	Mean   float64   `json:"mean"`
	Std    float64   `json:"std"`
}

// Trial statuses.
const (
	TrialSucceeded = "succeeded"
	TrialFailed    = "failed"
)

// Trial is one candidate as a search ran it.
type Trial struct {
	Algorithm string         `json:"algorithm" bson:"algorithm"`
	Params    map[string]any `json:"params" bson:"params"`
	Status    string         `json:"status" bson:"status"`
	// Mean and Std of the metric over the folds; nil for a failed trial,
	// whose Error says why.
	Mean    *float64  `json:"mean,omitempty" bson:"mean,omitempty"`
	Std     *float64  `json:"std,omitempty" bson:"std,omitempty"`
	Scores  []float64 `json:"scores,omitempty" bson:"scores,omitempty"`
	Seconds float64   `json:"seconds" bson:"seconds"`
	Error   string    `json:"error,omitempty" bson:"error,omitempty"`
}

// SearchResult is what a version records of the search that chose it.
type SearchResult struct {
	Metric string  `json:"metric" bson:"metric"`
	Folds  int     `json:"folds" bson:"folds"`
	Best   Trial   `json:"best" bson:"best"`
	Trials []Trial `json:"trials" bson:"trials"`
}

// HigherIsBetter reports whether a larger value of the metric is a
// better model.
func HigherIsBetter(metric string) bool {
	return metric != MetricRMSE && metric != MetricMAE
}

// MetricTask is the task whose models a metric scores, or "" for no
// metric.
func MetricTask(metric string) string {
	switch metric {
	case MetricAccuracy, MetricMacroF1:
		return TaskClassification
	case MetricR2, MetricRMSE, MetricMAE:
		return TaskRegression
	}
	return ""
}
