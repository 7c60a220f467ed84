package golearn

import (
	"math"
	"reflect"
	"slices"
	"testing"

	"gitlab.com/mlserve/mlserve/internal/learn"
	"gitlab.com/mlserve/mlserve/model"
)

// realDatasets are the datasets every classifier must train on.
var realDatasets = []struct{ file, target string }{
	{"iris.csv", "Species"},
	{"house-votes-84.csv", "party"},
}

func TestEveryClassifierTrainsAndEvaluates(t *testing.T) {
	for _, ds := range realDatasets {
		f := testdata(t, ds.file)
		for _, alg := range classifiers() {
			t.Run(alg+" on "+ds.file+" scores the stored model on the held-out rows", func(t *testing.T) {
				spec := f.spec(t, model.JobRequest{Target: ds.target, Algorithm: alg})
				res := f.train(t, spec)
				checkHoldout(t, f, spec, res)
				t.Logf("%s on %s: holdout 0.2 accuracy %.4f, macro F1 %.4f, artifact %d bytes",
					alg, ds.file, res.Metrics.Classification.Accuracy, res.Metrics.Classification.MacroF1, len(res.Artifact))
			})
		}
	}
}

func TestRandomForestOnIrisIsAccurate(t *testing.T) {
	f := testdata(t, "iris.csv")
	res := f.train(t, f.spec(t, model.JobRequest{Target: "Species", Algorithm: "random_forest"}))
	acc := res.Metrics.Classification.Accuracy
	t.Logf("random forest, 50 trees of 3 features, on iris with a 0.2 holdout (seed 1): accuracy %.4f", acc)
	if acc < 0.9 {
		t.Errorf("accuracy %.4f, want at least 0.9", acc)
	}
}

// checkHoldout checks a holdout's classification metrics against values
// recomputed from the confusion matrix, and from the stored model's own
// predictions of the held-out rows compared with the CSV.
func checkHoldout(t *testing.T, f *csvFile, spec *model.TrainSpec, res *model.TrainResult) {
	t.Helper()
	m, c := res.Metrics, res.Metrics.Classification
	n := len(f.records)
	wantTest := int(math.Round(0.2 * float64(n)))
	if m.Method != model.MethodHoldout || m.Holdout != 0.2 || m.Seed != 1 || m.TestRows != wantTest || m.TrainRows != n-wantTest {
		t.Fatalf("metrics %+v, want a 0.2 holdout, seed 1, of %d test and %d training rows", m, wantTest, n-wantTest)
	}
	truthAll := f.column(t, spec.Target)
	classes := slices.Compact(slices.Sorted(slices.Values(truthAll)))
	if !slices.Equal(res.Classes, classes) || !slices.Equal(c.Confusion.Labels, classes) {
		t.Fatalf("classes %q, labels %q, want %q", res.Classes, c.Confusion.Labels, classes)
	}

	trace, total := 0, 0
	for i, row := range c.Confusion.Counts {
		for j, v := range row {
			total += v
			if i == j {
				trace += v
			}
		}
	}
	if total != m.TestRows || !near(c.Accuracy, float64(trace)/float64(total)) {
		t.Errorf("confusion matrix of %d rows with %d on the diagonal, accuracy %v", total, trace, c.Accuracy)
	}

	_, test := learn.HoldoutSplit(n, 0.2, 1)
	if len(test) != wantTest {
		t.Fatalf("%d held-out rows, want %d", len(test), wantTest)
	}
	got := predict(t, load(t, res.Artifact), f.rows(t, spec.Features, test))
	truth, predicted := make([]string, len(test)), make([]string, len(test))
	for k, r := range test {
		truth[k], predicted[k] = truthAll[r], got[k].Class
		checkProbabilities(t, classes, got[k])
	}
	checkClassification(t, c, classes, truth, predicted)
}

// checkClassification recomputes every classification metric from true
// and predicted classes.
func checkClassification(t *testing.T, c *model.ClassificationMetrics, classes, truth, predicted []string) {
	t.Helper()
	counts := make([][]int, len(classes))
	for i := range counts {
		counts[i] = make([]int, len(classes))
	}
	correct := 0
	for k := range truth {
		counts[slices.Index(classes, truth[k])][slices.Index(classes, predicted[k])]++
		if truth[k] == predicted[k] {
			correct++
		}
	}
	if !reflect.DeepEqual(counts, c.Confusion.Counts) {
		t.Errorf("confusion matrix %v, the model's predictions give %v", c.Confusion.Counts, counts)
	}
	if want := float64(correct) / float64(len(truth)); !near(c.Accuracy, want) {
		t.Errorf("accuracy %v, the model's predictions give %v", c.Accuracy, want)
	}
	var sums [3]float64
	averaged := 0
	for i, class := range classes {
		tp, support, called := 0, 0, 0
		for k := range truth {
			isTrue, isPredicted := truth[k] == class, predicted[k] == class
			if isTrue {
				support++
			}
			if isPredicted {
				called++
			}
			if isTrue && isPredicted {
				tp++
			}
		}
		var p, r, f1 float64
		if called > 0 {
			p = float64(tp) / float64(called)
		}
		if support > 0 {
			r = float64(tp) / float64(support)
		}
		if p+r > 0 {
			f1 = 2 * p * r / (p + r)
		}
		want := model.ClassMetrics{Class: class, Precision: p, Recall: r, F1: f1, Support: support}
		if got := c.PerClass[i]; got.Class != want.Class || got.Support != want.Support ||
			!near(got.Precision, p) || !near(got.Recall, r) || !near(got.F1, f1) {
			t.Errorf("class %s: %+v, want %+v", class, got, want)
		}
		if support > 0 || called > 0 {
			averaged++
			sums[0], sums[1], sums[2] = sums[0]+p, sums[1]+r, sums[2]+f1
		}
	}
	n := float64(averaged)
	if !near(c.MacroPrecision, sums[0]/n) || !near(c.MacroRecall, sums[1]/n) || !near(c.MacroF1, sums[2]/n) {
		t.Errorf("macro precision, recall, F1 %v %v %v, want %v %v %v",
			c.MacroPrecision, c.MacroRecall, c.MacroF1, sums[0]/n, sums[1]/n, sums[2]/n)
	}
}

// checkProbabilities checks a classification's probabilities: one per
// class, summing to 1, the predicted class's the largest.
func checkProbabilities(t *testing.T, classes []string, p Prediction) {
	t.Helper()
	if len(p.Probabilities) != len(classes) {
		t.Fatalf("%d probabilities for %d classes", len(p.Probabilities), len(classes))
	}
	sum := 0.0
	for _, v := range p.Probabilities {
		sum += v
	}
	if math.Abs(sum-1) > 1e-9 || p.Probabilities[slices.Index(classes, p.Class)] != slices.Max(p.Probabilities) {
		t.Errorf("probabilities %v for class %q", p.Probabilities, p.Class)
	}
}
