package e2e

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"gitlab.com/mlserve/mlserve/model"
)

// predictBatch is the most instances one predict call takes: the default
// limits.predict_rows.
const predictBatch = 1000

// expected holds the online predictions of some rows of a dataset, to hold
// a score job's output against.
type expected struct {
	model   string
	version int
	classes []string
	label   []int     // row i's predicted class index; -1 when not predicted
	prob    []float64 // row i's probabilities, in class order: prob[i*len(classes):]
}

// predictOnline predicts, through the API's native predict of version mv,
// the predictBatch rows of d from each of starts. Four requests run at
// once, as several clients would send them.
func predictOnline(tb testing.TB, c *client, mv *model.ModelVersion, d *dataset, starts []int) *expected {
	tb.Helper()
	n := d.rows()
	e := &expected{model: mv.Name, version: mv.Version, classes: mv.Classes, label: make([]int, n), prob: make([]float64, n*len(mv.Classes))}
	for i := range e.label {
		e.label[i] = -1
	}
	classIndex := make(map[string]int, len(mv.Classes))
	for k, class := range mv.Classes {
		classIndex[class] = k
	}

	work := make(chan int)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	for range 4 {
		wg.Go(func() {
			for from := range work {
				to := min(from+predictBatch, n)
				p, err := c.tryPredict(mv.Name, mv.Version, d.instances(mv.Features, from, to))
				if err == nil && len(p.Probabilities) != to-from {
					err = fmt.Errorf("%d probabilities for %d rows", len(p.Probabilities), to-from)
				}
				for i := from; err == nil && i < to; i++ {
					k, ok := classIndex[p.Predictions[i-from]]
					if !ok {
						err = fmt.Errorf("row %d: unknown class %q", i, p.Predictions[i-from])
						break
					}
					e.label[i] = k
					for k, class := range mv.Classes {
						e.prob[i*len(mv.Classes)+k] = p.Probabilities[i-from][class]
					}
				}
				if err != nil {
					mu.Lock()
					firstErr = cmp.Or(firstErr, fmt.Errorf("predict rows %d-%d: %w", from, to-1, err))
					mu.Unlock()
				}
			}
		})
	}
	for _, from := range starts {
		work <- from
	}
	close(work)
	wg.Wait()
	if firstErr != nil {
		tb.Fatal(firstErr)
	}
	return e
}

// batchStarts returns the first row of every predictBatch-th batch of n
// rows, taking one batch in every `every`.
func batchStarts(n, every int) []int {
	var starts []int
	for from := 0; from < n; from += predictBatch * every {
		starts = append(starts, from)
	}
	return starts
}

// tryPredict is predict for a goroutine other than the test's: it returns
// what went wrong instead of failing a test.
func (c *client) tryPredict(name string, version int, instances [][]float64) (*prediction, error) {
	body, err := json.Marshal(map[string]any{"instances": instances})
	if err != nil {
		return nil, err
	}
	url := fmt.Sprintf("%s/v1/models/%s/versions/%d/predict", c.base, name, version)
	resp, err := c.http.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%d %s", resp.StatusCode, b)
	}
	var p prediction
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, err
	}
	if len(p.Predictions) != len(instances) || p.Version != version {
		return nil, fmt.Errorf("%d predictions from version %d for %d instances of version %d", len(p.Predictions), p.Version, len(instances), version)
	}
	return &p, nil
}

// maxReported bounds the wrong rows a check reports one by one.
const maxReported = 10

// checkOutput downloads the CSV output of the succeeded score job and holds
// it against the dataset it scored (with include_input) and the online
// predictions e: a header naming the dataset's columns, the prediction and
// a probability per class; then exactly one line per input row, in input
// order, echoing the row and carrying the predictions the API gives online
// (exactly: labels as text, probabilities as float64) for every row e holds.
// The result's rows, columns and output_bytes describe the download.
func checkOutput(tb testing.TB, c *client, job *model.Job, d *dataset, e *expected) {
	tb.Helper()
	res := job.Result
	if res == nil {
		tb.Fatalf("job %s succeeded without a result", job.ID)
	}
	if res.Model != e.model || res.Version != e.version {
		tb.Errorf("result names model %s version %d, want %s version %d", res.Model, res.Version, e.model, e.version)
	}
	if res.Rows != int64(d.rows()) {
		tb.Errorf("result.rows = %d, want %d", res.Rows, d.rows())
	}
	wantHeader := slices.Clone(d.header)
	wantHeader = append(wantHeader, model.ScorePredictionColumn)
	for _, class := range e.classes {
		wantHeader = append(wantHeader, model.ScoreProbabilityPrefix+class)
	}
	var resultColumns []string
	for _, col := range res.Columns {
		resultColumns = append(resultColumns, col.Name)
	}
	if !slices.Equal(resultColumns, wantHeader) {
		tb.Errorf("result.columns = %q, want %q", resultColumns, wantHeader)
	}

	resp := c.openOutput(tb, job.ID)
	defer resp.Body.Close()
	if resp.ContentLength >= 0 && resp.ContentLength != res.OutputBytes {
		tb.Errorf("Content-Length %d, result.output_bytes %d", resp.ContentLength, res.OutputBytes)
	}
	body := &countingReader{r: resp.Body}
	out := csv.NewReader(bufio.NewReaderSize(body, 1<<20))
	out.ReuseRecord = true
	header, err := out.Read()
	if err != nil {
		tb.Fatalf("read the output's header: %v", err)
	}
	if !slices.Equal(header, wantHeader) {
		tb.Fatalf("output header %q, want %q", header, wantHeader)
	}
	header = slices.Clone(header) // the reader reuses its record

	input := d.csv[bytes.IndexByte(d.csv, '\n')+1:]
	var (
		rows, wrong int
		report      = func(format string, args ...any) {
			wrong++
			if wrong <= maxReported {
				tb.Errorf(format, args...)
			}
		}
		nc     = len(e.classes)
		echoed = len(d.header)
	)
	for {
		rec, err := out.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			tb.Fatalf("read output line %d: %v", rows+2, err)
		}
		i := rows
		rows++
		if i >= d.rows() {
			report("output row %d (id %s): the dataset has only %d rows", i, rec[0], d.rows())
			continue
		}
		var line []byte
		line, input, _ = bytes.Cut(input, []byte("\n"))
		if len(rec) != echoed+1+nc {
			report("output row %d has %d fields, want %d", i, len(rec), echoed+1+nc)
			continue
		}
		if got := strings.Join(rec[:echoed], ","); got != string(line) {
			report("output row %d echoes %q, want input row %q (a missing, duplicate or reordered row)", i, got, line)
			continue
		}
		if e.label[i] < 0 {
			continue
		}
		if rec[echoed] != e.classes[e.label[i]] {
			report("row %d: prediction %q, online predict %q", i, rec[echoed], e.classes[e.label[i]])
		}
		for k := range nc {
			p, err := strconv.ParseFloat(rec[echoed+1+k], 64)
			if want := e.prob[i*nc+k]; err != nil || p != want {
				report("row %d: %s = %q, online predict %v", i, header[echoed+1+k], rec[echoed+1+k], want)
			}
		}
	}
	if wrong > 0 {
		tb.Errorf("%d wrong output rows in all", wrong)
	}
	if rows != d.rows() {
		tb.Errorf("output has %d rows, want %d", rows, d.rows())
	}
	if body.n != res.OutputBytes {
		tb.Errorf("downloaded %d bytes, result.output_bytes = %d", body.n, res.OutputBytes)
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
