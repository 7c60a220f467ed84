package scoring

import (
	"bytes"
	"context"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"gitlab.com/mlserve/mlserve/model"
)

// checkScored fails the test unless out, read by encoding/csv, has one
// record per data record of data, each with the record's fields when the
// input is included, then what p predicts for the record alone.
func checkScored(t *testing.T, data, out []byte, p model.Predictor, includeInput bool) {
	t.Helper()
	if bytes.Contains(out, []byte("\r\n")) {
		t.Error("the output has a \"\\r\\n\" line end")
	}
	input := readAll(t, data)
	header, rows := input[0], input[1:]
	got := readAll(t, out)
	if len(got) != len(rows) {
		t.Fatalf("%d output records for %d rows", len(got), len(rows))
	}
	for i, rec := range got {
		k := 0
		if includeInput {
			k = len(header)
			if !slices.Equal(rec[:min(k, len(rec))], rows[i]) {
				t.Fatalf("row %d: input echoed as %q, want %q", i, rec[:min(k, len(rec))], rows[i])
			}
		}
		label, value, probs := predictOne(t, p, header, rows[i])
		want := []string{label}
		if p.Task() == model.TaskRegression {
			want = []string{formatFloat(value)}
		}
		for _, v := range probs {
			want = append(want, formatFloat(v))
		}
		if !slices.Equal(rec[k:], want) {
			t.Fatalf("row %d: prediction %q, want %q", i, rec[k:], want)
		}
	}
}

func TestScorePredictsEveryRecordAsPredictDoesForItAlone(t *testing.T) {
	iris, tricky := testFile(t, "iris.csv"), trickyIris(t)
	tests := []struct {
		name         string
		data         []byte
		partRows     int64
		includeInput bool
	}{
		{"iris in one part", iris, 1000, false},
		{"iris in parts of 7, input included", iris, 7, true},
		{"iris with quotes, padding and empty lines in parts of 3, input included", tricky, 3, true},
		{"iris with quotes, padding and empty lines in one part", tricky, 1000, false},
		{"2500 iris-like rows in parts of 1100, over batch boundaries", irisLike(t, 2500), 1100, true},
	}
	p := irisForest(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := scoreRanges(t, tt.data, tt.partRows, p, tt.includeInput)
			checkScored(t, tt.data, out, p, tt.includeInput)
		})
	}
}

func TestScoreGivesAModelThatTakesMissingValuesNaNForAnEmptyCell(t *testing.T) {
	data := gappyIris(t)
	out := scoreRanges(t, data, 40, irisBoosting(t), true)
	checkScored(t, data, out, irisBoosting(t), true)
	l, err := NewLayout(inspect(t, data), irisForest(t), false)
	if err != nil {
		t.Fatal(err)
	}
	_, body, _ := bytes.Cut(data, []byte("\n")) // the records after the header
	_, err = Score(context.Background(), bytes.NewReader(body), l, irisForest(t), io.Discard, nil)
	wantCode(t, err, model.CodeInvalid, "is empty; a number is needed")
}

func TestScoreReadsStringFeaturesTrimmed(t *testing.T) {
	p := votesForest(t)
	if f := p.Features()[0]; f.Type != model.ColumnString {
		t.Fatalf("feature %+v, want a string feature", f)
	}
	data := wordVotes(t, 3)
	for _, includeInput := range []bool{false, true} {
		out := scoreRanges(t, data, 100, p, includeInput)
		checkScored(t, data, out, p, includeInput)
	}
}

func TestScoreWritesRegressionPredictionsAsNumbers(t *testing.T) {
	p := irisRegression(t)
	data := testFile(t, "iris.csv")
	out := scoreRanges(t, data, 60, p, false)
	checkScored(t, data, out, p, false)
	first, _, _ := strings.Cut(string(out), "\n")
	if _, err := strconv.ParseFloat(first, 64); err != nil {
		t.Fatalf("first line %q is not a number", first)
	}
}

