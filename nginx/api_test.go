package nginx

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"gitlab.com/mlserve/mlserve/internal/app"
	"gitlab.com/mlserve/mlserve/internal/config"
	"gitlab.com/mlserve/mlserve/internal/logx"
	"gitlab.com/mlserve/mlserve/internal/testenv"
	"gitlab.com/mlserve/mlserve/model"
)

// apiServer is the real API, and a worker to train with, running in the
// test process on the embedded FerretDB and a real Redis, as `mlserve api`
// and `mlserve worker` wire them.
type apiServer struct {
	Addr string // host:port, for nginx's upstream.conf
	URL  string // http://host:port, for the test to reach the API directly
	Stop func() // stops both roles; the API then refuses connections
}

// startAPI starts the API with auth off on a loopback port and waits until
// it is ready; env adds MLSERVE_* settings. It stops at cleanup.
func startAPI(tb testing.TB, env map[string]string) *apiServer {
	tb.Helper()
	mongo := testenv.Mongo(tb)
	settings := map[string]string{
		"MLSERVE_MONGO_URI":      mongo.URI,
		"MLSERVE_MONGO_DATABASE": mongo.Database,
		"MLSERVE_REDIS_ADDR":     testenv.Redis(tb),
		"MLSERVE_AUTH_ENABLED":   "false",
		"MLSERVE_LOG_LEVEL":      "warn",
		"MLSERVE_OPS_ADDR":       "", // the worker's probes are not what this tests
	}
	maps.Copy(settings, env)
	cfg, err := config.Load(nil, func(k string) string { return settings[k] }, config.Name("nginx test"), config.Output(io.Discard))
	if err != nil {
		tb.Fatal(err)
	}
	var logs testenv.SyncBuffer
	logger, err := logx.New(&logs, cfg.Log.Format, cfg.Log.Level)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	b, err := app.Open(ctx, cfg, app.NewBuild("test", ""), logger)
	if err != nil {
		cancel()
		tb.Fatal(err)
	}
	handlers, release, err := app.Handlers(cfg, b, logger)
	if err != nil {
		cancel()
		tb.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		cancel()
		tb.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	wg.Go(func() { errs[0] = app.ServeAPI(ctx, cfg, b, ln, logger.With("role", "api"), &logs) })
	wg.Go(func() { errs[1] = app.RunWorker(ctx, cfg, b, handlers, logger.With("role", "worker")) })
	s := &apiServer{Addr: ln.Addr().String(), URL: "http://" + ln.Addr().String()}
	s.Stop = sync.OnceFunc(func() {
		cancel()
		wg.Wait()
		release()
		if err := errors.Join(errs...); err != nil {
			tb.Errorf("api or worker: %v", err)
		}
		_ = b.Close(context.Background())
		if tb.Failed() {
			tb.Logf("api and worker log:\n%s", logs.String())
		}
	})
	tb.Cleanup(s.Stop) // before testenv's cleanups, which stop the stores
	testenv.WaitFor(tb, time.Minute, "the API's /readyz 200", func() bool {
		resp, err := http.Get(s.URL + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return s
}

// waitJob polls the job on the API directly (not through nginx, so polling
// spends no rate-limit budget) until it ends, and returns it.
func (s *apiServer) waitJob(tb testing.TB, id string) model.Job {
	tb.Helper()
	var j model.Job
	testenv.WaitFor(tb, 2*time.Minute, "job "+id+" to end", func() bool {
		resp, err := http.Get(s.URL + "/v1/jobs/" + id)
		if err != nil {
			tb.Fatal(err)
		}
		defer resp.Body.Close()
		j = model.Job{}
		if err := json.NewDecoder(resp.Body).Decode(&j); err != nil || resp.StatusCode != http.StatusOK {
			tb.Fatalf("GET job %s: %d, %v", id, resp.StatusCode, err)
		}
		return j.Status.Terminal()
	})
	return j
}
