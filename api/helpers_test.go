package api

import (
	"bufio"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"gitlab.com/mlserve/mlserve/internal/config"
	"gitlab.com/mlserve/mlserve/internal/testenv"
	"gitlab.com/mlserve/mlserve/model"
)

// Fixture ids: the iris dataset and a dataset with only one column.
const (
	irisDataset   = "64b0000000000000000000d1"
	narrowDataset = "64b0000000000000000000d2"
	testBodyLimit = 4096
	// Upload limits: iris.csv (4611 bytes, 5 columns) fits.
	testDatasetLimit   = 16 << 10
	testDatasetColumns = 10
	// Header limits: iris.csv's header (63 bytes, names up to 12) fits.
	testColumnNameBytes = 32
	testHeaderBytes     = 256
	// testPredictRows is limits.predict_rows.
	testPredictRows = 5
)

// irisClasses are the classes of the fake iris classifiers.
var irisClasses = []string{"setosa", "versicolor", "virginica"}

var testNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// testEnv is an API over in-memory fakes, with its log captured.
type testEnv struct {
	jobs     *fakeJobs
	queue    *fakeQueue
	datasets *fakeDatasets
	versions *fakeVersions
	scores   *fakeScores
	models   *fakeModels
	logs     *testenv.SyncBuffer
	deps     Deps
	handler  http.Handler
}

// newTestEnv builds the API over fresh fakes holding the iris dataset and
// model "iris" (versions 1 and 2, production → 1), both loadable: version 1
// a classifier with probabilities, version 2 one without (as a predictor;
// both versions are classifiers of irisClasses). edit may change the Deps
// before the server is built.
func newTestEnv(tb testing.TB, edit ...func(*Deps)) *testEnv {
	tb.Helper()
	num := func(n string) model.Column { return model.Column{Name: n, Type: model.ColumnNumber} }
	irisFeatures := []model.Column{num("sepal_length"), num("sepal_width"), num("petal_length"), num("petal_width")}
	e := &testEnv{
		jobs:  newFakeJobs(func() time.Time { return testNow }),
		queue: &fakeQueue{},
		datasets: newFakeDatasets(func() time.Time { return testNow }, nil,
			&model.Dataset{ID: irisDataset, Name: "iris", Rows: 150,
				Columns: append(irisFeatures, model.Column{Name: "species", Type: model.ColumnString})},
			&model.Dataset{ID: narrowDataset, Name: "narrow", Rows: 3, Columns: []model.Column{num("y")}}),
		versions: &fakeVersions{
			versions: map[string][]*model.ModelVersion{"iris": {
				{Name: "iris", Version: 1, Algorithm: "random_forest", Task: model.TaskClassification, Target: "species",
					Features: irisFeatures, Classes: irisClasses},
				{Name: "iris", Version: 2, Algorithm: "knn", Task: model.TaskClassification, Target: "species",
					Features: append(irisFeatures, num("petal_ratio")), Classes: irisClasses},
			}},
			aliases: map[string]map[string]int{"iris": {model.AliasProduction: 1}},
		},
		scores: newFakeScores(),
		logs:   &testenv.SyncBuffer{},
	}
	e.datasets.jobs = e.jobs
	e.jobs.scores = e.scores
	e.models = &fakeModels{versions: e.versions}
	e.models.set("iris", 1, &fakePredictor{features: irisFeatures, classes: irisClasses, probs: true})
	e.models.set("iris", 2, &fakePredictor{features: append(irisFeatures, num("petal_ratio")), classes: irisClasses})
	e.deps = Deps{
		Logger: slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		AccessLog: NewAccessLog(lineWriter{e.logs}, AccessLogOptions{Format: "json", Level: slog.LevelDebug,
			Attrs: []slog.Attr{slog.String("role", "api")}}),
		Jobs:     e.jobs,
		Datasets: e.datasets,
		Versions: e.versions,
		Queue:    e.queue,
		Scores:   e.scores,
		Models:   e.models,
		Checks:   []Check{{Name: "redis", Ping: e.queue.Ping}},
		Limits: config.Limits{BodyBytes: testBodyLimit, DatasetBytes: testDatasetLimit, DatasetColumns: testDatasetColumns,
			DatasetColumnNameBytes: testColumnNameBytes, DatasetHeaderBytes: testHeaderBytes, PredictRows: testPredictRows},
		Now: func() time.Time { return testNow },
	}
	for _, f := range edit {
		f(&e.deps)
	}
	// Every request of every handler test is checked against the
	// OpenAPI document.
	e.handler = checkedByOpenAPI(tb, NewServer(e.deps))
	return e
}

// lineWriter writes every line at once, so a test reads it as soon as the
// request is served.
type lineWriter struct{ w io.Writer }

func (l lineWriter) WriteLine(line []byte, keep bool) { _, _ = l.w.Write(line) }

// do serves one request. A non-empty body is sent as application/json
// unless headers set another Content-Type; headers are name, value pairs.
func (e *testEnv) do(tb testing.TB, method, path, body string, headers ...string) *httptest.ResponseRecorder {
	tb.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	e.handler.ServeHTTP(w, r)
	return w
}

// logLines returns every captured log line, decoded.
func (e *testEnv) logLines(tb testing.TB) []map[string]any {
	tb.Helper()
	var lines []map[string]any
	sc := bufio.NewScanner(strings.NewReader(e.logs.String()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			tb.Fatalf("log line is not JSON: %v: %s", err, sc.Text())
		}
		lines = append(lines, m)
	}
	return lines
}

// accessLines returns the access-log lines.
func (e *testEnv) accessLines(tb testing.TB) []map[string]any {
	tb.Helper()
	var out []map[string]any
	for _, l := range e.logLines(tb) {
		if l["msg"] == "http request" {
			out = append(out, l)
		}
	}
	return out
}

// mustProblem checks that w is a problem+json answer with status and
// returns it.
func mustProblem(tb testing.TB, w *httptest.ResponseRecorder, status int) problem {
	tb.Helper()
	if w.Code != status {
		tb.Fatalf("status = %d, want %d; body: %s", w.Code, status, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
		tb.Fatalf("Content-Type = %q, want application/problem+json", ct)
	}
	var p problem
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
		tb.Fatalf("decode problem: %v; body: %s", err, w.Body)
	}
	if p.Status != status || p.Title == "" || p.Type == "" || p.Detail == "" || p.Instance == "" {
		tb.Fatalf("incomplete problem: %+v", p)
	}
	if p.RequestID == "" || p.RequestID != w.Header().Get(headerRequestID) {
		tb.Fatalf("problem request_id = %q, header X-Request-ID = %q", p.RequestID, w.Header().Get(headerRequestID))
	}
	return p
}

// mustJSON checks w's status and decodes its JSON body into a T.
func mustJSON[T any](tb testing.TB, w *httptest.ResponseRecorder, status int) T {
	tb.Helper()
	if w.Code != status {
		tb.Fatalf("status = %d, want %d; body: %s", w.Code, status, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		tb.Fatalf("Content-Type = %q, want application/json", ct)
	}
	var v T
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
		tb.Fatalf("decode body: %v; body: %s", err, w.Body)
	}
	return v
}

// waitFor polls cond until it holds, failing tb after a generous bound.
func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Request bodies every job test starts from.
const (
	trainBody = `{"type":"train","model":"iris","dataset":"` + irisDataset + `","target":"species","algorithm":"random_forest"}`
	scoreBody = `{"type":"score","model":"iris","dataset":"` + irisDataset + `"}`
)
