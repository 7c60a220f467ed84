package golearn

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sjwhitworth/golearn/base"
	"github.com/sjwhitworth/golearn/trees"

	"gitlab.com/mlserve/mlserve/internal/learn"
	"gitlab.com/mlserve/mlserve/model"
)

// parityCases are the models every parity test trains: each algorithm,
// with the parameters that change how it predicts.
var parityCases = []struct {
	alg    string
	params map[string]any
}{
	{"random_forest", nil},
	{"random_forest", map[string]any{"trees": 7, "features": 1}},
	{"decision_tree", nil},
	{"decision_tree", map[string]any{"rule": "gain_ratio"}},
	{"decision_tree", map[string]any{"rule": "gini", "prune": 0.3}},
	{"knn", nil},
	{"knn", map[string]any{"k": 1, "distance": "manhattan"}},
	{"knn", map[string]any{"k": 12, "distance": "cosine"}},
	{"knn", map[string]any{"k": 100}},
	{"logistic_regression", nil},
	{"logistic_regression", map[string]any{"penalty": "l1", "C": 10.0}},
	{"naive_bayes", nil},
	{"naive_bayes", map[string]any{"bins": 2}},
	{"naive_bayes", map[string]any{"bins": 100}},
}

// parityDataset is a dataset the parity tests train on.
type parityDataset struct {
	name, target string
	f            *csvFile
}

// parityData returns the real datasets, and two with string features, one
// of them too wide for an encoded row on the stack.
func parityData(t *testing.T) []parityDataset {
	return []parityDataset{
		{"iris.csv", "Species", testdata(t, "iris.csv")},
		{"house-votes-84.csv", "party", testdata(t, "house-votes-84.csv")},
		{"iris with string features", "Species", withSize(t)},
		{"house-votes with string features of 185 values", "party", wideVotes(t)},
	}
}

func TestFastPredictorsMatchTheReference(t *testing.T) {
	for _, ds := range parityData(t) {
		f := ds.f
		for _, c := range parityCases {
			t.Run(fmt.Sprintf("%s%s on %s predicts every row, seen, held out or made up, as the reference", c.alg, paramString(c.params), ds.name), func(t *testing.T) {
				art := f.train(t, f.spec(t, model.JobRequest{Target: ds.target, Algorithm: c.alg, Params: c.params})).Artifact
				ref := load(t, art)
				rows := f.rows(t, ref.Features(), learn.AllRows(len(f.records)))
				assertParity(t, art, rows)
				assertParity(t, art, syntheticRows(t, f, ref.Features(), 100))
			})
		}
	}
	f := testdata(t, "iris.csv")
	for _, target := range []string{"Petal width", "Sepal length"} {
		t.Run("a linear regression of "+target+" predicts the reference's values to the bit", func(t *testing.T) {
			var features []string
			for _, h := range f.header {
				if h != target && h != "Species" {
					features = append(features, h)
				}
			}
			art := f.train(t, f.spec(t, model.JobRequest{Target: target, Algorithm: "linear_regression", Features: features})).Artifact
			ref := load(t, art)
			assertParity(t, art, f.rows(t, ref.Features(), learn.AllRows(len(f.records))))
			assertParity(t, art, syntheticRows(t, f, ref.Features(), 100))
		})
	}
	for _, ds := range parityData(t) {
		for _, params := range []map[string]any{nil, {"k": 1, "distance": "manhattan"}, {"k": 9, "distance": "cosine"}} {
			t.Run("a knn regression"+paramString(params)+" on "+ds.name+" predicts the reference's values to the bit", func(t *testing.T) {
				f, target := ds.f, "Sepal width" // a number column of every iris here
				if ds.target == "party" {
					target = "v2" // a number vote, -1, 0 or 1
				}
				spec := f.spec(t, model.JobRequest{Target: target, Algorithm: "knn", Task: model.TaskRegression, Params: params})
				art := f.train(t, spec).Artifact
				ref := load(t, art)
				assertParity(t, art, f.rows(t, ref.Features(), learn.AllRows(len(f.records))))
				assertParity(t, art, syntheticRows(t, f, ref.Features(), 100))
			})
		}
	}
}

