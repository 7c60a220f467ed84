package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"gitlab.com/mlserve/mlserve/internal/metrics/metricstest"
	"gitlab.com/mlserve/mlserve/internal/testenv"
)

func env(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

func TestRunCommands(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
		wantOut string
	}{
		{"version prints the version", []string{"mlserve", "version"}, "", "mlserve "},
		{"no command is an error with usage", []string{"mlserve"}, "no command", ""},
		{"an unknown command is an error", []string{"mlserve", "serve"}, `unknown command "serve"`, ""},
		{"help lists the commands", []string{"mlserve", "help"}, "", "keygen"},
		{"an invalid setting names its key", []string{"mlserve", "api", "--http-read-timeout", "-1s"}, "http.read_timeout", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := run(context.Background(), tt.args, env(nil), &out, io.Discard)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("run: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("run error = %v, want one containing %q", err, tt.wantErr)
			}
			if !strings.Contains(out.String(), tt.wantOut) {
				t.Errorf("output %q does not contain %q", out.String(), tt.wantOut)
			}
		})
	}
}

func TestKeygenPrintsAKeyAndItsHash(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"mlserve", "keygen", "--name", "ci", "--scopes", "read+predict"}, env(nil), &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	fields := map[string]string{}
	for _, line := range strings.Split(out.String(), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			fields[k] = strings.TrimSpace(v)
		}
	}
	sum := sha256.Sum256([]byte(fields["key"]))
	if fields["key"] == "" || fields["sha256"] != hex.EncodeToString(sum[:]) {
		t.Fatalf("sha256 %q is not the hash of key %q", fields["sha256"], fields["key"])
	}
	if want := "ci:" + fields["sha256"] + ":read+predict"; fields["entry"] != want {
		t.Errorf("entry = %q, want %q", fields["entry"], want)
	}
}

// TestAPIAndWorkerRunAgainstRealStores runs the production roles, as the
// image runs them, against a real redis-server and a MongoDB-wire server.
func TestAPIAndWorkerRunAgainstRealStores(t *testing.T) {
	redis := testenv.StartRedis(t)
	mongo := testenv.Mongo(t)
	key := "mls_test_key"
	sum := sha256.Sum256([]byte(key))
	getenv := env(map[string]string{
		"MLSERVE_HTTP_ADDR":      "127.0.0.1:0",
		"MLSERVE_MONGO_URI":      mongo.URI,
		"MLSERVE_MONGO_DATABASE": mongo.Database,
		"MLSERVE_REDIS_ADDR":     redis.Addr,
		"MLSERVE_AUTH_KEYS":      "ci:" + hex.EncodeToString(sum[:]) + ":read",
		"MLSERVE_OPS_ADDR":       "127.0.0.1:0",
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	apiOut, apiLog := io.Pipe()
	apiDone := make(chan error, 1)
	go func() { apiDone <- run(ctx, []string{"mlserve", "api"}, getenv, apiLog, io.Discard); apiLog.Close() }()
	workerOut, workerLog := io.Pipe()
	workerDone := make(chan error, 1)
	go func() {
		workerDone <- run(ctx, []string{"mlserve", "worker"}, getenv, workerLog, io.Discard)
		workerLog.Close()
	}()

	addr := listenAddr(t, apiOut, "api listening")
	go io.Copy(io.Discard, apiOut)
	url := "http://" + addr
	waitStatus(t, url+"/readyz", "", http.StatusOK)
	ops := "http://" + listenAddr(t, workerOut, "ops listening")
	go io.Copy(io.Discard, workerOut)
	waitStatus(t, ops+"/readyz", "", http.StatusOK)

	t.Run("each role serves its own metrics, open", func(t *testing.T) {
		for _, c := range []struct {
			url    string
			family string
		}{
			{url, "mlserve_http_requests_total"},
			{url, "mlserve_models_cached"},
			{ops, "mlserve_jobs_total"},
			{ops, "mlserve_queue_tasks"},
			{ops, "mlserve_build_info"},
		} {
			if s := scrape(t, c.url); s.Series(c.family) == 0 {
				t.Errorf("%s/metrics has no %s", c.url, c.family)
			}
		}
		if got := statusOf(t, ops+"/healthz", ""); got != http.StatusOK {
			t.Errorf("worker /healthz: %d", got)
		}
	})

	t.Run("a request without a key is 401 and with a read key 200", func(t *testing.T) {
		if got := statusOf(t, url+"/v1/jobs", ""); got != http.StatusUnauthorized {
			t.Errorf("no key: %d, want 401", got)
		}
		if got := statusOf(t, url+"/v1/jobs", key); got != http.StatusOK {
			t.Errorf("read key: %d, want 200", got)
		}
	})

	t.Run("the OIP server metadata names the build's version", func(t *testing.T) {
		req, err := http.NewRequest(http.MethodGet, url+"/v2", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var meta struct{ Name, Version string }
		if err := json.NewDecoder(resp.Body).Decode(&meta); err != nil || meta.Version != version {
			t.Errorf("GET /v2: %+v, %v; want version %q", meta, err, version)
		}
	})

	t.Run("readyz says 503 while redis is down and recovers after", func(t *testing.T) {
		redis.Stop()
		waitStatus(t, url+"/readyz", "", http.StatusServiceUnavailable)
		waitStatus(t, ops+"/readyz", "", http.StatusServiceUnavailable)
		redis.Start()
		waitStatus(t, url+"/readyz", "", http.StatusOK)
		waitStatus(t, ops+"/readyz", "", http.StatusOK)
	})

	cancel()
	for role, done := range map[string]chan error{"api": apiDone, "worker": workerDone} {
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("%s exited with %v", role, err)
			}
		case <-time.After(time.Minute):
			t.Errorf("%s did not stop within a minute of SIGTERM", role)
		}
	}
}

// listenAddr reads a role's JSON log until msg says where it listens.
func listenAddr(tb testing.TB, log io.Reader, msg string) string {
	tb.Helper()
	re := regexp.MustCompile(`"msg":"` + msg + `".*"addr":"([^"]+)"`)
	lines := bufio.NewScanner(log)
	for lines.Scan() {
		if m := re.FindStringSubmatch(lines.Text()); m != nil {
			return m[1]
		}
	}
	tb.Fatalf("no %q in the log", msg)
	return ""
}

func statusOf(tb testing.TB, url, key string) int {
	tb.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		tb.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func waitStatus(tb testing.TB, url, key string, want int) {
	tb.Helper()
	deadline := time.Now().Add(time.Minute)
	for statusOf(tb, url, key) != want {
		if time.Now().After(deadline) {
			tb.Fatalf("GET %s never answered %d", url, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// scrape reads url's /metrics, parsed by Prometheus's parser.
func scrape(tb testing.TB, url string) metricstest.Scrape {
	tb.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("GET %s/metrics: %d", url, resp.StatusCode)
	}
	return metricstest.Parse(tb, resp.Body)
}
