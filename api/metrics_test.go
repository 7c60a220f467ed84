package api

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"

	"gitlab.com/mlserve/mlserve/internal/metrics"
	"gitlab.com/mlserve/mlserve/internal/metrics/metricstest"
)

// newMetricsEnv is a test API counting into a fresh metrics Set.
func newMetricsEnv(tb testing.TB, o metrics.Options) *testEnv {
	return newTestEnv(tb, func(d *Deps) { d.Metrics = metrics.New(o) })
}

// predictRows is a native predict body of rows iris instances.
func predictRows(rows int) string {
	return `{"instances":[` + strings.TrimSuffix(strings.Repeat(`[5.1,3.5,1.4,0.2],`, rows), ",") + `]}`
}

// inferRows is an OIP infer body of rows iris instances.
func inferRows(rows int) string {
	return `{"inputs":[{"name":"input0","shape":[` + fmt.Sprint(rows) + `,4],"datatype":"FP64","data":[` +
		strings.TrimSuffix(strings.Repeat(`5.1,3.5,1.4,0.2,`, rows), ",") + `]}]}`
}

func TestPredictionsMoveTheirCountersByCallsAndRows(t *testing.T) {
	e := newMetricsEnv(t, metrics.Options{ModelLabels: true})
	const calls, rows = 7, 3
	for range calls {
		mustPredict(t, e, "/v1/models/iris/versions/1/predict", predictRows(rows))
		if w := e.do(t, "POST", "/v2/models/iris/versions/1/infer", inferRows(rows)); w.Code != http.StatusOK {
			t.Fatalf("infer: %d %s", w.Code, w.Body)
		}
	}
	// A 422 on version 1 is its error, not a prediction.
	mustProblem(t, e.do(t, "POST", "/v1/models/iris/versions/1/predict", `{"instances":[[1,2]]}`), http.StatusUnprocessableEntity)

	s := metricstest.Get(t, e.handler)
	for _, proto := range []string{metrics.Native, metrics.OIP} {
		v1 := []string{"model", "iris", "version", "1", "protocol", proto}
		if got := s.Value("mlserve_predictions_total", v1...); got != calls {
			t.Errorf("%s predictions = %v, want %d", proto, got, calls)
		}
		if got := s.Value("mlserve_prediction_rows_total", v1...); got != calls*rows {
			t.Errorf("%s rows = %v, want %d", proto, got, calls*rows)
		}
	}
	if got := s.Value("mlserve_prediction_errors_total", "model", "iris", "version", "1", "protocol", metrics.Native, "reason", "invalid"); got != 1 {
		t.Errorf("native errors (invalid) on v1 = %v, want 1", got)
	}
	route := "/v1/models/{name}/versions/{version}/predict"
	if got := s.Value("mlserve_http_requests_total", "route", route, "method", "POST", "code", "200"); got != calls {
		t.Errorf("requests of %s = %v, want %d", route, got, calls)
	}
	if got := s.Value("mlserve_http_request_duration_seconds", "route", route, "method", "POST", "code", "422"); got != 1 {
		t.Errorf("durations of %s 422 = %v, want 1", route, got)
	}
}

func TestModelLabelsOffCountEveryModelInOneSeries(t *testing.T) {
	e := newMetricsEnv(t, metrics.Options{ModelLabels: false})
	mustPredict(t, e, "/v1/models/iris/versions/1/predict", predictRows(2))
	mustPredict(t, e, "/v1/models/iris/versions/2/predict", `{"instances":[[1,2,3,4,5]]}`)
	s := metricstest.Get(t, e.handler)
	if n := s.Series("mlserve_predictions_total"); n != 1 {
		t.Fatalf("%d prediction series, want 1", n)
	}
	if got := s.Value("mlserve_prediction_rows_total", "model", "", "version", "", "protocol", metrics.Native); got != 3 {
		t.Errorf("rows = %v, want 3", got)
	}
}

// Nothing a client sends may create a series: unknown model names, bad
// versions and aliases, unknown routes and invented methods all land in
// series that exist after the first such request.
func TestClientInventedValuesCreateNoSeries(t *testing.T) {
	e := newMetricsEnv(t, metrics.Options{ModelLabels: true})
	attack := func(i int) {
		name := fmt.Sprintf("m%08x", rand.Uint32())
		e.do(t, "POST", "/v1/models/"+name+"/predict", predictRows(1))
		e.do(t, "POST", "/v2/models/"+name+"/infer", inferRows(1))
		e.do(t, "POST", fmt.Sprintf("/v1/models/iris/versions/%d/predict", 1000+i), predictRows(1))
		e.do(t, "POST", "/v1/models/iris/versions/x"+name+"/predict", predictRows(1))
		e.do(t, "POST", "/v1/models/iris/aliases/"+name+"/predict", predictRows(1))
		e.do(t, "GET", "/"+name, "")
		e.do(t, "GET", "/v1/models/"+name+"/nothing/"+name, "")
		e.do(t, strings.ToUpper(name), "/v1/models", "")
	}
	attack(0)
	metricstest.Get(t, e.handler) // a scrape is counted once it is answered: the next one sees its series
	before := seriesCounts(metricstest.Get(t, e.handler))
	for i := range 1000 {
		attack(i + 1)
	}
	after := seriesCounts(metricstest.Get(t, e.handler))
	for name, n := range after {
		if strings.HasPrefix(name, "mlserve_") && n != before[name] {
			t.Errorf("%s: %d series after 1,000 more requests, %d before", name, n, before[name])
		}
	}
	if before["mlserve_prediction_errors_total"] == 0 {
		t.Fatal("the attack counted no prediction error at all")
	}
}

func seriesCounts(s metricstest.Scrape) map[string]int {
	counts := make(map[string]int)
	for name := range s {
		counts[name] = s.Series(name)
	}
	return counts
}

func TestMetricsAreServedOnlyWhenOn(t *testing.T) {
	on := newMetricsEnv(t, metrics.Options{})
	s := metricstest.Get(t, on.handler)
	for _, family := range []string{"mlserve_build_info", "go_goroutines", "process_resident_memory_bytes"} {
		if s.Series(family) == 0 {
			t.Errorf("no %s in the scrape", family)
		}
	}
	off := newTestEnv(t)
	if w := off.do(t, "GET", "/metrics", ""); w.Code != http.StatusNotFound {
		t.Errorf("GET /metrics with metrics off: %d, want 404", w.Code)
	}
}
