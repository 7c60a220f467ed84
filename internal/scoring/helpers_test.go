package scoring

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"gitlab.com/mlserve/mlserve/internal/csvdata"
	"gitlab.com/mlserve/mlserve/internal/learners"
	"gitlab.com/mlserve/mlserve/model"
)

// testFile returns a dataset of the repository's testdata.
func testFile(tb testing.TB, name string) []byte {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// dataset describes data as the store does, by csvdata.Inspect.
func dataset(tb testing.TB, data []byte) *model.Dataset {
	tb.Helper()
	sum, err := csvdata.Inspect(bytes.NewReader(data), csvdata.Limits{})
	if err != nil {
		tb.Fatalf("Inspect: %v", err)
	}
	return &model.Dataset{ID: "ds", Rows: sum.Rows, Columns: sum.Columns}
}

// inspect returns the columns of data, as its dataset has them.
func inspect(tb testing.TB, data []byte) []model.Column {
	tb.Helper()
	return dataset(tb, data).Columns
}

var trained struct {
	sync.Mutex
	m map[string]model.Predictor
}

// train returns the fast predictor of a model trained on data as the
// worker trains it, trained once per test process for each key.
func train(tb testing.TB, key string, data []byte, req model.JobRequest) model.Predictor {
	tb.Helper()
	trained.Lock()
	defer trained.Unlock()
	if p, ok := trained.m[key]; ok {
		return p
	}
	req.Type, req.Model, req.Dataset = model.JobTrain, "m", "ds"
	spec, err := model.PrepareTrain(&req, dataset(tb, data))
	if err != nil {
		var e *model.Error
		errors.As(err, &e)
		tb.Fatalf("PrepareTrain(%+v): %v %v", req, err, e.Fields)
	}
	res, err := learners.NewTrainer().Train(context.Background(), *spec, bytes.NewReader(data), nil)
	if err != nil {
		tb.Fatalf("Train(%+v): %v", spec, err)
	}
	p, err := learners.NewPredictorLoader().LoadPredictor(res.Artifact)
	if err != nil {
		tb.Fatal(err)
	}
	if trained.m == nil {
		trained.m = map[string]model.Predictor{}
	}
	trained.m[key] = p
	return p
}

// irisForest is the reference model of the benchmarks (SPEC 8): a random
// forest of 50 trees trained on iris, seed 1.
func irisForest(tb testing.TB) model.Predictor {
	tb.Helper()
	return train(tb, "iris forest", testFile(tb, "iris.csv"), model.JobRequest{
		Target: "Species", Algorithm: "random_forest", Params: map[string]any{"trees": 50},
		Validation: &model.ValidationSpec{Holdout: 0.2, Seed: 1},
	})
}

// irisRegression predicts iris's petal width from its other measures.
func irisRegression(tb testing.TB) model.Predictor {
	tb.Helper()
	return train(tb, "iris regression", testFile(tb, "iris.csv"), model.JobRequest{
		Target: "Petal width", Algorithm: "linear_regression",
		Features: []string{"Sepal length", "Sepal width", "Petal length"},
	})
}

// gappyIris is iris with every fifth measure left empty.
func gappyIris(tb testing.TB) []byte {
	tb.Helper()
	lines := strings.Split(strings.TrimSpace(string(testFile(tb, "iris.csv"))), "\n")
	var b strings.Builder
	b.WriteString(lines[0] + "\n")
	for i, line := range lines[1:] {
		fields := strings.Split(line, ",")
		fields[i%4] = ""
		if i%5 != 0 {
			fields = strings.Split(line, ",")
		}
		b.WriteString(strings.Join(fields, ",") + "\n")
	}
	return []byte(b.String())
}

// irisBoosting is gradient boosting trained on gappyIris: it takes
// missing values.
func irisBoosting(tb testing.TB) model.Predictor {
	tb.Helper()
	return train(tb, "iris boosting", gappyIris(tb), model.JobRequest{
		Target: "Species", Algorithm: "gradient_boosting", Params: map[string]any{"iterations": 20},
	})
}

// votesForest is a random forest on house votes written as words: its
// features are strings.
func votesForest(tb testing.TB) model.Predictor {
	tb.Helper()
	return train(tb, "votes forest", wordVotes(tb, 0), model.JobRequest{Target: "party", Algorithm: "random_forest"})
}

// wordVotes returns house-votes with every vote a word ("yes", "no", "unknown"), so
// its columns are strings. With a seed other than 0 some votes are padded
// with spaces, some fields quoted and some lines end with "\r\n".
func wordVotes(tb testing.TB, seed uint64) []byte {
	tb.Helper()
	words := map[string]string{"1": "yes", "-1": "no", "0": "unknown"}
	rng := rand.New(rand.NewPCG(seed, 7))
	lines := strings.Split(strings.TrimSpace(string(testFile(tb, "house-votes-84.csv"))), "\n")
	var b strings.Builder
	b.WriteString(lines[0] + "\n")
	for _, line := range lines[1:] {
		fields := strings.Split(line, ",")
		for i, f := range fields {
			if w, ok := words[f]; ok {
				fields[i] = w
			}
			if seed != 0 && rng.IntN(4) == 0 {
				fields[i] = " " + fields[i] + "  "
			}
			if seed != 0 && rng.IntN(4) == 0 {
				fields[i] = `"` + fields[i] + `"`
			}
		}
		end := "\n"
		if seed != 0 && rng.IntN(2) == 0 {
			end = "\r\n"
		}
		b.WriteString(strings.Join(fields, ",") + end)
	}
	return []byte(b.String())
}

// notes are the values of trickyIris's note column: every case of quoting.
var notes = []string{
	"plain", "a, b", `say "hi"`, "two\nlines", "crlf\r\nin quotes", " padded ", "", `\.`,
	"ünïcode", `"`, "tab\t", "\r", "x\r", "ends with,",
}

// trickyIris returns iris with a byte-order mark, a note column of notes,
// number fields quoted or padded now and then, empty lines, and "\r\n"
// line ends on every other line.
func trickyIris(tb testing.TB) []byte {
	tb.Helper()
	lines := strings.Split(strings.TrimSpace(string(testFile(tb, "iris.csv"))), "\n")
	var b strings.Builder
	b.WriteString("\xef\xbb\xbf" + lines[0] + ", note\n\n")
	for i, line := range lines[1:] {
		fields := strings.Split(line, ",")
		switch i % 5 {
		case 1:
			fields[0] = `"` + fields[0] + `"`
		case 2:
			fields[2] = " " + fields[2] + " "
		}
		note := notes[i%len(notes)]
		if note != "" && note != "plain" {
			note = `"` + strings.ReplaceAll(note, `"`, `""`) + `"`
		}
		end := "\n"
		if i%2 == 1 {
			end = "\r\n"
		}
		if i%9 == 0 {
			end += "\n"
		}
		b.WriteString(strings.Join(fields, ",") + "," + note + end)
	}
	return []byte(b.String())
}

// irisLike returns a header and rows of iris, cycled, with each measure
// moved by seeded noise of up to 0.1, written with one decimal.
func irisLike(tb testing.TB, rows int) []byte {
	tb.Helper()
	iris := readAll(tb, testFile(tb, "iris.csv"))
	rng := rand.New(rand.NewPCG(1, 2))
	var b bytes.Buffer
	b.WriteString("Sepal length,Sepal width,Petal length,Petal width,Species\n")
	for r := range rows {
		rec := iris[1+r%(len(iris)-1)]
		for i := range 4 {
			v, err := strconv.ParseFloat(rec[i], 64)
			if err != nil {
				tb.Fatal(err)
			}
			b.Write(strconv.AppendFloat(nil, max(0, v+rng.Float64()*0.2-0.1), 'f', 1, 64))
			b.WriteByte(',')
		}
		b.WriteString(rec[4] + "\n")
	}
	return b.Bytes()
}

// readAll reads data with encoding/csv, a byte-order mark skipped.
func readAll(tb testing.TB, data []byte) [][]string {
	tb.Helper()
	cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, utf8BOM)))
	cr.FieldsPerRecord = -1
	records, err := cr.ReadAll()
	if err != nil {
		tb.Fatal(err)
	}
	return records
}

