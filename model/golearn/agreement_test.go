package golearn

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/sjwhitworth/golearn/base"
	"github.com/sjwhitworth/golearn/linear_models"
	"github.com/sjwhitworth/golearn/naive"
	"github.com/sjwhitworth/golearn/trees"

	"gitlab.com/mlserve/mlserve/internal/learn"
	"gitlab.com/mlserve/mlserve/model"
)

// These tests check the pure-Go predictors against golearn's own Predict
// on golearn's own reading of the same payload: Load(artifact).Predict is
// the reference predictor because it predicts as golearn does.

// encoded returns a model's encoding of rows of the CSV, and their
// classes, as the golearn instances a golearn Predict reads.
func encoded(t *testing.T, f *csvFile, m *Model, rows []int) ([][]float64, []int) {
	t.Helper()
	cols := make([]string, len(m.h.Features))
	for j, c := range m.h.Features {
		cols[j] = c.Name
	}
	tab := tableOf(t, f, m.h.Features)
	features := make([]*csvTableColumn, len(cols))
	for j := range cols {
		features[j] = tab.Column(cols[j])
	}
	x := m.enc.Encode(features, rows)
	var y []int
	if m.h.Task == model.TaskClassification {
		target := f.column(t, m.h.Target)
		for _, r := range rows {
			for c, name := range m.h.Classes {
				if name == target[r] {
					y = append(y, c)
				}
			}
		}
	}
	return x, y
}

func TestTreesAgreeWithGolearn(t *testing.T) {
	for _, ds := range realDatasets {
		f := testdata(t, ds.file)
		for _, alg := range []string{"decision_tree", "random_forest"} {
			t.Run(alg+" on "+ds.file+" predicts as golearn's DecisionTreeNode.Predict on the stored trees", func(t *testing.T) {
				res := f.train(t, f.spec(t, model.JobRequest{Target: ds.target, Algorithm: alg, Params: treeParams(alg)}))
				m := load(t, res.Artifact)
				_, payload, _ := parseArtifact(res.Artifact)
				var roots []*trees.DecisionTreeNode
				if err := json.Unmarshal(payload, &roots); err != nil {
					t.Fatalf("golearn cannot read the payload: %v", err)
				}
				rows := learn.AllRows(len(f.records))
				x, y := encoded(t, f, m, rows)
				inst := treeInstances(x, y, m.h.Classes, rows, learn.AllRows(m.h.Dims))
				ours := treesOf(m)
				for i, root := range roots {
					pred, err := root.Predict(inst)
					if err != nil {
						t.Fatal(err)
					}
					for r := range rows {
						if got, want := m.h.Classes[ours[i].leaf(x[r]).class], base.GetClass(pred, r); got != want {
							t.Fatalf("tree %d, row %d: %q, golearn predicts %q", i, r, got, want)
						}
					}
				}
			})
		}
	}
}

func treeParams(alg string) map[string]any {
	if alg == "random_forest" {
		return map[string]any{"trees": 10}
	}
	return nil
}

func treesOf(m *Model) []*tree {
	switch p := m.p.(type) {
	case singleTree:
		return []*tree{p.t}
	case forest:
		return p.trees
	}
	return nil
}

func TestLogisticRegressionAgreesWithLiblinear(t *testing.T) {
	// Iris has only positive features: golearn's linear_models.Predict
	// drops the others (it passes liblinear only values > 0).
	f := testdata(t, "iris.csv")
	for _, penalty := range []string{"l2", "l1"} {
		t.Run(penalty+": liblinear's predict on liblinear's load of the payload gives the same classes", func(t *testing.T) {
			res := f.train(t, f.spec(t, model.JobRequest{Target: "Species", Algorithm: "logistic_regression", Params: map[string]any{"penalty": penalty}}))
			m := load(t, res.Artifact)
			_, payload, _ := parseArtifact(res.Artifact)
			path := filepath.Join(t.TempDir(), "model")
			if err := os.WriteFile(path, payload, 0o600); err != nil {
				t.Fatal(err)
			}
			ll := new(linear_models.Model)
			if err := linear_models.Load(ll, path); err != nil {
				t.Fatal(err)
			}
			rows := learn.AllRows(len(f.records))
			x, _ := encoded(t, f, m, rows)
			for r := range rows {
				want := int(linear_models.Predict(ll, append(x[r], 1)))
				if got := m.p.predict(x[r]).class; got != want {
					t.Fatalf("row %d: class %d, liblinear predicts %d", r, got, want)
				}
			}
		})
	}
}

