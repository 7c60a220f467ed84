package main

import (
	"bytes"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"testing"

	"gitlab.com/mlserve/mlserve/internal/metrics/metricstest"
	"gitlab.com/mlserve/mlserve/model"
)

// families are what SPEC 4.6 asks every mlserve process pair to export.
var families = []string{
	"mlserve_http_requests_total", "mlserve_http_request_duration_seconds",
	"mlserve_predictions_total", "mlserve_prediction_rows_total", "mlserve_prediction_errors_total",
	"mlserve_model_loads_total", "mlserve_model_load_duration_seconds", "mlserve_models_cached", "mlserve_model_cache_bytes",
	"mlserve_jobs_total", "mlserve_job_duration_seconds", "mlserve_job_queue_wait_seconds",
	"mlserve_queue_tasks", "mlserve_queue_oldest_pending_seconds", "mlserve_score_rows_total", "mlserve_build_info",
	"go_goroutines", "process_resident_memory_bytes",
}

// scrape reads the dev program's /metrics, parsed by Prometheus's parser.
func (p *devProcess) scrape(tb testing.TB) metricstest.Scrape {
	tb.Helper()
	resp, err := http.Get(p.url + "/metrics")
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		tb.Fatalf("GET /metrics: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return metricstest.Parse(tb, resp.Body)
}

// TestDevProgramCountsWhatItDoes runs real jobs and predictions and reads
// the values they must have moved: jobs by type and status (succeeded,
// failed on a corrupt artifact, canceled), score rows, predictions and
// rows, model loads by result, and every family of SPEC 4.6.
func TestDevProgramCountsWhatItDoes(t *testing.T) {
	dev := startDev(t, t.TempDir(), nil)
	dataset := dev.uploadIris(t)
	_, v1 := dev.trainForest(t, dataset, 1)

	const calls, rows = 5, 2
	body := []byte(`{"instances":[[5.1,3.5,1.4,0.2],[6.7,3.0,5.2,2.3]]}`)
	for range calls {
		resp, err := http.Post(fmt.Sprintf("%s/v1/models/iris/versions/%d/predict", dev.url, v1), "application/json", bytes.NewReader(body))
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("predict: %v %v", resp, err)
		}
		resp.Body.Close()
	}
	if resp, err := http.Post(dev.url+"/v1/models/no-such-model/predict", "application/json", bytes.NewReader(body)); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("predict with an unknown model: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}

	scored := dev.waitEnded(t, dev.submit(t, map[string]any{"type": "score", "model": "iris", "version": v1, "dataset": dataset}))
	canceled := dev.submit(t, map[string]any{"type": "train", "model": "iris", "dataset": dataset, "target": "Species",
		"algorithm": "random_forest", "params": map[string]any{"trees": 500}})
	if status, _, b := dev.do(t, http.MethodPost, "/v1/jobs/"+canceled+"/cancel", nil); status != http.StatusAccepted && status != http.StatusOK {
		t.Fatalf("cancel: %d %s", status, b)
	}
	job2, v2 := dev.trainForest(t, dataset, 2)
	dev.corruptArtifact(t, job2)
	failed := dev.waitEnded(t, dev.submit(t, map[string]any{"type": "score", "model": "iris", "version": v2, "dataset": dataset}))
	if scored.Status != model.StatusSucceeded || failed.Status != model.StatusFailed {
		t.Fatalf("score jobs ended %s and %s, want succeeded and failed", scored.Status, failed.Status)
	}
	if j := dev.waitEnded(t, canceled); j.Status != model.StatusCanceled {
		t.Fatalf("the canceled job ended %s", j.Status)
	}

	s := dev.scrape(t)
	for _, f := range families {
		if s.Series(f) == 0 {
			t.Errorf("the scrape has no %s", f)
		}
	}
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"mlserve_jobs_total", []string{"type", "train", "status", "succeeded"}, 2},
		{"mlserve_jobs_total", []string{"type", "train", "status", "canceled"}, 1},
		{"mlserve_jobs_total", []string{"type", "train", "status", "failed"}, 0},
		{"mlserve_jobs_total", []string{"type", "score", "status", "succeeded"}, 1},
		{"mlserve_jobs_total", []string{"type", "score", "status", "failed"}, 1},
		{"mlserve_job_duration_seconds", []string{"type", "score", "status", "failed"}, 1},
		{"mlserve_job_queue_wait_seconds", []string{"type", "score"}, 2},
		{"mlserve_score_rows_total", nil, 150},
		{"mlserve_predictions_total", []string{"model", "iris", "version", fmt.Sprint(v1), "protocol", "native"}, calls},
		{"mlserve_prediction_rows_total", []string{"model", "iris", "version", fmt.Sprint(v1), "protocol", "native"}, calls * rows},
		{"mlserve_prediction_errors_total", []string{"model", "", "version", "", "protocol", "native", "reason", "not_found"}, 1},
		{"mlserve_model_loads_total", []string{"result", "error"}, 1},
		{"mlserve_build_info", []string{"version", "dev", "commit", s.Label("mlserve_build_info", "commit"), "goversion", runtime.Version()}, 1},
	} {
		if got := s.Value(c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	// The API loaded v1 for predictions and the worker for its score job.
	if got := s.Value("mlserve_model_loads_total", "result", "ok"); got < 2 {
		t.Errorf("model loads ok = %v, want at least 2", got)
	}
	if got := s.Value("mlserve_queue_tasks", "queue", "train", "state", "pending"); got != 0 {
		t.Errorf("pending train tasks = %v, want 0", got)
	}
}
