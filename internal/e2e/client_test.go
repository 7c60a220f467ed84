package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"gitlab.com/mlserve/mlserve/model"
)

// pollEvery is how often the tests poll a job or an endpoint.
const pollEvery = 100 * time.Millisecond

// client calls one API process, as a user would over HTTP.
type client struct {
	base string
	http *http.Client
}

func newClient(base string) *client {
	// Generous: a 1M-row upload or output download takes seconds.
	return &client{base: base, http: &http.Client{Timeout: 5 * time.Minute}}
}

// response is a whole answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r *response) String() string {
	return fmt.Sprintf("%d %s", r.status, bytes.TrimSpace(r.body))
}

// do sends a request with body as JSON (nil: none) and reads the whole
// answer. A transport error fails the test: the API is never the process a
// test kills.
func (c *client) do(tb testing.TB, method, path string, body any, header ...string) *response {
	tb.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			tb.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		tb.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return c.send(tb, req)
}

func (c *client) send(tb testing.TB, req *http.Request) *response {
	tb.Helper()
	resp, err := c.http.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("%s %s: read the answer: %v", req.Method, req.URL.Path, err)
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: b}
}

// decodeAs fails tb unless r has status want, then decodes its body into v.
func decodeAs[T any](tb testing.TB, what string, r *response, want int) *T {
	tb.Helper()
	if r.status != want {
		tb.Fatalf("%s: %v, want %d", what, r, want)
	}
	v := new(T)
	if err := json.Unmarshal(r.body, v); err != nil {
		tb.Fatalf("%s: decode %s: %v", what, r, err)
	}
	return v
}

// waitReady polls /readyz until it answers 200.
func (c *client) waitReady(tb testing.TB, timeout time.Duration) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		r := c.do(tb, http.MethodGet, "/readyz", nil)
		if r.status == http.StatusOK {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("/readyz did not answer 200 within %s; last: %v", timeout, r)
		}
		time.Sleep(pollEvery)
	}
}

// uploadDataset uploads csv as a text/csv body.
func (c *client) uploadDataset(tb testing.TB, name string, csv []byte) *model.Dataset {
	tb.Helper()
	req, err := http.NewRequest(http.MethodPost, c.base+"/v1/datasets?name="+url.QueryEscape(name), bytes.NewReader(csv))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "text/csv")
	return decodeAs[model.Dataset](tb, "upload dataset "+name, c.send(tb, req), http.StatusCreated)
}

// submit submits a job and expects 202.
func (c *client) submit(tb testing.TB, req map[string]any) *model.Job {
	tb.Helper()
	return decodeAs[model.Job](tb, fmt.Sprintf("submit %s job", req["type"]), c.do(tb, http.MethodPost, "/v1/jobs", req), http.StatusAccepted)
}

func (c *client) job(tb testing.TB, id string) *model.Job {
	tb.Helper()
	return decodeAs[model.Job](tb, "get job "+id, c.do(tb, http.MethodGet, "/v1/jobs/"+id, nil), http.StatusOK)
}

// waitJob polls job id every interval until until(job) holds, and returns
// the job then; it fails tb after timeout.
func (c *client) waitJob(tb testing.TB, id string, interval, timeout time.Duration, until func(*model.Job) bool) *model.Job {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		j := c.job(tb, id)
		if until(j) {
			return j
		}
		if time.Now().After(deadline) {
			tb.Fatalf("job %s: still %s after %s: %s", id, j.Status, timeout, jobSummary(j))
		}
		time.Sleep(interval)
	}
}

// waitSucceeded waits for job id to end and fails tb unless it succeeded.
func (c *client) waitSucceeded(tb testing.TB, id string, timeout time.Duration) *model.Job {
	tb.Helper()
	j := c.waitJob(tb, id, pollEvery, timeout, func(j *model.Job) bool { return j.Status.Terminal() })
	if j.Status != model.StatusSucceeded {
		tb.Fatalf("job %s ended %s: %s", id, j.Status, jobSummary(j))
	}
	return j
}

// jobSummary is a job in one line, for failure messages.
func jobSummary(j *model.Job) string {
	b, _ := json.Marshal(struct {
		Status   model.JobStatus  `json:"status"`
		Progress model.Progress   `json:"progress"`
		Attempts int              `json:"attempts"`
		Result   *model.JobResult `json:"result,omitempty"`
		Error    *model.JobError  `json:"error,omitempty"`
	}{j.Status, j.Progress, j.Attempts, j.Result, j.Error})
	return string(b)
}

// version reads one model version.
func (c *client) version(tb testing.TB, name string, v int) *model.ModelVersion {
	tb.Helper()
	return decodeAs[model.ModelVersion](tb, "get version", c.do(tb, http.MethodGet, fmt.Sprintf("/v1/models/%s/versions/%d", name, v), nil), http.StatusOK)
}

// prediction is the native predict answer.
type prediction struct {
	Model         string               `json:"model"`
	Version       int                  `json:"version"`
	Predictions   []string             `json:"predictions"`
	Probabilities []map[string]float64 `json:"probabilities"`
}

// predict predicts instances (arrays in the version's feature order) with
// one model version, expecting 200.
func (c *client) predict(tb testing.TB, name string, version int, instances [][]float64) *prediction {
	tb.Helper()
	path := fmt.Sprintf("/v1/models/%s/versions/%d/predict", name, version)
	r := c.do(tb, http.MethodPost, path, map[string]any{"instances": instances})
	p := decodeAs[prediction](tb, "predict", r, http.StatusOK)
	if len(p.Predictions) != len(instances) || p.Version != version {
		tb.Fatalf("predict %d instances: %d predictions from version %d, want version %d", len(instances), len(p.Predictions), p.Version, version)
	}
	return p
}

// openOutput starts downloading a score job's CSV output; the caller
// closes the body.
func (c *client) openOutput(tb testing.TB, id string) *http.Response {
	tb.Helper()
	resp, err := c.http.Get(c.base + "/v1/jobs/" + id + "/output")
	if err != nil {
		tb.Fatalf("GET output of job %s: %v", id, err)
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		tb.Fatalf("GET output of job %s: %d %s", id, resp.StatusCode, b)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		resp.Body.Close()
		tb.Fatalf("GET output of job %s: Content-Type %q, want text/csv", id, ct)
	}
	return resp
}
