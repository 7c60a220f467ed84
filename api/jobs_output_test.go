package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"gitlab.com/mlserve/mlserve/internal/scoring"
	"gitlab.com/mlserve/mlserve/model"
)

// outputCols are the output columns of the score jobs below: two echoed
// input columns (weight is not a feature, so it may be empty), species,
// then a classifier's prediction and class probabilities.
var outputCols = []model.Column{
	{Name: "sepal_length", Type: model.ColumnNumber}, {Name: "weight", Type: model.ColumnNumber},
	{Name: "species", Type: model.ColumnString}, {Name: "prediction", Type: model.ColumnString},
	{Name: "probability_setosa", Type: model.ColumnNumber}, {Name: "probability_versicolor", Type: model.ColumnNumber},
	{Name: "probability_virginica", Type: model.ColumnNumber},
}

// scoredParts are three parts' output files, as scorers write them.
var scoredParts = []string{
	"5.1,2,setosa,setosa,1,0,0\n4.9,2.5,setosa,setosa,0.98,0.02,0\n",
	"6.4,,versicolor,versicolor,0,0.9,0.1\n",
	"6.3,3,\"virginica, maybe\",virginica,0,0.25,0.75\n",
}

const outputHeader = "sepal_length,weight,species,prediction,probability_setosa,probability_versicolor,probability_virginica\n"

// runScoreJob submits a score job and takes it, as a worker would, to
// status. A succeeded job's output is parts (part i's file holds parts[i])
// with outputCols as its columns.
func (e *testEnv) runScoreJob(tb testing.TB, status model.JobStatus, parts ...string) *model.Job {
	tb.Helper()
	ctx := context.Background()
	job := mustJSON[model.Job](tb, e.do(tb, "POST", "/v1/jobs", scoreBody), http.StatusAccepted)
	if status == model.StatusQueued {
		return &job
	}
	running, err := e.jobs.StartAttempt(ctx, job.ID, testNow)
	if err != nil {
		tb.Fatal(err)
	}
	if status == model.StatusRunning {
		return running
	}
	var (
		result *model.JobResult
		jobErr *model.JobError
	)
	switch status {
	case model.StatusSucceeded:
		size, rows := int64(len(scoring.CSVHeader(outputCols))), int64(0)
		for i, p := range parts {
			e.scores.add(job.ID, i, p)
			size += int64(len(p))
			rows += int64(strings.Count(p, "\n"))
		}
		progress := model.Progress{Done: rows, Total: rows, PartsDone: len(parts), PartsTotal: len(parts)}
		if _, err := e.jobs.SetProgress(ctx, job.ID, running.Attempts, progress); err != nil {
			tb.Fatal(err)
		}
		result = &model.JobResult{Model: "iris", Version: 1, Rows: rows, OutputBytes: size, Columns: outputCols}
	case model.StatusCanceled:
		jobErr = &model.JobError{Code: model.CodeCanceled, Message: "canceled on request"}
	default:
		jobErr = &model.JobError{Code: model.CodeInvalid, Message: "record 7: column weight: not a number"}
	}
	if err := e.jobs.Finish(ctx, job.ID, running.Attempts, status, result, jobErr, testNow); err != nil {
		tb.Fatal(err)
	}
	finished, err := e.jobs.Job(ctx, job.ID)
	if err != nil {
		tb.Fatal(err)
	}
	return finished
}

// mustHaveClosedEveryFile fails tb when an output file was left open.
func mustHaveClosedEveryFile(tb testing.TB, e *testEnv) {
	tb.Helper()
	if _, _, open := e.scores.held(); open != 0 {
		tb.Fatalf("%d output files left open", open)
	}
}

func TestJobOutputCSV(t *testing.T) {
	e := newTestEnv(t)
	job := e.runScoreJob(t, model.StatusSucceeded, scoredParts...)
	for _, accept := range []string{"", "text/csv", "*/*", "application/json", "text/csv, application/x-ndjson"} {
		t.Run("Accept "+strconv.Quote(accept)+" gets the header, then every part in index order", func(t *testing.T) {
			w := e.do(t, "GET", "/v1/jobs/"+job.ID+"/output", "", "Accept", accept)
			want := outputHeader + strings.Join(scoredParts, "")
			if w.Code != http.StatusOK || w.Body.String() != want {
				t.Fatalf("%d %q, want 200 %q", w.Code, w.Body, want)
			}
			h := w.Header()
			if h.Get("Content-Type") != "text/csv; charset=utf-8" ||
				h.Get("Content-Disposition") != `attachment; filename="`+job.ID+`.csv"` ||
				h.Get("Content-Length") != strconv.Itoa(len(want)) || job.Result.OutputBytes != int64(len(want)) {
				t.Fatalf("headers %v, output_bytes %d; body is %d bytes", h, job.Result.OutputBytes, len(want))
			}
			mustHaveClosedEveryFile(t, e)
		})
	}
}

