package learn

import (
	"context"
	"fmt"
	"math"

	"gitlab.com/mlserve/mlserve/model"
)

// trial scores the spec's model as a search trial (model.TrialSpec): a
// k-fold cross-validation of the training rows (the holdout's training
// part, or every row), one score of the metric per fold. No model is
// kept. Its progress counts 1 for reading, then U+1 per fold.
func (r *run) trial(ctx context.Context) (*model.TrainResult, error) {
	t, v := r.spec.Trial, r.spec.Validation
	rows := AllRows(r.d.Rows)
	if v.Folds == 0 {
		rows, _ = HoldoutSplit(r.d.Rows, v.Holdout, v.Seed)
	}
	if t.Folds < 2 || t.Folds > len(rows) {
		return nil, invalidf("%d folds of %d training rows", t.Folds, len(rows))
	}
	score := &model.TrialScore{}
	at := int64(1)
	for i, fold := range FoldSplit(len(rows), t.Folds, t.Seed) {
		test := make([]int, len(fold))
		for k, j := range fold {
			test[k] = rows[j]
		}
		train := make([]int, 0, len(rows)-len(fold))
		for _, j := range Complement(len(rows), fold) {
			train = append(train, rows[j])
		}
		fitted, err := r.fit(ctx, train, i, at)
		if err != nil {
			return nil, fmt.Errorf("fold %d: %w", i+1, err)
		}
		classes, values, err := Predict(ctx, fitted.Predictor, r.d, test, r.threads)
		if err != nil {
			return nil, err
		}
		m := r.metrics(test, classes, values)
		s, err := metricValue(&m, t.Metric)
		if err != nil {
			return nil, err
		}
		score.Scores = append(score.Scores, s)
		at += r.units + 1
		r.progress.set(at)
	}
	for _, s := range score.Scores {
		score.Mean += s / float64(len(score.Scores))
	}
	for _, s := range score.Scores {
		score.Std += (s - score.Mean) * (s - score.Mean) / float64(len(score.Scores))
	}
	score.Std = math.Sqrt(score.Std)
	return &model.TrainResult{Classes: r.d.Classes, Trial: score}, nil
}

// metricValue is the named metric of m.
func metricValue(m *model.Metrics, metric string) (float64, error) {
	c, g := m.Classification, m.Regression
	switch {
	case metric == model.MetricAccuracy && c != nil:
		return c.Accuracy, nil
	case metric == model.MetricMacroF1 && c != nil:
		return c.MacroF1, nil
	case metric == model.MetricR2 && g != nil:
		return g.R2, nil
	case metric == model.MetricRMSE && g != nil:
		return g.RMSE, nil
	case metric == model.MetricMAE && g != nil:
		return g.MAE, nil
	}
	return 0, invalidf("metric %q does not score this model", metric)
}
