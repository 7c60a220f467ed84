package golearn

import (
	"bytes"
	"context"
	"encoding/csv"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gitlab.com/mlserve/mlserve/internal/csvdata"
	"gitlab.com/mlserve/mlserve/internal/learn"
	"gitlab.com/mlserve/mlserve/model"
)

// csvFile is a dataset CSV read independently of the code under test:
// encoding/csv and strconv, trimmed as datasets are.
type csvFile struct {
	raw     []byte
	header  []string
	records [][]string
}

func readCSV(tb testing.TB, raw []byte) *csvFile {
	tb.Helper()
	records, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
	if err != nil {
		tb.Fatal(err)
	}
	f := &csvFile{raw: raw}
	for _, h := range records[0] {
		f.header = append(f.header, strings.TrimSpace(h))
	}
	for _, rec := range records[1:] {
		row := make([]string, len(rec))
		for i, v := range rec {
			row[i] = strings.TrimSpace(v)
		}
		f.records = append(f.records, row)
	}
	return f
}

func testdata(tb testing.TB, name string) *csvFile {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return readCSV(tb, raw)
}

// column returns the values of the named column.
func (f *csvFile) column(tb testing.TB, name string) []string {
	tb.Helper()
	i := slices.Index(f.header, name)
	if i < 0 {
		tb.Fatalf("no column %q in %q", name, f.header)
	}
	out := make([]string, len(f.records))
	for r, rec := range f.records {
		out[r] = rec[i]
	}
	return out
}

// numbers returns the named column parsed as numbers.
func (f *csvFile) numbers(tb testing.TB, name string) []float64 {
	tb.Helper()
	var out []float64
	for _, s := range f.column(tb, name) {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

// rows returns the given rows as Predict input for the given features.
func (f *csvFile) rows(tb testing.TB, features []model.Column, rows []int) []Row {
	tb.Helper()
	cols := make([][]string, len(features))
	for j, c := range features {
		cols[j] = f.column(tb, c.Name)
	}
	out := make([]Row, len(rows))
	for k, r := range rows {
		for j, c := range features {
			if c.Type == model.ColumnString {
				out[k] = append(out[k], cols[j][r])
				continue
			}
			v, err := strconv.ParseFloat(cols[j][r], 64)
			if err != nil {
				tb.Fatal(err)
			}
			out[k] = append(out[k], v)
		}
	}
	return out
}

// dataset describes f as the store would, by csvdata.Inspect.
func (f *csvFile) dataset(tb testing.TB) *model.Dataset {
	tb.Helper()
	sum, err := csvdata.Inspect(bytes.NewReader(f.raw), csvdata.Limits{})
	if err != nil {
		tb.Fatal(err)
	}
	return &model.Dataset{ID: "ds", Rows: sum.Rows, Columns: sum.Columns, SHA256: sum.SHA256, SizeBytes: sum.SizeBytes}
}

// newTrainer returns a trainer of this package's learners.
func newTrainer() *learn.Trainer { return learn.NewTrainer(Learner) }

// spec prepares a train request on f as the API and worker do, choosing
// golearn's variant of an algorithm that has several unless req does.
func (f *csvFile) spec(tb testing.TB, req model.JobRequest) *model.TrainSpec {
	tb.Helper()
	req.Type, req.Model, req.Dataset = model.JobTrain, "m", "ds"
	if alg, _ := model.LookupAlgorithm(req.Algorithm); alg.Variant != "" {
		if _, set := req.Params[alg.Variant]; !set {
			req.Params = maps.Clone(req.Params)
			if req.Params == nil {
				req.Params = map[string]any{}
			}
			req.Params[alg.Variant] = golearnVariant(alg)
		}
	}
	spec, err := model.PrepareTrain(&req, f.dataset(tb))
	if err != nil {
		tb.Fatalf("PrepareTrain(%+v): %v", req, err)
	}
	return spec
}

// train trains spec on f and fails the test on an error.
func (f *csvFile) train(tb testing.TB, spec *model.TrainSpec) *model.TrainResult {
	tb.Helper()
	res, err := newTrainer().Train(context.Background(), *spec, bytes.NewReader(f.raw), nil)
	if err != nil {
		tb.Fatalf("Train(%+v): %v", spec, err)
	}
	return res
}

// load loads an artifact and fails the test on an error.
func load(tb testing.TB, artifact []byte) *Model {
	tb.Helper()
	m, err := Load(artifact)
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// predict predicts rows and fails the test on an error.
func predict(tb testing.TB, m *Model, rows []Row) []Prediction {
	tb.Helper()
	got, err := m.Predict(rows...)
	if err != nil {
		tb.Fatal(err)
	}
	return got
}

// algorithms are the algorithms golearn fits (one of their variants).
func algorithms() []model.Algorithm {
	var out []model.Algorithm
	for _, a := range model.Catalog() {
		task := a.Tasks[0]
		if _, ok := learnerFor(a.Name, task); ok {
			out = append(out, a)
		}
	}
	return out
}

// algorithmNames are the names of algorithms().
func algorithmNames() []string {
	var out []string
	for _, a := range algorithms() {
		out = append(out, a.Name)
	}
	return out
}

// classifiers are the classification algorithms golearn fits.
func classifiers() []string {
	var out []string
	for _, a := range algorithms() {
		if a.Learns(model.TaskClassification) {
			out = append(out, a.Name)
		}
	}
	return out
}

func near(a, b float64) bool {
	return math.Abs(a-b) <= 1e-12*max(1, math.Abs(a), math.Abs(b))
}

// wantCode asserts err is a *model.Error with the given code whose
// message contains part.
func wantCode(tb testing.TB, err error, code, part string) {
	tb.Helper()
	if model.ErrorCode(err) != code || !strings.Contains(model.ErrorMessage(err), part) {
		tb.Fatalf("error = %v, want code %s with a message containing %q", err, code, part)
	}
}

// trainErr trains spec on f and returns what Train returns.
func trainErr(f *csvFile, spec *model.TrainSpec) (*model.TrainResult, error) {
	return newTrainer().Train(context.Background(), *spec, bytes.NewReader(f.raw), nil)
}

type csvTableColumn = csvdata.TableColumn

// tableOf reads the given columns of f with csvdata.ReadTable.
func tableOf(tb testing.TB, f *csvFile, cols []model.Column) *csvdata.Table {
	tb.Helper()
	t, err := csvdata.ReadTable(bytes.NewReader(f.raw), cols)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

func nan() float64 { return math.NaN() }