// ndjsonLine decodes one NDJSON line into its keys, in order, and values:
// float64 for numbers, string, or nil.
func ndjsonLine(tb testing.TB, line string) (keys []string, values []any) {
	tb.Helper()
	dec := json.NewDecoder(strings.NewReader(line))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		tb.Fatalf("line %q does not start an object: %v", line, err)
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			tb.Fatalf("line %q: %v", line, err)
		}
		var v any
		if err := dec.Decode(&v); err != nil {
			tb.Fatalf("line %q: %v", line, err)
		}
		keys, values = append(keys, k.(string)), append(values, v)
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		tb.Fatalf("line %q does not end its object: %v", line, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		tb.Fatalf("line %q holds more than one object", line)
	}
	return keys, values
}

func TestJobOutputNDJSON(t *testing.T) {
	e := newTestEnv(t)
	job := e.runScoreJob(t, model.StatusSucceeded, scoredParts...)
	for _, accept := range []string{"application/x-ndjson", "text/csv;q=0.5, application/x-ndjson", "application/json, application/x-ndjson;q=0.8"} {
		t.Run("Accept "+strconv.Quote(accept)+" gets one typed object per row, in order", func(t *testing.T) {
			w := e.do(t, "GET", "/v1/jobs/"+job.ID+"/output", "", "Accept", accept)
			if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/x-ndjson" {
				t.Fatalf("%d %s: %s", w.Code, w.Header(), w.Body)
			}
			want := [][]any{
				{5.1, 2.0, "setosa", "setosa", 1.0, 0.0, 0.0},
				{4.9, 2.5, "setosa", "setosa", 0.98, 0.02, 0.0},
				{6.4, nil, "versicolor", "versicolor", 0.0, 0.9, 0.1},
				{6.3, 3.0, "virginica, maybe", "virginica", 0.0, 0.25, 0.75},
			}
			var names []string
			for _, c := range outputCols {
				names = append(names, c.Name)
			}
			lines := strings.Split(strings.TrimSuffix(w.Body.String(), "\n"), "\n")
			if len(lines) != len(want) {
				t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), w.Body)
			}
			for i, line := range lines {
				keys, values := ndjsonLine(t, line)
				if !reflect.DeepEqual(keys, names) || !reflect.DeepEqual(values, want[i]) {
					t.Errorf("line %d = %s, want keys %v values %v", i+1, line, names, want[i])
				}
			}
			mustHaveClosedEveryFile(t, e)
		})
	}
}

func TestJobOutputRefusals(t *testing.T) {
	for _, status := range []model.JobStatus{model.StatusQueued, model.StatusRunning, model.StatusFailed, model.StatusCanceled} {
		t.Run("a "+string(status)+" score job is a 409 naming its status", func(t *testing.T) {
			e := newTestEnv(t)
			job := e.runScoreJob(t, status)
			p := mustProblem(t, e.do(t, "GET", "/v1/jobs/"+job.ID+"/output", ""), http.StatusConflict)
			if !strings.Contains(p.Detail, string(status)) {
				t.Fatalf("detail %q does not name status %s", p.Detail, status)
			}
		})
	}
	t.Run("a train job is a 404 saying only score jobs have output", func(t *testing.T) {
		e := newTestEnv(t)
		job := mustJSON[model.Job](t, e.do(t, "POST", "/v1/jobs", trainBody), http.StatusAccepted)
		finish(t, e, job.ID, model.StatusSucceeded)
		p := mustProblem(t, e.do(t, "GET", "/v1/jobs/"+job.ID+"/output", ""), http.StatusNotFound)
		if !strings.Contains(p.Detail, "train job") {
			t.Fatalf("detail = %q", p.Detail)
		}
	})
	t.Run("an unknown job is a 404", func(t *testing.T) {
		e := newTestEnv(t)
		mustProblem(t, e.do(t, "GET", "/v1/jobs/"+strings.Repeat("e", 24)+"/output", ""), http.StatusNotFound)
	})
}

func TestJobOutputOfAnInconsistentStoreIs500BeforeAnyOutput(t *testing.T) {
	tests := []struct {
		name  string
		spoil func(e *testEnv, job *model.Job)
		log   string // what the logged error says
	}{
		{"a part is missing", func(e *testEnv, job *model.Job) {
			e.scores.edit(job.ID, func(ps []*model.ScorePart) []*model.ScorePart { return append(ps[:1], ps[2:]...) })
		}, "2 parts stored of its 3"},
		{"a part is still pending", func(e *testEnv, job *model.Job) {
			e.scores.edit(job.ID, func(ps []*model.ScorePart) []*model.ScorePart { ps[2].Status = model.PartPending; return ps })
		}, "part 2 is pending"},
		{"a part is there twice in place of another", func(e *testEnv, job *model.Job) {
			e.scores.edit(job.ID, func(ps []*model.ScorePart) []*model.ScorePart { ps[1] = ps[0]; return ps })
		}, "part 1 is missing"},
		{"the parts' sizes do not add up to output_bytes", func(e *testEnv, job *model.Job) {
			e.scores.edit(job.ID, func(ps []*model.ScorePart) []*model.ScorePart { ps[1].OutputBytes++; return ps })
		}, "add up to"},
		{"the first part's file is gone", func(e *testEnv, job *model.Job) {
			ps, _ := e.scores.Parts(context.Background(), job.ID)
			e.scores.removeFile(ps[0].Output)
		}, "is missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			job := e.runScoreJob(t, model.StatusSucceeded, scoredParts...)
			tt.spoil(e, job)
			for _, accept := range []string{"text/csv", "application/x-ndjson"} {
				w := e.do(t, "GET", "/v1/jobs/"+job.ID+"/output", "", "Accept", accept, headerRequestID, "r-out")
				p := mustProblem(t, w, http.StatusInternalServerError)
				if p.Detail != "internal error" {
					t.Fatalf("detail = %q", p.Detail)
				}
			}
			if logs := e.logs.String(); !strings.Contains(logs, tt.log) || !strings.Contains(logs, `"request_id":"r-out"`) {
				t.Fatalf("the log does not say %q with the request id:\n%s", tt.log, logs)
			}
			mustHaveClosedEveryFile(t, e)
		})
	}
}