func TestFastTreesMatchGolearn(t *testing.T) {
	for _, ds := range realDatasets {
		f := testdata(t, ds.file)
		for _, alg := range []string{"decision_tree", "random_forest"} {
			t.Run(alg+" on "+ds.file+" votes as golearn's DecisionTreeNode.Predict on the stored trees", func(t *testing.T) {
				art := f.train(t, f.spec(t, model.JobRequest{Target: ds.target, Algorithm: alg})).Artifact
				m := load(t, art)
				var roots []*trees.DecisionTreeNode
				_, payload, _ := parseArtifact(art)
				if err := json.Unmarshal(payload, &roots); err != nil {
					t.Fatal(err)
				}
				rows := learn.AllRows(len(f.records))
				x, y := encoded(t, f, m, rows)
				inst := treeInstances(x, y, m.h.Classes, rows, learn.AllRows(m.h.Dims))
				votes := make([][]int, len(rows))
				for r := range votes {
					votes[r] = make([]int, len(m.h.Classes))
				}
				for _, root := range roots {
					pred, err := root.Predict(inst)
					if err != nil {
						t.Fatal(err)
					}
					for r := range rows {
						votes[r][slices.Index(m.h.Classes, base.GetClass(pred, r))]++
					}
				}
				fast, out := fastPredict(t, art, f.rows(t, m.Features(), rows))
				for r := range rows {
					want := 0
					for c, v := range votes[r] {
						if v > votes[r][want] {
							want = c
						}
					}
					if got := int(out.Classes[r]); got != want {
						t.Fatalf("row %d: class %q, golearn's trees vote %q (%v)", r, fast.Classes()[got], m.h.Classes[want], votes[r])
					}
					if alg == "random_forest" {
						for c, v := range votes[r] {
							if p := out.Probs[r*len(votes[r])+c]; p != float64(v)/float64(len(roots)) {
								t.Fatalf("row %d: probability %v of class %d, golearn's trees vote %v", r, p, c, votes[r])
							}
						}
					}
				}
			})
		}
	}
}

func TestTheReferenceFallbackMatchesTheFastPredictors(t *testing.T) {
	f := testdata(t, "iris.csv")
	for alg, art := range artifacts(t) {
		t.Run(alg+" served by the reference gives the fast predictor's answers", func(t *testing.T) {
			m := load(t, art)
			in := batchOf(f.rows(t, m.Features(), learn.AllRows(len(f.records))))
			fast, slow := compile(m), newReferencePredictor(newCommon(m), m)
			a, b := outputFor(fast, in.Rows, true), outputFor(slow, in.Rows, true)
			fast.Predict(in, a)
			slow.Predict(in, b)
			if !slices.Equal(a.Classes, b.Classes) || !bitsEqual(a.Values, b.Values) || !bitsEqual(a.Probs, b.Probs) {
				t.Errorf("the fallback predicts %+v, the fast predictor %+v", b, a)
			}
		})
	}
}

func TestFastPredictorsTakeNaNAsTheReferenceDoes(t *testing.T) {
	// Callers refuse NaN, but a predictor must not panic on one: it
	// predicts as the reference does, which PredictTable lets through.
	f := testdata(t, "iris.csv")
	for alg, art := range artifacts(t) {
		t.Run(alg+" predicts a row of NaN as the reference", func(t *testing.T) {
			ref := load(t, art)
			tab := tableOf(t, f, ref.Features())
			for j := range tab.Columns {
				tab.Columns[j].Numbers[0] = math.NaN()
			}
			want, err := ref.PredictTable(tab)
			if err != nil {
				t.Fatal(err)
			}
			row := make(Row, len(ref.Features()))
			for j := range row {
				row[j] = math.NaN()
			}
			p, out := fastPredict(t, art, []Row{row})
			same := func(a, b []float64) bool {
				return slices.EqualFunc(a, b, func(x, y float64) bool { return x == y || math.IsNaN(x) && math.IsNaN(y) })
			}
			if p.Task() == model.TaskRegression {
				if !same(out.Values, []float64{want[0].Value}) {
					t.Errorf("%v, the reference predicts %v", out.Values[0], want[0].Value)
				}
				return
			}
			if got := p.Classes()[out.Classes[0]]; got != want[0].Class || !same(out.Probs, want[0].Probabilities) {
				t.Errorf("%q %v, the reference predicts %q %v", got, out.Probs, want[0].Class, want[0].Probabilities)
			}
		})
	}
}