func TestNaiveBayesAgreesWithGolearn(t *testing.T) {
	for _, ds := range realDatasets {
		f := testdata(t, ds.file)
		t.Run("on "+ds.file+" golearn's Load and Predict of the payload give the same classes", func(t *testing.T) {
			res := f.train(t, f.spec(t, model.JobRequest{Target: ds.target, Algorithm: "naive_bayes"}))
			m := load(t, res.Artifact)
			_, payload, _ := parseArtifact(res.Artifact)
			path := filepath.Join(t.TempDir(), "model")
			if err := os.WriteFile(path, payload, 0o600); err != nil {
				t.Fatal(err)
			}
			nb := naive.NewBernoulliNBClassifier()
			if err := nb.Load(path); err != nil {
				t.Fatalf("golearn cannot load the payload: %v", err)
			}
			rows := learn.AllRows(len(f.records))
			x, y := encoded(t, f, m, rows)
			pred, err := nb.Predict(binaryInstances(x, y, m.h.Classes, rows))
			if err != nil {
				t.Fatal(err)
			}
			for r := range rows {
				if got, want := m.h.Classes[m.p.predict(x[r]).class], base.GetClass(pred, r); got != want {
					t.Fatalf("row %d: %q, golearn predicts %q", r, got, want)
				}
			}
		})
	}
}

func TestLinearRegressionAgreesWithGolearn(t *testing.T) {
	f := testdata(t, "iris.csv")
	spec := f.spec(t, model.JobRequest{Target: "Petal width", Algorithm: "linear_regression",
		Features: []string{"Sepal length", "Sepal width", "Petal length"}})
	res := f.train(t, spec)
	m := load(t, res.Artifact)
	train, _ := learn.HoldoutSplit(len(f.records), 0.2, 1)
	x, _ := encoded(t, f, m, train)
	target := f.numbers(t, "Petal width")
	var v []float64
	for _, r := range train {
		v = append(v, target[r])
	}
	lr := linear_models.NewLinearRegression()
	if err := lr.Fit(regressionInstances(x, v, learn.AllRows(len(x)), m.h.Dims)); err != nil {
		t.Fatal(err)
	}
	pred, err := lr.Predict(regressionInstances(x, v, learn.AllRows(len(x)), m.h.Dims))
	if err != nil {
		t.Fatal(err)
	}
	spec2, _ := pred.GetAttribute(pred.AllClassAttributes()[0])
	for i := range x {
		want := base.UnpackBytesToFloat(pred.Get(spec2, i))
		// golearn solves with its columns in map order: equal to rounding.
		if got := m.p.predict(x[i]).value; math.Abs(got-want) > 1e-9 {
			t.Fatalf("row %d: %v, golearn predicts %v", i, got, want)
		}
	}
}

func TestSplitRuleAgreesWithGolearn(t *testing.T) {
	// golearn's threshold sweep miscounts its index past repeated values
	// (see splitRule), and breaks ties between attributes in map order:
	// on distinct random values neither happens, and the rules must agree.
	r := learn.NewRand(5, 0)
	classes := []string{"a", "b", "c"}
	for trial := range 20 {
		x := make([][]float64, 60)
		y := make([]int, len(x))
		for i := range x {
			x[i] = []float64{r.Float64(), r.Float64(), r.Float64()}
			y[i] = int(3*x[i][trial%3]+0.3*r.Float64()) % 3
		}
		inst := treeInstances(x, y, classes, learn.AllRows(len(x)), []int{0, 1, 2})
		for _, tt := range []struct {
			criterion string
			golearn   trees.RuleGenerator
		}{
			{ruleInformationGain, new(trees.InformationGainRuleGenerator)},
			{ruleGainRatio, new(trees.InformationGainRatioRuleGenerator)},
		} {
			ours := (&splitRule{criterion: tt.criterion, classes: 3}).GenerateSplitRule(inst)
			theirs := tt.golearn.GenerateSplitRule(inst)
			if ours.SplitAttr.GetName() == theirs.SplitAttr.GetName() && ours.SplitVal == theirs.SplitVal {
				continue
			}
			// Splits whose entropies are equal in exact arithmetic tie;
			// each implementation's rounding then picks one.
			a := splitEntropy(x, y, ours.SplitAttr.GetName(), ours.SplitVal)
			b := splitEntropy(x, y, theirs.SplitAttr.GetName(), theirs.SplitVal)
			if math.Abs(a-b) > 1e-12 {
				t.Errorf("trial %d, %s: split on %s at %v, golearn splits on %s at %v", trial,
					tt.criterion, ours.SplitAttr.GetName(), ours.SplitVal, theirs.SplitAttr.GetName(), theirs.SplitVal)
			}
		}
	}
}

// splitEntropy is the conditional class entropy of splitting rows at a
// threshold of the column attrName names.
func splitEntropy(x [][]float64, y []int, attr string, threshold float64) float64 {
	left, right := make([]int, 3), make([]int, 3)
	for i := range x {
		if x[i][int(attr[1]-'0')] > threshold {
			right[y[i]]++
		} else {
			left[y[i]]++
		}
	}
	l, r := float64(sum(left)), float64(sum(right))
	return (l*entropy(left) + r*entropy(right)) / (l + r)
}