// irisRecords returns n records of iris-like rows, no header.
func irisRecords(tb testing.TB, n int) []byte {
	tb.Helper()
	data := irisLike(tb, n)
	return data[bytes.IndexByte(data, '\n')+1:]
}

// irisLayout lays out iris's columns for the reference forest.
func irisLayout(tb testing.TB, includeInput bool) (*Layout, model.Predictor) {
	tb.Helper()
	p := irisForest(tb)
	l, err := NewLayout(inspect(tb, testFile(tb, "iris.csv")), p, includeInput)
	if err != nil {
		tb.Fatal(err)
	}
	return l, p
}

func TestScoreRejectsARecordItCannotScore(t *testing.T) {
	const good = "5.1,3.5,1.4,0.2,x\n"
	tests := []struct {
		name    string
		records string
		rows    int64 // written before the error
		code    string
		parts   []string
	}{
		{"a record with a field too few", good + "5.1,3.5,1.4,x\n", 0, model.CodeInvalid,
			[]string{"record 2: 4 fields, the header has 5"}},
		{"a record with a field too many", good + good + "5.1,3.5,1.4,0.2,x,y\n", 0, model.CodeInvalid,
			[]string{"record 3: 6 fields, the header has 5"}},
		{"a number feature that is not a number", good + "5.1,abc,1.4,0.2,x\n", 0, model.CodeInvalid,
			[]string{`record 2: column "Sepal width": "abc" is not a number`}},
		{"a number feature that is NaN", "5.1,3.5,1.4,NaN,x\n", 0, model.CodeInvalid,
			[]string{`record 1: column "Petal width": "NaN" is not a number`}},
		{"an empty number feature", "5.1,3.5,  ,0.2,x\n", 0, model.CodeInvalid,
			[]string{`record 1: column "Petal length" is empty; a number is needed`}},
		{"a quoted field never closed", good + "5.1,3.5,1.4,0.2,\"x\n", 0, model.CodeCorrupt,
			[]string{"record 2: " + problemUnclosed}},
		{"a bad record after a full batch", strings.Repeat(good, 1030) + "5.1,3.5,1.4,0.2,\"x\"y\n", 1024, model.CodeCorrupt,
			[]string{"record 1031: " + problemStray}},
	}
	l, p := irisLayout(t, false)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			rows, err := Score(context.Background(), strings.NewReader(tt.records), l, p, &out, nil)
			wantCode(t, err, tt.code, tt.parts...)
			if lines := int64(bytes.Count(out.Bytes(), []byte("\n"))); rows != tt.rows || lines != tt.rows {
				t.Fatalf("%d rows, %d lines written, want %d", rows, lines, tt.rows)
			}
		})
	}
}

func TestScoreReportsEachBatch(t *testing.T) {
	l, p := irisLayout(t, false)
	var reports []int64
	rows, err := Score(context.Background(), bytes.NewReader(irisRecords(t, 3000)), l, p, io.Discard, func(rows int64) error {
		reports = append(reports, rows)
		return nil
	})
	if err != nil || rows != 3000 || !slices.Equal(reports, []int64{1024, 2048, 3000}) {
		t.Fatalf("Score: %d rows, reports %v, error %v; want 3000 rows reported at 1024, 2048, 3000", rows, reports, err)
	}
}

func TestScoreStopsWhenReportFails(t *testing.T) {
	l, p := irisLayout(t, false)
	lost := errors.New("the part's lease is lost")
	var out bytes.Buffer
	rows, err := Score(context.Background(), bytes.NewReader(irisRecords(t, 5000)), l, p, &out, func(rows int64) error {
		if rows >= 2048 {
			return lost
		}
		return nil
	})
	if !errors.Is(err, lost) || rows != 2048 || bytes.Count(out.Bytes(), []byte("\n")) != 2048 {
		t.Fatalf("Score: %d rows, %d lines, error %v; want 2048 rows and %v", rows, bytes.Count(out.Bytes(), []byte("\n")), err, lost)
	}
}