func TestPredictorDescribesItsModel(t *testing.T) {
	for alg, art := range artifacts(t) {
		t.Run(alg+" has the reference's features, classes and task", func(t *testing.T) {
			ref := load(t, art)
			p, err := NewPredictorLoader().LoadPredictor(art)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(p.Features(), ref.Features()) || !slices.Equal(p.Classes(), ref.Classes()) || p.Task() != ref.Task() ||
				p.HasProbabilities() != (ref.Task() == model.TaskClassification) || p.SizeBytes() <= 0 {
				t.Errorf("%s: features %v, classes %q, task %s, probabilities %v, %d bytes", alg,
					p.Features(), p.Classes(), p.Task(), p.HasProbabilities(), p.SizeBytes())
			}
		})
	}
	t.Run("a forest of more trees takes more bytes", func(t *testing.T) {
		f := testdata(t, "iris.csv")
		size := func(n int) int64 {
			art := f.train(t, f.spec(t, model.JobRequest{Target: "Species", Algorithm: "random_forest", Params: map[string]any{"trees": n}})).Artifact
			p, _ := NewPredictorLoader().LoadPredictor(art)
			return p.SizeBytes()
		}
		if a, b := size(5), size(50); !(b > a) {
			t.Errorf("5 trees: %d bytes, 50 trees: %d", a, b)
		}
	})
}

// wideVotes returns house-votes with string columns "code" and "zone" of
// 90 and 95 values (a string feature may have at most 100), which one-hot
// encode to more columns than learn.StackDims.
func wideVotes(t *testing.T) *csvFile {
	t.Helper()
	votes := testdata(t, "house-votes-84.csv")
	var b strings.Builder
	b.WriteString("code,zone," + strings.Join(votes.header, ",") + "\n")
	for i, rec := range votes.records {
		fmt.Fprintf(&b, "c%02d,z%02d,%s\n", i*7%90, i*11%95, strings.Join(rec, ","))
	}
	return readCSV(t, []byte(b.String()))
}

// paramString formats params for a test name: " k=1 distance=cosine".
func paramString(params map[string]any) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(params)) {
		fmt.Fprintf(&b, " %s=%v", k, params[k])
	}
	return b.String()
}

// assertParity checks that the fast predictor of art predicts rows as
// the reference does: the same classes, and probabilities and values
// equal to the bit, in one batch, without probabilities and row by row.
func assertParity(t *testing.T, art []byte, rows []Row) {
	t.Helper()
	want := predict(t, load(t, art), rows)
	p, out := fastPredict(t, art, rows)
	checkOutput(t, p, want, out, "a batch")
	in := batchOf(rows)
	bare := outputFor(p, len(rows), false)
	p.Predict(in, bare)
	if !slices.Equal(bare.Classes, out.Classes) {
		t.Fatal("without probabilities, other classes")
	}
	one := outputFor(p, 1, true)
	for r := range rows {
		p.Predict(batchOf(rows[r:r+1]), one)
		checkOutput(t, p, want[r:r+1], one, "row "+strconv.Itoa(r)+" alone")
	}
}

// fastPredict loads art's fast predictor and predicts rows with it.
func fastPredict(tb testing.TB, art []byte, rows []Row) (model.Predictor, *model.Output) {
	tb.Helper()
	p, err := NewPredictorLoader().LoadPredictor(art)
	if err != nil {
		tb.Fatal(err)
	}
	out := outputFor(p, len(rows), true)
	p.Predict(batchOf(rows), out)
	return p, out
}

func checkOutput(t *testing.T, p model.Predictor, want []Prediction, out *model.Output, what string) {
	t.Helper()
	for r, w := range want {
		if p.Task() == model.TaskRegression {
			if math.Float64bits(out.Values[r]) != math.Float64bits(w.Value) {
				t.Fatalf("%s, row %d: %v, the reference predicts %v", what, r, out.Values[r], w.Value)
			}
			continue
		}
		c := len(p.Classes())
		if got, probs := p.Classes()[out.Classes[r]], out.Probs[r*c:(r+1)*c]; got != w.Class || !bitsEqual(probs, w.Probabilities) {
			t.Fatalf("%s, row %d: %q %v, the reference predicts %q %v", what, r, got, probs, w.Class, w.Probabilities)
		}
	}
}

