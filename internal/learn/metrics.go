package learn

import (
	"math"

	"gitlab.com/mlserve/mlserve/model"
)

// Classification scores predicted against true class indexes. Macro
// averages are over the classes that occur among the true or predicted
// classes (scikit-learn's default): a class absent from the evaluated rows
// and never predicted has no precision or recall to average. Precision of
// a class never predicted, recall of a class never present, and F1 when
// both are 0, are 0.
func Classification(classes []string, truth, predicted []int) *model.ClassificationMetrics {
	k := len(classes)
	counts := make([][]int, k)
	for i := range counts {
		counts[i] = make([]int, k)
	}
	for i := range truth {
		counts[truth[i]][predicted[i]]++
	}
	m := &model.ClassificationMetrics{
		PerClass:  make([]model.ClassMetrics, k),
		Confusion: model.ConfusionMatrix{Labels: classes, Counts: counts},
	}
	correct, averaged := 0, 0
	for c := range k {
		tp, support, predictedAs := counts[c][c], 0, 0
		for o := range k {
			support += counts[c][o]
			predictedAs += counts[o][c]
		}
		correct += tp
		cm := model.ClassMetrics{Class: classes[c], Support: support}
		cm.Precision = ratio(tp, predictedAs)
		cm.Recall = ratio(tp, support)
		if cm.Precision+cm.Recall > 0 {
			cm.F1 = 2 * cm.Precision * cm.Recall / (cm.Precision + cm.Recall)
		}
		m.PerClass[c] = cm
		if support > 0 || predictedAs > 0 {
			averaged++
			m.MacroPrecision += cm.Precision
			m.MacroRecall += cm.Recall
			m.MacroF1 += cm.F1
		}
	}
	m.Accuracy = ratio(correct, len(truth))
	if averaged > 0 {
		m.MacroPrecision /= float64(averaged)
		m.MacroRecall /= float64(averaged)
		m.MacroF1 /= float64(averaged)
	}
	return m
}

// Regression scores predicted against true values. R² is 1 - SSres/SStot
// over the evaluated rows; when they all have one value (SStot = 0) it is
// 1 for perfect predictions and 0 otherwise, as scikit-learn reports.
func Regression(truth, predicted []float64) *model.RegressionMetrics {
	n := float64(len(truth))
	mean := 0.0
	for _, y := range truth {
		mean += y
	}
	mean /= n
	var se, ae, tot float64
	for i, y := range truth {
		d := predicted[i] - y
		se += d * d
		ae += math.Abs(d)
		tot += (y - mean) * (y - mean)
	}
	m := &model.RegressionMetrics{RMSE: math.Sqrt(se / n), MAE: ae / n}
	switch {
	case tot > 0:
		m.R2 = 1 - se/tot
	case se == 0:
		m.R2 = 1
	}
	return m
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
