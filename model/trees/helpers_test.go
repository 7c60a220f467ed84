package trees

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gitlab.com/mlserve/mlserve/internal/csvdata"
	"gitlab.com/mlserve/mlserve/internal/learn"
	"gitlab.com/mlserve/mlserve/model"
)

// dataset is a CSV the tests train on.
type dataset struct {
	name, target string
	raw          []byte
}

func readTestdata(tb testing.TB, name string) []byte {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return raw
}

// friedman returns n rows of Friedman's regression #1 with 6 features.
func friedman(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	var b strings.Builder
	b.WriteString("a,b,c,d,e,f,y\n")
	for range n {
		x := make([]float64, 6)
		for j := range x {
			x[j] = r.Float64()
			fmt.Fprintf(&b, "%.4f,", x[j])
		}
		y := 10*math.Sin(math.Pi*x[0]*x[1]) + 20*(x[2]-0.5)*(x[2]-0.5) + 10*x[3] + 5*x[4] + r.NormFloat64()
		fmt.Fprintf(&b, "%.4f\n", y)
	}
	return []byte(b.String())
}

// gappy returns n rows of two classes that a number feature tells apart
// only by being missing (in 90% of one class's rows and 10% of the
// other's), with a noise feature and a sometimes missing string feature.
func gappy(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 2))
	var b strings.Builder
	b.WriteString("level,noise,color,label\n")
	for range n {
		label := r.IntN(2)
		level := fmt.Sprintf("%.3f", r.NormFloat64())
		if r.Float64() < 0.1+0.8*float64(label) {
			level = ""
		}
		color := []string{"red", "blue", ""}[r.IntN(3)]
		fmt.Fprintf(&b, "%s,%.3f,%s,%s\n", level, r.NormFloat64(), color, []string{"no", "yes"}[label])
	}
	return []byte(b.String())
}

// train trains req on raw as the worker does.
func train(tb testing.TB, raw []byte, req model.JobRequest) (*model.TrainSpec, *model.TrainResult) {
	tb.Helper()
	spec := prepareSpec(tb, raw, req)
	res, err := learn.NewTrainer(Learner).Train(context.Background(), *spec, bytes.NewReader(raw), nil)
	if err != nil {
		tb.Fatalf("Train(%+v): %v", spec, err)
	}
	return spec, res
}

func prepareSpec(tb testing.TB, raw []byte, req model.JobRequest) *model.TrainSpec {
	tb.Helper()
	sum, err := csvdata.Inspect(bytes.NewReader(raw), csvdata.Limits{})
	if err != nil {
		tb.Fatal(err)
	}
	req.Type, req.Model, req.Dataset = model.JobTrain, "m", "ds"
	spec, err := model.PrepareTrain(&req, &model.Dataset{ID: "ds", Rows: sum.Rows, Columns: sum.Columns})
	if err != nil {
		tb.Fatalf("PrepareTrain(%+v): %v", req, err)
	}
	return spec
}

// batchOf returns every row of raw's features as a batch (NaN for an
// empty number, "" for an empty string) and the table it read.
func batchOf(tb testing.TB, raw []byte, features []model.Column) (*model.Batch, *csvdata.Table) {
	tb.Helper()
	missing := make([]bool, len(features))
	for i := range missing {
		missing[i] = true
	}
	t, err := csvdata.ReadTableMissing(bytes.NewReader(raw), features, missing)
	if err != nil {
		tb.Fatal(err)
	}
	return tableBatch(t), t
}

func tableBatch(t *csvdata.Table) *model.Batch {
	f := len(t.Columns)
	b := &model.Batch{Rows: t.Rows, Nums: make([]float64, t.Rows*f), Strs: make([]string, t.Rows*f)}
	for i, c := range t.Columns {
		for r := range t.Rows {
			if c.Type == model.ColumnString {
				b.Strs[r*f+i] = c.Strings[r]
			} else {
				b.Nums[r*f+i] = c.Numbers[r]
			}
		}
	}
	return b
}

// madeUp returns n rows of random values for the features: numbers
// around the batch's, some far outside, some missing when missing is
// set; strings among the batch's and unseen ones.
func madeUp(in *model.Batch, features []model.Column, n int, missing bool) *csvdata.Table {
	r := rand.New(rand.NewPCG(9, 9))
	t := &csvdata.Table{Rows: n}
	for i, c := range features {
		col := csvdata.TableColumn{Name: c.Name, Type: c.Type}
		for range n {
			k := r.IntN(in.Rows)*len(features) + i
			if c.Type == model.ColumnString {
				col.Strings = append(col.Strings, []string{in.Strs[k], "never seen", ""}[r.IntN(3)])
				continue
			}
			v := in.Nums[k] * (0.5 + r.Float64())
			switch r.IntN(10) {
			case 0:
				v = -1e9
			case 1:
				v = 1e9
			case 2:
				if missing {
					v = math.NaN()
				}
			}
			col.Numbers = append(col.Numbers, v)
		}
		t.Columns = append(t.Columns, col)
	}
	return t
}

func bitsEqual(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

func paramString(p map[string]any) string {
	if len(p) == 0 {
		return ""
	}
	var parts []string
	for k, v := range p {
		parts = append(parts, k+"="+fmt.Sprint(v))
	}
	return " (" + strings.Join(parts, ", ") + ")"
}