func bitsEqual(a, b []float64) bool {
	return slices.EqualFunc(a, b, func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) })
}

// batchOf lays rows out as a Batch.
func batchOf(rows []Row) *model.Batch {
	n := 0
	if len(rows) > 0 {
		n = len(rows[0])
	}
	b := &model.Batch{Rows: len(rows), Nums: make([]float64, len(rows)*n), Strs: make([]string, len(rows)*n)}
	for r, row := range rows {
		for j, v := range row {
			switch v := v.(type) {
			case string:
				b.Strs[r*n+j] = v
			case float64:
				b.Nums[r*n+j] = v
			}
		}
	}
	return b
}

// outputFor returns buffers for rows predictions of p.
func outputFor(p model.Predictor, rows int, probs bool) *model.Output {
	out := &model.Output{Classes: make([]int32, rows), Values: make([]float64, rows)}
	if probs && p.HasProbabilities() {
		out.Probs = make([]float64, rows*len(p.Classes()))
	}
	return out
}

// syntheticRows returns n seeded random rows for the features of f: values
// from well outside the training range to well inside it, training
// values, zeros, and for string features training values and unseen ones.
// The first row is all zeros (a cosine distance of 0/0).
func syntheticRows(tb testing.TB, f *csvFile, features []model.Column, n int) []Row {
	tb.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	out := make([]Row, n)
	for _, c := range features {
		if c.Type == model.ColumnString {
			levels := slices.Compact(slices.Sorted(slices.Values(f.column(tb, c.Name))))
			for i := range out {
				v := "unseen-" + strings.Repeat("x", r.IntN(3))
				if i > 0 && r.IntN(4) > 0 {
					v = levels[r.IntN(len(levels))]
				}
				out[i] = append(out[i], v)
			}
			continue
		}
		values := f.numbers(tb, c.Name)
		lo, hi := slices.Min(values), slices.Max(values)
		span := max(hi-lo, 1)
		for i := range out {
			v := 0.0
			switch k := r.IntN(4); {
			case i == 0:
			case k == 0:
				v = values[r.IntN(len(values))]
			case k == 1:
				v = lo + (r.Float64()*5-2)*span
			case k == 2:
				v = lo + r.Float64()*span
			default:
				v = float64(r.IntN(3) - 1)
			}
			out[i] = append(out[i], v)
		}
	}
	return out
}

func TestKNNTreeFindsWhatAScanFinds(t *testing.T) {
	// Whole-number features: many rows at equal distances, whose order
	// (by training row) the tree must keep as the scan does.
	r := rand.New(rand.NewPCG(3, 3))
	var b strings.Builder
	b.WriteString("a,b,c,label\n")
	for i := range 3000 {
		fmt.Fprintf(&b, "%d,%d,%d,%s\n", r.IntN(7), r.IntN(5), r.IntN(9), []string{"x", "y", "z"}[(i*7)%3])
	}
	f := readCSV(t, []byte(b.String()))
	for _, params := range []map[string]any{{"k": 1}, {"k": 15}, {"k": 100, "distance": "manhattan"}} {
		t.Run(paramString(params), func(t *testing.T) {
			art := f.train(t, f.spec(t, model.JobRequest{Target: "label", Algorithm: "knn", Params: params})).Artifact
			p, err := NewPredictorLoader().LoadPredictor(art)
			if err != nil {
				t.Fatal(err)
			}
			tree := p.(*knnPredictor)
			if tree.kd == nil {
				t.Fatal("no tree for 3 dimensions")
			}
			other, err := NewPredictorLoader().LoadPredictor(art)
			if err != nil {
				t.Fatal(err)
			}
			scan := other.(*knnPredictor)
			scan.kd = nil
			rows := append(f.rows(t, p.Features(), learn.AllRows(500)), syntheticRows(t, f, p.Features(), 200)...)
			in := batchOf(rows)
			a, c := outputFor(p, in.Rows, true), outputFor(p, in.Rows, true)
			tree.Predict(in, a)
			scan.Predict(in, c)
			if !slices.Equal(a.Classes, c.Classes) || !bitsEqual(a.Probs, c.Probs) {
				t.Fatal("the tree and the scan disagree")
			}
		})
	}
}
