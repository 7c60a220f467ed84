package e2e

import (
	"bytes"
	"encoding/csv"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gitlab.com/mlserve/mlserve/model"
)

// irisPath is the repository's copy of golearn's iris_headers.csv: four
// number features and the class, Species.
const irisPath = "../../testdata/iris.csv"

// modelName is the model every test trains and scores with.
const modelName = "iris"

// trainIris uploads iris, trains the reference model on it (a 50-tree
// random forest) with alias production, and returns its version.
func trainIris(tb testing.TB, c *client) *model.ModelVersion {
	tb.Helper()
	raw, err := os.ReadFile(irisPath)
	if err != nil {
		tb.Fatal(err)
	}
	ds := c.uploadDataset(tb, "iris", raw)
	job := c.submit(tb, map[string]any{
		"type": "train", "model": modelName, "dataset": ds.ID, "target": "Species",
		"algorithm": "random_forest", "params": map[string]any{"trees": 50},
		"validation": map[string]any{"holdout": 0.2, "seed": 1},
		"set_alias":  model.AliasProduction,
	})
	job = c.waitSucceeded(tb, job.ID, 2*time.Minute)
	return c.version(tb, modelName, job.Result.Version)
}

// bigRows is the size of the dataset the crash tests score.
const bigRows = 1_000_000

// dataset is a generated iris-like dataset: an id column (the row's
// number, from 0) and iris's four features.
type dataset struct {
	csv    []byte
	header []string  // id, then the features
	values []float64 // row i's feature values, in header order: values[i*nf : (i+1)*nf]
}

// nf is the number of features of a generated dataset: iris's.
const nf = 4

// rows is the number of data rows.
func (d *dataset) rows() int { return len(d.values) / nf }

// row returns row i's feature values, as the server parses them.
func (d *dataset) row(i int) []float64 { return d.values[i*nf : (i+1)*nf] }

var (
	bigOnce sync.Once
	big     *dataset
	bigErr  error
)

// bigDataset returns the 1,000,000-row dataset, generated once per run:
// each row is a random iris row with seeded noise, rounded to two decimals.
func bigDataset(tb testing.TB) *dataset {
	tb.Helper()
	bigOnce.Do(func() { big, bigErr = generate(bigRows) })
	if bigErr != nil {
		tb.Fatal(bigErr)
	}
	return big
}

func generate(rows int) (*dataset, error) {
	f, err := os.Open(irisPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	records, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, err
	}
	// iris's features come first, the class last.
	d := &dataset{header: []string{"id"}}
	for _, name := range records[0][:nf] {
		d.header = append(d.header, strings.TrimSpace(name))
	}
	var iris [][nf]float64
	for _, rec := range records[1:] {
		var r [nf]float64
		for j := range nf {
			if r[j], err = strconv.ParseFloat(strings.TrimSpace(rec[j]), 64); err != nil {
				return nil, err
			}
		}
		iris = append(iris, r)
	}

	rng := rand.New(rand.NewPCG(5, 1_000_000))
	var buf bytes.Buffer
	buf.Grow(rows * 32)
	buf.WriteString(strings.Join(d.header, ",") + "\n")
	d.values = make([]float64, rows*nf)
	var line []byte
	for i := range rows {
		base := iris[rng.IntN(len(iris))]
		line = strconv.AppendInt(line[:0], int64(i), 10)
		row := d.row(i)
		for j := range nf {
			v := max(base[j]+rng.NormFloat64()*0.2, 0.1)
			cell := strconv.FormatFloat(v, 'f', 2, 64)
			// The value is what the text says, as the server parses it.
			row[j], _ = strconv.ParseFloat(cell, 64)
			line = append(line, ',')
			line = append(line, cell...)
		}
		line = append(line, '\n')
		buf.Write(line)
	}
	d.csv = buf.Bytes()
	return d, nil
}

// head returns the dataset of d's first n rows.
func (d *dataset) head(n int) *dataset {
	end := 0
	for range n + 1 { // the header and n rows
		end += bytes.IndexByte(d.csv[end:], '\n') + 1
	}
	return &dataset{csv: d.csv[:end:end], header: d.header, values: d.values[: n*nf : n*nf]}
}

// instances returns rows [from, to) as predict instances: arrays in the
// order of features, which name the model's features.
func (d *dataset) instances(features []model.Column, from, to int) [][]float64 {
	index := make([]int, len(features))
	for k, f := range features {
		for j, name := range d.header[1:] {
			if name == f.Name {
				index[k] = j
			}
		}
	}
	out := make([][]float64, 0, to-from)
	for i := from; i < to; i++ {
		inst := make([]float64, len(features))
		for k, j := range index {
			inst[k] = d.row(i)[j]
		}
		out = append(out, inst)
	}
	return out
}
