package k8s

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"gitlab.com/mlserve/mlserve/internal/metrics/metricstest"
	"gitlab.com/mlserve/mlserve/internal/testenv"
	"gitlab.com/mlserve/mlserve/model"
)

// prometheusMade are the series Prometheus itself adds to every target's
// scrape, which no process exports.
var prometheusMade = []string{"up"}

// Every metric the alerts and the dashboard name is one that a running api
// and worker export: the names are compared with a real scrape of the
// mlserve-dev binary (api and worker in one process, every family on its
// one port) after it has trained, predicted both ways, refused a
// prediction and scored, so that every family has series.
func TestMonitoringNamesOnlyExportedMetrics(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs mlserve-dev")
	}
	r := render(t, monitoredOverlay)
	exprs := map[string]string{}
	for _, q := range dashboardQueries(t, dashboard(t, r)) {
		exprs[q.String()] = q.expr
	}
	for _, g := range alertRules(t, r).Spec.Groups {
		for _, rule := range g.Rules {
			exprs["alert "+rule.Alert] = rule.Expr
		}
	}

	dev := startDevBinary(t)
	dev.exercise(t)
	var exported map[string]bool
	testenv.WaitFor(t, time.Minute, "the worker's first read of the queues", func() bool {
		exported = sampleNames(dev.scrape(t))
		return exported["mlserve_queue_tasks"]
	})

	for _, where := range slices.Sorted(maps.Keys(exprs)) {
		names, err := metricNames(exprs[where])
		if err != nil {
			t.Errorf("%s: %v", where, err)
			continue
		}
		if len(names) == 0 {
			t.Errorf("%s names no metric: %s", where, exprs[where])
		}
		for _, name := range names {
			if !exported[name] && !slices.Contains(prometheusMade, name) {
				t.Errorf("%s names %s, which neither the api nor the worker exports", where, name)
			}
		}
	}
}

// sampleNames are the names of a scrape's samples: a histogram family's
// _bucket, _sum and _count, a summary's own name, _sum and _count, any
// other family's name.
func sampleNames(s metricstest.Scrape) map[string]bool {
	names := map[string]bool{}
	for name, f := range s {
		switch f.GetType() {
		case dto.MetricType_HISTOGRAM, dto.MetricType_GAUGE_HISTOGRAM:
			names[name+"_bucket"], names[name+"_sum"], names[name+"_count"] = true, true, true
		case dto.MetricType_SUMMARY:
			names[name], names[name+"_sum"], names[name+"_count"] = true, true, true
		default:
			names[name] = true
		}
	}
	return names
}

// devBinary is a running mlserve-dev built from this checkout.
type devBinary struct {
	url string
}