func TestJobOutputFailingMidStreamIsCutShort(t *testing.T) {
	tests := []struct {
		name  string
		spoil func(e *testEnv, parts []*model.ScorePart)
	}{
		{"a later part's file is gone", func(e *testEnv, parts []*model.ScorePart) { e.scores.removeFile(parts[2].Output) }},
		{"a later part's file is shorter than its part says", func(e *testEnv, parts []*model.ScorePart) {
			e.scores.mu.Lock()
			defer e.scores.mu.Unlock()
			f := e.scores.files[parts[1].Output]
			e.scores.files[parts[1].Output] = f[:len(f)-1]
		}},
	}
	for _, tt := range tests {
		for _, accept := range []string{"text/csv", "application/x-ndjson"} {
			t.Run(tt.name+": "+accept+" ends in an error, not a short body", func(t *testing.T) {
				e := newTestEnv(t)
				job := e.runScoreJob(t, model.StatusSucceeded, scoredParts...)
				parts, _ := e.scores.Parts(context.Background(), job.ID)
				tt.spoil(e, parts)
				srv := httptest.NewServer(e.handler)
				defer srv.Close()
				// Cut short before or after the status went out: either
				// way the client sees an error, never a complete-looking
				// body.
				status, body, err := fetch(srv.URL+"/v1/jobs/"+job.ID+"/output", accept)
				if err == nil {
					t.Fatalf("status %d, body %q, no error; want the response cut short", status, body)
				}
				if !strings.Contains(e.logs.String(), "stream job output") {
					t.Fatalf("the failure is not logged:\n%s", e.logs)
				}
				mustHaveClosedEveryFile(t, e)
			})
		}
	}
}

// fetch gets url with an Accept header. It returns the status and body,
// and the error of the request or of reading the body.
func fetch(url, accept string) (status int, body string, err error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Accept", accept)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

func TestJobOutputOutlastsTheWriteTimeout(t *testing.T) {
	const writeTimeout = 300 * time.Millisecond
	e := newTestEnv(t, func(d *Deps) { d.WriteTimeout = writeTimeout })
	job := e.runScoreJob(t, model.StatusSucceeded, scoredParts...)
	// Each part takes half the write timeout to read: the whole output
	// takes longer than the timeout, no single write does.
	e.scores.slow = writeTimeout / 2
	srv := httptest.NewUnstartedServer(e.handler)
	srv.Config.WriteTimeout = writeTimeout
	srv.Start()
	defer srv.Close()
	for _, accept := range []string{"text/csv", "application/x-ndjson"} {
		start := time.Now()
		status, body, err := fetch(srv.URL+"/v1/jobs/"+job.ID+"/output", accept)
		if status != http.StatusOK || err != nil || !strings.Contains(body, "virginica, maybe") {
			t.Fatalf("%s: status %d, body %q, read error %v after %s", accept, status, body, err, time.Since(start))
		}
	}
}

func TestWantsNDJSON(t *testing.T) {
	tests := []struct {
		accept []string
		want   bool
	}{
		{nil, false},
		{[]string{"application/x-ndjson"}, true},
		{[]string{"Application/X-NDJSON"}, true},
		{[]string{"text/csv", "application/x-ndjson"}, false},
		{[]string{"application/json", "application/x-ndjson"}, true},
		{[]string{"application/x-ndjson;q=0"}, false},
		{[]string{"application/x-ndjson;q=0.4, text/csv;q=0.5"}, false},
		{[]string{"text/csv;q=0.5, application/x-ndjson;q=0.6"}, true},
		{[]string{"*/*"}, false},
		{[]string{"application/x-ndjson;q=x"}, false},
		{[]string{";;;, application/x-ndjson"}, true},
	}
	for _, tt := range tests {
		h := http.Header{"Accept": tt.accept}
		if got := wantsNDJSON(h); got != tt.want {
			t.Errorf("Accept %q: NDJSON %v, want %v", tt.accept, got, tt.want)
		}
	}
}