func TestScoreStopsWhenTheContextIsDone(t *testing.T) {
	l, p := irisLayout(t, false)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rows, err := Score(ctx, bytes.NewReader(irisRecords(t, 5000)), l, p, io.Discard, func(int64) error {
		cancel()
		return nil
	})
	if !errors.Is(err, context.Canceled) || rows != 1024 {
		t.Fatalf("Score: %d rows, error %v; want 1024 rows and %v", rows, err, context.Canceled)
	}
}

func TestScoreOfNoRecordsWritesNothing(t *testing.T) {
	l, p := irisLayout(t, true)
	var out bytes.Buffer
	rows, err := Score(context.Background(), strings.NewReader("\n\r\n"), l, p, &out, func(int64) error {
		t.Error("report called")
		return nil
	})
	if err != nil || rows != 0 || out.Len() != 0 {
		t.Fatalf("Score: %d rows, %q written, error %v", rows, out.Bytes(), err)
	}
}

func TestScoreRefusesAPredictorItWasNotLaidOutFor(t *testing.T) {
	l, _ := irisLayout(t, false)
	_, err := Score(context.Background(), bytes.NewReader(irisRecords(t, 3)), l, irisRegression(t), io.Discard, nil)
	wantCode(t, err, model.CodeInternal)
}

func TestScoreReturnsTheWritersError(t *testing.T) {
	l, p := irisLayout(t, false)
	full := errors.New("disk full")
	_, err := Score(context.Background(), bytes.NewReader(irisRecords(t, 3)), l, p, failingWriter{full}, nil)
	if !errors.Is(err, full) {
		t.Fatalf("error %v, want %v", err, full)
	}
}

type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }

func TestScoreAllocatesNothingPerRow(t *testing.T) {
	votes := wordVotes(t, 3)
	votesRecords := votes[bytes.IndexByte(votes, '\n')+1:]
	tests := []struct {
		name    string
		records func(copies int) []byte
		layout  func() (*Layout, model.Predictor)
	}{
		{"iris", func(copies int) []byte { return irisRecords(t, 1024*copies) },
			func() (*Layout, model.Predictor) { return irisLayout(t, false) }},
		{"iris, input included", func(copies int) []byte { return irisRecords(t, 1024*copies) },
			func() (*Layout, model.Predictor) { return irisLayout(t, true) }},
		{"votes, string features", func(copies int) []byte { return bytes.Repeat(votesRecords, 3*copies) },
			func() (*Layout, model.Predictor) {
				p := votesForest(t)
				l, err := NewLayout(inspect(t, votes), p, true)
				if err != nil {
					t.Fatal(err)
				}
				return l, p
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, p := tt.layout()
			allocs := func(copies int) float64 {
				records := tt.records(copies)
				return testing.AllocsPerRun(3, func() {
					if _, err := Score(context.Background(), bytes.NewReader(records), l, p, io.Discard, nil); err != nil {
						t.Fatal(err)
					}
				})
			}
			few, many := allocs(2), allocs(20)
			if many > few {
				t.Fatalf("%v allocations for 10 times the rows, %v for 1 time", many, few)
			}
			t.Logf("%v allocations per call", few)
		})
	}
}

func TestScoreSharesALayoutBetweenGoroutines(t *testing.T) {
	data := irisLike(t, 5000)
	p := irisForest(t)
	whole := scoreRanges(t, data, 5000, p, true)
	l, err := NewLayout(inspect(t, data), p, true)
	if err != nil {
		t.Fatal(err)
	}
	parts, err := Plan(bytes.NewReader(data), 1300)
	if err != nil {
		t.Fatal(err)
	}
	outs := make([]bytes.Buffer, len(parts))
	errs := make([]error, len(parts))
	var wg sync.WaitGroup
	for i, r := range parts {
		wg.Go(func() {
			_, errs[i] = Score(context.Background(), bytes.NewReader(data[r.Offset:r.Offset+r.Length]), l, p, &outs[i], nil)
		})
	}
	wg.Wait()
	var joined []byte
	for i := range parts {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		joined = append(joined, outs[i].Bytes()...)
	}
	if !bytes.Equal(joined, whole) {
		t.Fatal("parts scored at once differ from the whole scored alone")
	}
}