// startDevBinary builds cmd/mlserve-dev, runs it on a free loopback port
// with a data directory of its own, and stops it (SIGTERM) at cleanup.
func startDevBinary(tb testing.TB) *devBinary {
	tb.Helper()
	dir := tb.TempDir()
	bin := filepath.Join(dir, "mlserve-dev")
	build := exec.Command("go", "build", "-o", bin, "./cmd/mlserve-dev")
	build.Dir = ".."
	build.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := build.CombinedOutput(); err != nil {
		tb.Fatalf("go build ./cmd/mlserve-dev: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "--http-addr", "127.0.0.1:0", "--dev-data-dir", filepath.Join(dir, "data"), "--log-level", "warn")
	cmd.Env = []string{"HOME=" + dir, "PATH=" + os.Getenv("PATH")} // no MLSERVE_* from the machine
	var stderr testenv.SyncBuffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	exited := make(chan struct{})
	lines := bufio.NewScanner(stdout)
	urlRe := regexp.MustCompile(`serving (http://\S+)`)
	d := &devBinary{}
	for d.url == "" && lines.Scan() {
		if m := urlRe.FindStringSubmatch(lines.Text()); m != nil {
			d.url = m[1]
		}
	}
	go func() {
		_, _ = io.Copy(io.Discard, stdout) // keep its stdout flowing
		_ = cmd.Wait()
		close(exited)
	}()
	tb.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(time.Minute):
			_ = cmd.Process.Kill()
			<-exited
			tb.Errorf("mlserve-dev did not stop within a minute of SIGINT")
		}
	})
	if d.url == "" {
		tb.Fatalf("mlserve-dev printed no URL; stderr:\n%s", stderr.String())
	}
	testenv.WaitFor(tb, time.Minute, "mlserve-dev /readyz 200", func() bool {
		resp, err := http.Get(d.url + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return d
}

// exercise uploads iris, trains a decision tree on it, predicts with it
// natively and by the Open Inference Protocol, asks for a model that does
// not exist, and scores the dataset with it.
func (d *devBinary) exercise(tb testing.TB) {
	tb.Helper()
	iris, err := os.ReadFile("../testdata/iris.csv")
	if err != nil {
		tb.Fatal(err)
	}
	var ds model.Dataset
	d.call(tb, http.MethodPost, "/v1/datasets?name=iris", "text/csv", iris, http.StatusCreated, &ds)
	train := d.runJob(tb, map[string]any{"type": "train", "model": "iris", "dataset": ds.ID, "target": "Species", "algorithm": "decision_tree"})
	version := train.Result.Version

	row := map[string]any{"instances": [][]float64{{5.1, 3.5, 1.4, 0.2}}}
	d.call(tb, http.MethodPost, "/v1/models/iris/predict", "application/json", jsonOf(tb, row), http.StatusOK, nil)
	infer := map[string]any{"inputs": []map[string]any{{"name": "input", "shape": []int{1, 4}, "datatype": "FP64", "data": []float64{5.1, 3.5, 1.4, 0.2}}}}
	d.call(tb, http.MethodPost, "/v2/models/iris/infer", "application/json", jsonOf(tb, infer), http.StatusOK, nil)
	d.call(tb, http.MethodPost, "/v1/models/no-such-model/predict", "application/json", jsonOf(tb, row), http.StatusNotFound, nil)
	d.runJob(tb, map[string]any{"type": "score", "model": "iris", "version": version, "dataset": ds.ID})
}

// runJob submits a job and waits until it has succeeded.
func (d *devBinary) runJob(tb testing.TB, req map[string]any) model.Job {
	tb.Helper()
	var job model.Job
	d.call(tb, http.MethodPost, "/v1/jobs", "application/json", jsonOf(tb, req), http.StatusAccepted, &job)
	testenv.WaitFor(tb, 2*time.Minute, fmt.Sprintf("%s job %s to end", req["type"], job.ID), func() bool {
		d.call(tb, http.MethodGet, "/v1/jobs/"+job.ID, "", nil, http.StatusOK, &job)
		return job.Status.Terminal()
	})
	if job.Status != model.StatusSucceeded || job.Result == nil {
		tb.Fatalf("%s job ended %s: %+v", req["type"], job.Status, job.Error)
	}
	return job
}

// call sends one request, fails tb unless it is answered want, and decodes
// the answer into out unless out is nil.
func (d *devBinary) call(tb testing.TB, method, path, contentType string, body []byte, want int, out any) {
	tb.Helper()
	req, err := http.NewRequest(method, d.url+path, bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	if resp.StatusCode != want {
		tb.Fatalf("%s %s: %d %s, want %d", method, path, resp.StatusCode, b, want)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			tb.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
}

// scrape is the process's /metrics, parsed by Prometheus's own parser.
func (d *devBinary) scrape(tb testing.TB) metricstest.Scrape {
	tb.Helper()
	resp, err := http.Get(d.url + "/metrics")
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("GET /metrics: %d", resp.StatusCode)
	}
	return metricstest.Parse(tb, resp.Body)
}

func jsonOf(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
