package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"gitlab.com/mlserve/mlserve/internal/testenv"
	"gitlab.com/mlserve/mlserve/model"
	"gitlab.com/mlserve/mlserve/worker"
)

// devProcess is one run of the dev program inside the test.
type devProcess struct {
	url    string // http://127.0.0.1:port
	banner string // what it printed up to its URL
	done   chan error
	cancel context.CancelFunc
}

// startDev runs the real dev program on :0 with the given job handlers and
// waits until it prints its URL and answers /readyz.
func startDev(tb testing.TB, dataDir string, handlers worker.Handlers) *devProcess {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	p := &devProcess{done: make(chan error, 1), cancel: cancel}
	args := []string{"mlserve-dev", "--http-addr", "127.0.0.1:0", "--dev-data-dir", dataDir, "--worker-cancel-poll", "100ms", "--jobs-score-part-rows", "40", "--log-level", "warn"}
	getenv := func(string) string { return "" } // hermetic: nothing from the machine
	go func() {
		err := runWith(ctx, args, getenv, pw, io.Discard, handlers)
		pw.CloseWithError(io.EOF)
		p.done <- err
	}()
	urlRe := regexp.MustCompile(`serving (http://\S+)`)
	lines := bufio.NewScanner(pr)
	for p.url == "" && lines.Scan() {
		p.banner += lines.Text() + "\n"
		if m := urlRe.FindStringSubmatch(lines.Text()); m != nil {
			p.url = m[1]
		}
	}
	if p.url == "" {
		cancel()
		tb.Fatalf("dev program did not print its URL: %v", <-p.done)
	}
	go func() {
		for lines.Scan() { // keep the program's stdout flowing
		}
	}()
	tb.Cleanup(func() { p.stop(tb) })
	testenv.WaitFor(tb, time.Minute, "readyz 200", func() bool {
		resp, err := http.Get(p.url + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return p
}

// stop shuts the program down as SIGTERM would and checks it exits cleanly.
func (p *devProcess) stop(tb testing.TB) {
	tb.Helper()
	if p.cancel == nil {
		return
	}
	p.cancel()
	p.cancel = nil
	select {
	case err := <-p.done:
		if err != nil {
			tb.Errorf("dev program exited with %v", err)
		}
	case <-time.After(time.Minute):
		tb.Errorf("dev program did not stop within a minute")
	}
}

// uploadIris uploads testdata/iris.csv through the API, as a user would.
func (p *devProcess) uploadIris(tb testing.TB) string {
	tb.Helper()
	csv, err := os.ReadFile("../../testdata/iris.csv")
	if err != nil {
		tb.Fatal(err)
	}
	resp, err := http.Post(p.url+"/v1/datasets?name=iris", "text/csv", bytes.NewReader(csv))
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var ds model.Dataset
	if err := json.NewDecoder(resp.Body).Decode(&ds); err != nil || resp.StatusCode != http.StatusCreated || ds.Rows != 150 {
		tb.Fatalf("upload iris: %d, %+v, %v", resp.StatusCode, ds, err)
	}
	return ds.ID
}

func (p *devProcess) do(tb testing.TB, method, path string, body any) (int, http.Header, []byte) {
	tb.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			tb.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, p.url+path, r)
	if err != nil {
		tb.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
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
	return resp.StatusCode, resp.Header, b
}

func (p *devProcess) job(tb testing.TB, id string) model.Job {
	tb.Helper()
	status, _, body := p.do(tb, http.MethodGet, "/v1/jobs/"+id, nil)
	if status != http.StatusOK {
		tb.Fatalf("GET job %s: %d %s", id, status, body)
	}
	var j model.Job
	if err := json.Unmarshal(body, &j); err != nil {
		tb.Fatal(err)
	}
	return j
}

func (p *devProcess) submitTrain(tb testing.TB, dataset string) string {
	tb.Helper()
	req := map[string]any{"type": "train", "model": "iris", "dataset": dataset, "target": "Species", "algorithm": "random_forest"}
	status, h, body := p.do(tb, http.MethodPost, "/v1/jobs", req)
	if status != http.StatusAccepted {
		tb.Fatalf("submit: %d %s", status, body)
	}
	var j model.Job
	if err := json.Unmarshal(body, &j); err != nil {
		tb.Fatal(err)
	}
	if got, want := h.Get("Location"), "/v1/jobs/"+j.ID; got != want {
		tb.Errorf("Location = %q, want %q", got, want)
	}
	return j.ID
}

func (p *devProcess) waitStatus(tb testing.TB, id string, want model.JobStatus) model.Job {
	tb.Helper()
	var j model.Job
	testenv.WaitFor(tb, 30*time.Second, fmt.Sprintf("job %s %s", id, want), func() bool {
		j = p.job(tb, id)
		return j.Status == want
	})
	return j
}

// waitEnded waits until the job is terminal and returns it.
func (p *devProcess) waitEnded(tb testing.TB, id string) model.Job {
	tb.Helper()
	var j model.Job
	testenv.WaitFor(tb, 2*time.Minute, "job "+id+" to end", func() bool {
		j = p.job(tb, id)
		return j.Status.Terminal()
	})
	return j
}

// gatedHandler reports progress, then waits until the test releases it or
// its context ends (cancel, shutdown), as a long training would.
type gatedHandler struct{ release chan struct{} }

func (g gatedHandler) Run(ctx context.Context, job *model.Job, progress worker.Reporter) (*model.JobResult, error) {
	if err := progress.Report(ctx, model.Progress{Done: 1, Total: 2}); err != nil {
		return nil, err
	}
	select {
	case <-g.release:
		return &model.JobResult{Model: job.Request.Model, Version: 1}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func TestDevProgramRunsTheJobLifecycle(t *testing.T) {
	dataDir := t.TempDir()
	gate := gatedHandler{release: make(chan struct{})}
	dev := startDev(t, dataDir, worker.Handlers{model.JobTrain: gate})
	dataset := dev.uploadIris(t)

	t.Run("it says what it runs", func(t *testing.T) {
		for _, want := range []string{"embedded FerretDB", "embedded miniredis", "auth OFF"} {
			if !strings.Contains(dev.banner, want) {
				t.Errorf("start-up output lacks %q:\n%s", want, dev.banner)
			}
		}
	})

	t.Run("a submitted job runs, reports progress and succeeds", func(t *testing.T) {
		id := dev.submitTrain(t, dataset)
		testenv.WaitFor(t, 30*time.Second, "progress 1/2", func() bool {
			j := dev.job(t, id)
			return j.Status == model.StatusRunning && j.Progress == model.Progress{Done: 1, Total: 2}
		})
		gate.release <- struct{}{}
		j := dev.waitStatus(t, id, model.StatusSucceeded)
		if j.Attempts != 1 || j.Result == nil || j.Result.Model != "iris" || j.Result.Version != 1 {
			t.Errorf("succeeded job = attempts %d, result %+v; want 1 attempt and iris v1", j.Attempts, j.Result)
		}
		if j.StartedAt == nil || j.FinishedAt == nil || j.FinishedAt.Before(*j.StartedAt) {
			t.Errorf("timestamps: started %v finished %v", j.StartedAt, j.FinishedAt)
		}
	})

	t.Run("a running job is canceled on request", func(t *testing.T) {
		id := dev.submitTrain(t, dataset)
		dev.waitStatus(t, id, model.StatusRunning)
		status, _, body := dev.do(t, http.MethodPost, "/v1/jobs/"+id+"/cancel", nil)
		if status != http.StatusAccepted {
			t.Fatalf("cancel: %d %s", status, body)
		}
		j := dev.waitStatus(t, id, model.StatusCanceled)
		if j.Error == nil || j.Error.Code != model.CodeCanceled {
			t.Errorf("canceled job error = %+v, want code %q", j.Error, model.CodeCanceled)
		}
		status, _, _ = dev.do(t, http.MethodPost, "/v1/jobs/"+id+"/cancel", nil)
		if status != http.StatusConflict {
			t.Errorf("cancel of a canceled job: %d, want 409", status)
		}
	})

	t.Run("a job id that never existed is a problem+json 404", func(t *testing.T) {
		for _, id := range []string{"ffffffffffffffffffffffff", "not-a-job-id"} {
			status, h, body := dev.do(t, http.MethodGet, "/v1/jobs/"+id, nil)
			if status != http.StatusNotFound || h.Get("Content-Type") != "application/problem+json" {
				t.Errorf("GET /v1/jobs/%s: %d %s %s", id, status, h.Get("Content-Type"), body)
			}
		}
	})

	t.Run("jobs survive a restart on the same data directory", func(t *testing.T) {
		status, _, body := dev.do(t, http.MethodGet, "/v1/jobs?status=succeeded", nil)
		if status != http.StatusOK {
			t.Fatalf("list: %d %s", status, body)
		}
		var before model.JobPage
		if err := json.Unmarshal(body, &before); err != nil || len(before.Jobs) != 1 {
			t.Fatalf("succeeded jobs before restart: %s (%v)", body, err)
		}
		dev.stop(t)
		again := startDev(t, dataDir, worker.Handlers{model.JobTrain: gate})
		if j := again.job(t, before.Jobs[0].ID); j.Status != model.StatusSucceeded {
			t.Errorf("after restart the job is %s, want succeeded", j.Status)
		}
	})
}
