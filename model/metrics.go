package model

// Validation methods, as recorded in Metrics.Method.
const (
	MethodHoldout         = "holdout"
	MethodCrossValidation = "cross_validation"
)

// Metrics is how well a trained model did on data it was not fitted on.
// With a holdout, they describe the stored model itself on the held-out
// rows; with k-fold cross-validation, they pool every row's out-of-fold
// prediction, and the stored model is then refitted on all rows.
type Metrics struct {
	Method    string  `json:"method" bson:"method"`
	Holdout   float64 `json:"holdout,omitempty" bson:"holdout,omitempty"`
	Folds     int     `json:"folds,omitempty" bson:"folds,omitempty"`
	Seed      int64   `json:"seed" bson:"seed"`
	TrainRows int     `json:"train_rows" bson:"train_rows"`
	// TestRows is how many predictions the scores below are computed on.
	TestRows int `json:"test_rows" bson:"test_rows"`

	Classification *ClassificationMetrics `json:"classification,omitempty" bson:"classification,omitempty"`
	Regression     *RegressionMetrics     `json:"regression,omitempty" bson:"regression,omitempty"`
	// OutOfBag scores a random forest (engine cart) on its own training
	// rows, each predicted by the trees whose bootstrap sample left it out.
	OutOfBag *OutOfBagScore `json:"out_of_bag,omitempty" bson:"out_of_bag,omitempty"`
}

// OutOfBagScore is a forest's out-of-bag estimate of its score: accuracy
// for a classifier, R² for a regressor (scikit-learn's oob_score_), over
// the Rows training rows that some tree left out.
type OutOfBagScore struct {
	Metric string  `json:"metric" bson:"metric"`
	Score  float64 `json:"score" bson:"score"`
	Rows   int     `json:"rows" bson:"rows"`
}

// ClassificationMetrics scores a classifier. Macro averages weigh every
// class alike; a class never predicted has precision 0.
type ClassificationMetrics struct {
	Accuracy       float64         `json:"accuracy" bson:"accuracy"`
	MacroPrecision float64         `json:"macro_precision" bson:"macro_precision"`
	MacroRecall    float64         `json:"macro_recall" bson:"macro_recall"`
	MacroF1        float64         `json:"macro_f1" bson:"macro_f1"`
	PerClass       []ClassMetrics  `json:"per_class" bson:"per_class"`
	Confusion      ConfusionMatrix `json:"confusion_matrix" bson:"confusion_matrix"`
}

// ClassMetrics scores one class.
type ClassMetrics struct {
	Class     string  `json:"class" bson:"class"`
	Precision float64 `json:"precision" bson:"precision"`
	Recall    float64 `json:"recall" bson:"recall"`
	F1        float64 `json:"f1" bson:"f1"`
	// Support is how many evaluated rows truly are of this class.
	Support int `json:"support" bson:"support"`
}

// ConfusionMatrix counts evaluated rows by true class (row) and predicted
// class (column), both in the order of Labels.
type ConfusionMatrix struct {
	Labels []string `json:"labels" bson:"labels"`
	Counts [][]int  `json:"counts" bson:"counts"`
}

// RegressionMetrics scores a regressor.
type RegressionMetrics struct {
	RMSE float64 `json:"rmse" bson:"rmse"`
	MAE  float64 `json:"mae" bson:"mae"`
	R2   float64 `json:"r2" bson:"r2"`
}
