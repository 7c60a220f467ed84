package nginx

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gitlab.com/mlserve/mlserve/model"
)

// TestShippedConfigPassesNginxT runs `nginx -t` on nginx.conf and
// upstream.conf exactly as committed, side by side as a ConfigMap mounts
// them, unprivileged.
func TestShippedConfigPassesNginxT(t *testing.T) {
	bin := nginxBinary(t)
	dir := confDir(t, shippedFiles(t)) // both files as they are, side by side
	cmd, err := startNginx(bin, dir, "-t")
	if err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	out, _ := os.ReadFile(filepath.Join(dir, "error.log"))
	if err != nil || !strings.Contains(string(out), "test is successful") {
		t.Fatalf("nginx -t: %v\n%s", err, out)
	}
}

// TestProxyInFrontOfTheAPI runs the shipped configuration in a real nginx,
// unprivileged, in front of the real API and a worker, and checks what a
// client of the proxy would notice.
func TestProxyInFrontOfTheAPI(t *testing.T) {
	nginxBinary(t) // skip before starting anything else
	api := startAPI(t, nil)
	px := startProxy(t, api.Addr)
	c := client("127.0.0.1")

	// Through the proxy: upload iris and train a decision tree on it.
	iris, err := os.ReadFile("../testdata/iris.csv")
	if err != nil {
		t.Fatal(err)
	}
	resp, body := do(t, c, http.MethodPost, px.URL+"/v1/datasets?name=iris", header("Content-Type", "text/csv"), bytes.NewReader(iris))
	var ds model.Dataset
	if resp.StatusCode != http.StatusCreated || json.Unmarshal(body, &ds) != nil || ds.Rows != 150 {
		t.Fatalf("upload iris through nginx: %d %s", resp.StatusCode, body)
	}
	resp, body = do(t, c, http.MethodPost, px.URL+"/v1/jobs", header("Content-Type", "application/json"), jsonBody(t, map[string]any{
		"type": "train", "model": "iris", "dataset": ds.ID, "target": "Species", "algorithm": "decision_tree"}))
	var job model.Job
	if resp.StatusCode != http.StatusAccepted || json.Unmarshal(body, &job) != nil {
		t.Fatalf("submit a train job through nginx: %d %s", resp.StatusCode, body)
	}
	if job = api.waitJob(t, job.ID); job.Status != model.StatusSucceeded {
		t.Fatalf("train job ended %s: %+v", job.Status, job.Error)
	}
	version := job.Result.Version

	t.Run("predictions by name, version and alias, and OIP inference, answer through the proxy", func(t *testing.T) {
		resp, body := do(t, c, http.MethodPut, px.URL+"/v1/models/iris/aliases/production", header("Content-Type", "application/json"),
			jsonBody(t, map[string]int{"version": version}))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("set alias: %d %s", resp.StatusCode, body)
		}
		instances := map[string]any{"instances": [][]float64{{5.1, 3.5, 1.4, 0.2}, {6.7, 3.0, 5.2, 2.3}}}
		for _, path := range []string{"/v1/models/iris/predict", fmt.Sprintf("/v1/models/iris/versions/%d/predict", version), "/v1/models/iris/aliases/production/predict"} {
			resp, body := do(t, c, http.MethodPost, px.URL+path, header("Content-Type", "application/json"), jsonBody(t, instances))
			var got struct{ Predictions []string }
			if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &got) != nil ||
				strings.Join(got.Predictions, ",") != "Iris-setosa,Iris-virginica" {
				t.Errorf("POST %s: %d %s", path, resp.StatusCode, body)
			}
		}
		resp, body = do(t, c, http.MethodPost, px.URL+"/v2/models/iris/infer", header("Content-Type", "application/json"), jsonBody(t, map[string]any{
			"inputs": []map[string]any{{"name": "input", "shape": []int{2, 4}, "datatype": "FP64", "data": []float64{5.1, 3.5, 1.4, 0.2, 6.7, 3.0, 5.2, 2.3}}}}))
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"data":["Iris-setosa","Iris-virginica"]`) {
			t.Errorf("POST /v2/models/iris/infer: %d %s", resp.StatusCode, body)
		}
	})

	t.Run("a client's X-Request-ID reaches the API, comes back and is logged", func(t *testing.T) {
		id := "client-" + randomHex()
		resp, body := do(t, c, http.MethodGet, px.URL+"/v1/models/no-such-model", header("X-Request-ID", id), nil)
		p := mustProblem(t, resp, body, http.StatusNotFound)
		if got := resp.Header.Values("X-Request-ID"); len(got) != 1 || got[0] != id || p.RequestID != id {
			t.Errorf("X-Request-ID %q, the API's problem says %q; want %q once in both", got, p.RequestID, id)
		}
		checkSecurityHeaders(t, resp.Header) // on an error the API answered
		if e := px.waitForEntry(t, id); e["upstream_status"] != "404" {
			t.Errorf("access log entry %v, want upstream_status 404", e)
		}
	})

	t.Run("without an X-Request-ID nginx makes one, sends it to the API and logs it", func(t *testing.T) {
		resp, body := do(t, c, http.MethodGet, px.URL+"/v1/models/no-such-model", nil, nil)
		p := mustProblem(t, resp, body, http.StatusNotFound)
		id := resp.Header.Get("X-Request-ID")
		if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(id) || p.RequestID != id {
			t.Errorf("X-Request-ID %q, the API's problem says %q; want the same 32 hex digits", id, p.RequestID)
		}
		px.waitForEntry(t, id)
	})

	t.Run("an X-Request-ID unsafe in logs or JSON is replaced by a generated one", func(t *testing.T) {
		sent := `quote"` + strings.Repeat("x", 10)
		resp, body := do(t, c, http.MethodGet, px.URL+"/v1/models/no-such-model", header("X-Request-ID", sent), nil)
		p := mustProblem(t, resp, body, http.StatusNotFound)
		if id := resp.Header.Get("X-Request-ID"); id == sent || len(id) != 32 || p.RequestID != id {
			t.Errorf("X-Request-ID %q, the API's problem says %q; want one generated id in both", id, p.RequestID)
		}
	})

	t.Run("/metrics is a 404 through the proxy, answered by nginx, while the API serves it", func(t *testing.T) {
		resp, body := do(t, c, http.MethodGet, api.URL+"/metrics", nil, nil)
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "mlserve_http_requests_total") {
			t.Fatalf("GET /metrics straight at the API: %d, want 200 with mlserve_http_requests_total", resp.StatusCode)
		}
		// Spellings nginx normalises to /metrics, and a query.
		for _, path := range []string{"/metrics", "//metrics", "/%6Detrics", "/metrics?format=text", "/v1/../metrics"} {
			for _, method := range []string{http.MethodGet, http.MethodHead} {
				id := "metrics-" + randomHex()
				resp, body := do(t, c, method, px.URL+path, header("X-Request-ID", id), nil)
				if method == http.MethodHead {
					if resp.StatusCode != http.StatusNotFound || len(body) != 0 {
						t.Errorf("HEAD %s through nginx: %d %q, want 404 without a body", path, resp.StatusCode, body)
					}
				} else if p := mustProblem(t, resp, body, http.StatusNotFound); p.Type != "https://mlserve.dev/problems/not_found" || p.RequestID != id {
					t.Errorf("GET %s through nginx: problem %+v, want type not_found and request id %s", path, p, id)
				}
				checkSecurityHeaders(t, resp.Header)
				if e := px.waitForEntry(t, id); e["upstream_status"] != "" || e["status"] != float64(http.StatusNotFound) {
					t.Errorf("%s %s: access log entry %v: want nginx's own 404, never proxied", method, path, e)
				}
			}
		}
		// What nginx does not normalise to /metrics reaches the API, which
		// has no such route either.
		for _, path := range []string{"/metrics/", "/metrics.txt"} {
			resp, body := do(t, c, http.MethodGet, px.URL+path, nil, nil)
			mustProblem(t, resp, body, http.StatusNotFound)
			if strings.Contains(string(body), "mlserve_") {
				t.Errorf("GET %s through nginx leaked metrics: %s", path, body)
			}
		}
	})

	t.Run("a JSON body over 1 MiB gets 413 problem+json from nginx, with the security headers", func(t *testing.T) {
		id := "too-large-" + randomHex()
		big := bytes.Repeat([]byte(" "), 2<<20)
		// As curl does for large bodies: nginx answers before the body is
		// sent, and the client never writes into a closed connection.
		resp, body := do(t, c, http.MethodPost, px.URL+"/v1/models/iris/predict",
			header("Content-Type", "application/json", "X-Request-ID", id, "Expect", "100-continue"), bytes.NewReader(big))
		p := mustProblem(t, resp, body, http.StatusRequestEntityTooLarge)
		if p.Type != "https://mlserve.dev/problems/too_large" || p.RequestID != id {
			t.Errorf("problem %+v, want type too_large and request id %s", p, id)
		}
		checkSecurityHeaders(t, resp.Header)
		if e := px.waitForEntry(t, id); e["upstream_status"] != "" {
			t.Errorf("access log entry %v: the API saw the request; nginx should have refused it", e)
		}
	})

	t.Run("nginx's own errors on OIP routes are the protocol's {\"error\": ...}", func(t *testing.T) {
		big := bytes.Repeat([]byte(" "), 2<<20)
		resp, body := do(t, c, http.MethodPost, px.URL+"/v2/models/iris/infer",
			header("Content-Type", "application/json", "Expect", "100-continue"), bytes.NewReader(big))
		var got struct{ Error string }
		if resp.StatusCode != http.StatusRequestEntityTooLarge || resp.Header.Get("Content-Type") != "application/json" ||
			json.Unmarshal(body, &got) != nil || got.Error == "" {
			t.Errorf("oversize infer: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
		checkSecurityHeaders(t, resp.Header)
	})

	t.Run("the dataset upload takes a CSV larger than the default body limit", func(t *testing.T) {
		csvBody := largeCSV(3 << 20)
		resp, body := do(t, c, http.MethodPost, px.URL+"/v1/datasets?name=big", header("Content-Type", "text/csv"), bytes.NewReader(csvBody))
		var ds model.Dataset
		if resp.StatusCode != http.StatusCreated || json.Unmarshal(body, &ds) != nil || ds.SizeBytes != int64(len(csvBody)) {
			t.Errorf("upload %d bytes: %d %s", len(csvBody), resp.StatusCode, body)
		}
	})

	t.Run("the dataset upload still refuses a body over limits.dataset_bytes", func(t *testing.T) {
		req, err := http.NewRequest(http.MethodPost, px.URL+"/v1/datasets?name=huge", io.LimitReader(zeros{}, 300<<20))
		if err != nil {
			t.Fatal(err)
		}
		req.ContentLength = 300 << 20 // nginx refuses on the header, before the body
		req.Header.Set("Content-Type", "text/csv")
		req.Header.Set("Expect", "100-continue")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		mustProblem(t, resp, body, http.StatusRequestEntityTooLarge)
	})

	t.Run("a large JSON answer is gzipped for a client that accepts gzip", func(t *testing.T) {
		instances := irisInstances(t, iris)
		resp, body := do(t, c, http.MethodPost, px.URL+"/v1/models/iris/predict",
			header("Content-Type", "application/json", "Accept-Encoding", "gzip"), jsonBody(t, map[string]any{"instances": instances}))
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("predict %d rows: %d, Content-Encoding %q", len(instances), resp.StatusCode, resp.Header.Get("Content-Encoding"))
		}
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		plain, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		var got struct{ Predictions []string }
		if err := json.Unmarshal(plain, &got); err != nil || len(got.Predictions) != len(instances) {
			t.Errorf("gunzipped answer: %v, %d predictions, want %d", err, len(got.Predictions), len(instances))
		}
		if len(body) >= len(plain)/2 {
			t.Errorf("gzip made %d bytes of %d", len(body), len(plain))
		}
	})

	t.Run("/healthz is proxied but not logged; other requests are, as JSON", func(t *testing.T) {
		probe, next := "healthz-"+randomHex(), "after-healthz-"+randomHex()
		resp, body := do(t, c, http.MethodGet, px.URL+"/healthz", header("X-Request-ID", probe), nil)
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "ok") {
			t.Fatalf("GET /healthz: %d %s", resp.StatusCode, body)
		}
		// The next request on the same connection is logged after the probe
		// would have been: once it is there, the probe's line never will be.
		do(t, c, http.MethodGet, px.URL+"/v1/algorithms", header("X-Request-ID", next), nil)
		e := px.waitForEntry(t, next)
		for _, e := range px.accessEntries(t) {
			if e["request_id"] == probe || e["uri"] == "/healthz" {
				t.Errorf("/healthz was logged: %v", e)
			}
		}
		if e["status"] != 200.0 || e["method"] != "GET" || e["uri"] != "/v1/algorithms" || e["upstream_response_time"] == "" {
			t.Errorf("access log entry %v, want status 200, method, uri and upstream_response_time", e)
		}
	})

	t.Run("a burst gets 429 problem+json with Retry-After; predictions have a budget of their own", func(t *testing.T) {
		burster := client("127.0.0.2") // a client address with its own budget
		var limited *http.Response
		var limitedBody []byte
		passed := 0
		for range 2000 {
			resp, body := do(t, burster, http.MethodGet, px.URL+"/v1/algorithms", nil, nil)
			if resp.StatusCode == http.StatusTooManyRequests {
				limited, limitedBody = resp, body
				break
			}
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET /v1/algorithms: %d %s", resp.StatusCode, body)
			}
			passed++
		}
		if limited == nil {
			t.Fatalf("2000 requests in a row, none limited")
		}
		if passed < 41 {
			t.Errorf("limited after %d requests; the burst allows 41 at once", passed)
		}
		p := mustProblem(t, limited, limitedBody, http.StatusTooManyRequests)
		if p.Type != "https://mlserve.dev/problems/rate_limited" || limited.Header.Get("Retry-After") != "1" {
			t.Errorf("429 %+v, Retry-After %q", p, limited.Header.Get("Retry-After"))
		}
		checkSecurityHeaders(t, limited.Header)

		resp, body := do(t, burster, http.MethodPost, px.URL+"/v1/models/iris/predict", header("Content-Type", "application/json"),
			jsonBody(t, map[string]any{"instances": [][]float64{{5.1, 3.5, 1.4, 0.2}}}))
		if resp.StatusCode != http.StatusOK {
			t.Errorf("a prediction right after the burst: %d %s", resp.StatusCode, body)
		}
	})

	t.Run("with the API down nginx answers 502 problem+json", func(t *testing.T) {
		api.Stop()
		resp, body := do(t, c, http.MethodGet, px.URL+"/v1/jobs", nil, nil)
		p := mustProblem(t, resp, body, http.StatusBadGateway)
		if p.RequestID != resp.Header.Get("X-Request-ID") {
			t.Errorf("problem request id %q, header %q", p.RequestID, resp.Header.Get("X-Request-ID"))
		}
		checkSecurityHeaders(t, resp.Header)
	})
}
