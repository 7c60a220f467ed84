package golearn

import (
	"encoding/json"
	"path/filepath"
	"sync"
	"testing"

	"github.com/sjwhitworth/golearn/base"
	"github.com/sjwhitworth/golearn/ensemble"
	"github.com/sjwhitworth/golearn/trees"

	"gitlab.com/mlserve/mlserve/internal/learn"
	"gitlab.com/mlserve/mlserve/model"
)

// The benchmarks of SPEC 8's reference model, a random forest of 50 trees
// trained on iris (seed 1): the fast predictor row by row, in batches and
// on every core; the reference (*Model).Predict; and golearn's own
// predictions, by its RandomForest and by its DecisionTreeNode.Predict on
// the stored trees.

const batchRows = 1024

// forestBench is the reference model and its inputs, built once per
// test process (the benchmarks share it).
type forestBench struct {
	art     []byte
	ref     *Model
	fast    model.Predictor
	rows    []Row          // iris's rows
	singles []*model.Batch // each of them alone
	batch   *model.Batch   // batchRows rows, iris's over and over
}

var forestOnce struct {
	sync.Once
	fb *forestBench
}

func benchForest(b *testing.B) *forestBench {
	b.Helper()
	forestOnce.Do(func() {
		f := testdata(b, "iris.csv")
		spec := f.spec(b, model.JobRequest{Target: "Species", Algorithm: "random_forest",
			Params: map[string]any{"trees": 50}, Validation: &model.ValidationSpec{Holdout: 0.2, Seed: 1}})
		fb := &forestBench{art: f.train(b, spec).Artifact}
		fb.ref = load(b, fb.art)
		var err error
		if fb.fast, err = NewPredictorLoader().LoadPredictor(fb.art); err != nil {
			b.Fatal(err)
		}
		fb.rows = f.rows(b, fb.ref.Features(), learn.AllRows(len(f.records)))
		for _, r := range fb.rows {
			fb.singles = append(fb.singles, batchOf([]Row{r}))
		}
		many := make([]Row, batchRows)
		for i := range many {
			many[i] = fb.rows[i%len(fb.rows)]
		}
		fb.batch = batchOf(many)
		forestOnce.fb = fb
	})
	if forestOnce.fb == nil {
		b.Fatal("the benchmark model failed to build")
	}
	return forestOnce.fb
}

// reportRows reports the time per row and rows per second of rows
// predicted per op.
func reportRows(b *testing.B, rows int) {
	total := float64(b.N) * float64(rows)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/total, "ns/row")
	b.ReportMetric(total/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkForest(b *testing.B) {
	fb := benchForest(b)
	b.Run("fast single row", func(b *testing.B) {
		out := outputFor(fb.fast, 1, true)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			fb.fast.Predict(fb.singles[i%len(fb.singles)], out)
		}
		reportRows(b, 1)
	})
	b.Run("fast batch", func(b *testing.B) {
		out := outputFor(fb.fast, batchRows, true)
		b.ReportAllocs()
		for b.Loop() {
			fb.fast.Predict(fb.batch, out)
		}
		reportRows(b, batchRows)
	})
	b.Run("fast batch on every core", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			out := outputFor(fb.fast, batchRows, true)
			for pb.Next() {
				fb.fast.Predict(fb.batch, out)
			}
		})
		reportRows(b, batchRows)
	})
	b.Run("reference single row", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, err := fb.ref.Predict(fb.rows[i%len(fb.rows)]); err != nil {
				b.Fatal(err)
			}
		}
		reportRows(b, 1)
	})
	b.Run("golearn trees single row", func(b *testing.B) {
		// golearn's DecisionTreeNode.Predict on the stored trees, with a
		// vote: what serving the artifact through golearn would cost.
		var roots []*trees.DecisionTreeNode
		_, payload, _ := parseArtifact(fb.art)
		if err := json.Unmarshal(payload, &roots); err != nil {
			b.Fatal(err)
		}
		x := make([][]float64, len(fb.rows))
		for r, row := range fb.rows {
			for _, v := range row {
				x[r] = append(x[r], v.(float64))
			}
		}
		classes := fb.ref.Classes()
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			inst := treeInstances(x, make([]int, len(x)), classes, []int{i % len(x)}, learn.AllRows(len(x[0])))
			votes := map[string]int{}
			for _, root := range roots {
				pred, err := root.Predict(inst)
				if err != nil {
					b.Fatal(err)
				}
				votes[base.GetClass(pred, 0)]++
			}
		}
		reportRows(b, 1)
	})
	b.Run("golearn RandomForest", func(b *testing.B) {
		// golearn's own RandomForest, 50 trees fitted by golearn on iris
		// as its README shows, predicting iris read by golearn.
		silenceGolearn()
		inst, err := base.ParseCSVToInstances(filepath.Join("..", "..", "testdata", "iris.csv"), true)
		if err != nil {
			b.Fatal(err)
		}
		rf := ensemble.NewRandomForest(50, 3)
		if err := golearnCall("fit golearn's RandomForest", func() error { return rf.Fit(inst) }); err != nil {
			b.Fatal(err)
		}
		_, rows := inst.Size()
		b.Run("single row", func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if _, err := rf.Predict(base.NewInstancesViewFromRows(inst, map[int]int{0: i % rows})); err != nil {
					b.Fatal(err)
				}
			}
			reportRows(b, 1)
		})
		b.Run("batch of iris", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := rf.Predict(inst); err != nil {
					b.Fatal(err)
				}
			}
			reportRows(b, rows)
		})
	})
}

// BenchmarkFastBatch predicts batches of iris with each algorithm's fast
// predictor, defaults for every parameter.
func BenchmarkFastBatch(b *testing.B) {
	f := testdata(b, "iris.csv")
	for _, alg := range algorithmNames() {
		req := model.JobRequest{Target: "Species", Algorithm: alg}
		if alg == "linear_regression" {
			req.Target, req.Features = "Petal width", []string{"Sepal length", "Sepal width", "Petal length"}
		}
		p, err := NewPredictorLoader().LoadPredictor(f.train(b, f.spec(b, req)).Artifact)
		if err != nil {
			b.Fatal(err)
		}
		rows := make([]Row, batchRows)
		iris := f.rows(b, p.Features(), learn.AllRows(len(f.records)))
		for i := range rows {
			rows[i] = iris[i%len(iris)]
		}
		in, out := batchOf(rows), outputFor(p, batchRows, true)
		b.Run(alg, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p.Predict(in, out)
			}
			reportRows(b, batchRows)
		})
	}
}