// predictOne predicts one record of a dataset with the given header on its
// own, as the online API would: values parsed, trimmed, put in a Batch of
// one row.
func predictOne(tb testing.TB, p model.Predictor, header, record []string) (label string, value float64, probs []float64) {
	tb.Helper()
	in := &model.Batch{Rows: 1}
	for fi, f := range p.Features() {
		at := -1
		for i, h := range header {
			if strings.TrimSpace(h) == f.Name {
				at = i
			}
		}
		if at < 0 {
			tb.Fatalf("no column %q in %q", f.Name, header)
		}
		v := strings.TrimSpace(record[at])
		if f.Type == model.ColumnString {
			in.Strs = append(in.Strs, v)
			in.Nums = append(in.Nums, 0)
			continue
		}
		x, err := strconv.ParseFloat(v, 64)
		if v == "" && p.Missing(fi) {
			x, err = math.NaN(), nil
		}
		if err != nil {
			tb.Fatal(err)
		}
		in.Nums = append(in.Nums, x)
		in.Strs = append(in.Strs, "")
	}
	out := &model.Output{Classes: make([]int32, 1), Values: make([]float64, 1)}
	if p.HasProbabilities() {
		out.Probs = make([]float64, len(p.Classes()))
	}
	p.Predict(in, out)
	if p.Task() == model.TaskClassification {
		label = p.Classes()[out.Classes[0]]
	}
	return label, out.Values[0], out.Probs
}

// scoreRanges plans data in parts of partRows and scores each part's
// bytes on its own, returning the parts' output concatenated.
func scoreRanges(tb testing.TB, data []byte, partRows int64, p model.Predictor, includeInput bool) []byte {
	tb.Helper()
	l, err := NewLayout(inspect(tb, data), p, includeInput)
	if err != nil {
		tb.Fatal(err)
	}
	ranges, err := Plan(bytes.NewReader(data), partRows)
	if err != nil {
		tb.Fatal(err)
	}
	var out bytes.Buffer
	for _, r := range ranges {
		n, err := Score(context.Background(), bytes.NewReader(data[r.Offset:r.Offset+r.Length]), l, p, &out, nil)
		if err != nil {
			tb.Fatalf("Score(%+v): %v", r, err)
		}
		if n != r.Rows {
			tb.Fatalf("Score(%+v) scored %d rows", r, n)
		}
	}
	return out.Bytes()
}

// formatFloat is a number as Score must write it.
func formatFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func wantCode(tb testing.TB, err error, code string, parts ...string) {
	tb.Helper()
	msg := model.ErrorMessage(err)
	for _, part := range parts {
		if !strings.Contains(msg, part) {
			tb.Fatalf("error %v, want a message containing %q", err, part)
		}
	}
	if model.ErrorCode(err) != code {
		tb.Fatalf("error %v, want code %s", err, code)
	}
}
