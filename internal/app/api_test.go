package app

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"gitlab.com/mlserve/mlserve/internal/config"
	"gitlab.com/mlserve/mlserve/internal/logx"
	"gitlab.com/mlserve/mlserve/internal/metrics/metricstest"
	"gitlab.com/mlserve/mlserve/internal/testenv"
)

// gatedWriter is an access log's destination that, once closed, holds
// every Write until it is opened again, as a stuck pipe or a full disk
// would.
type gatedWriter struct {
	mu    sync.Mutex
	open  *sync.Cond
	shut  bool
	lines bytes.Buffer
}

func newGatedWriter() *gatedWriter {
	g := &gatedWriter{}
	g.open = sync.NewCond(&g.mu)
	return g
}

func (g *gatedWriter) Write(p []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for g.shut {
		g.open.Wait()
	}
	return g.lines.Write(p)
}

func (g *gatedWriter) set(shut bool) {
	g.mu.Lock()
	g.shut = shut
	g.mu.Unlock()
	g.open.Broadcast()
}

// TestDroppedAccessLinesAreCounted runs the API as `mlserve api` does with
// an access log whose destination stops taking writes: requests go on being
// answered, and every line the log could not hold is counted in
// mlserve_access_log_dropped_total, exactly: what reached the destination
// and what the counter says add up to the requests made.
func TestDroppedAccessLinesAreCounted(t *testing.T) {
	t.Parallel()
	mongo := testenv.Mongo(t)
	settings := map[string]string{
		"MLSERVE_MONGO_URI":      mongo.URI,
		"MLSERVE_MONGO_DATABASE": mongo.Database,
		"MLSERVE_REDIS_ADDR":     testenv.MiniRedis(t),
		"MLSERVE_AUTH_ENABLED":   "false",
		"MLSERVE_LOG_LEVEL":      "info",
	}
	cfg, err := config.Load(nil, func(k string) string { return settings[k] }, config.Name("access log test"), config.Output(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	logger, err := logx.New(io.Discard, cfg.Log.Format, "warn")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b, err := Open(ctx, cfg, NewBuild("test", ""), logger)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close(context.Background())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	access := newGatedWriter()
	served := make(chan error, 1)
	go func() { served <- ServeAPI(ctx, cfg, b, ln, logger, access) }()
	url := "http://" + ln.Addr().String()
	testenv.WaitFor(t, time.Minute, "the API's /readyz 200", func() bool {
		resp, err := http.Get(url + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})

	access.set(true)
	const path, requests = "/v2/health/live", 8000 // ~2 MiB of lines, twice what the log holds
	client := &http.Client{}
	for range requests {
		resp, err := client.Get(url + path)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s with the log stuck: %d", path, resp.StatusCode)
		}
	}
	resp, err := client.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	dropped := metricstest.Parse(t, resp.Body).Value("mlserve_access_log_dropped_total")
	resp.Body.Close()

	access.set(false)
	cancel()
	if err := <-served; err != nil {
		t.Fatalf("serve: %v", err)
	}
	logged := 0
	for line := range bytes.Lines(access.lines.Bytes()) {
		if bytes.Contains(line, []byte(path)) {
			logged++
		}
	}
	if dropped == 0 || dropped >= requests {
		t.Fatalf("%v of %d lines dropped with the log stuck, want some but not all", dropped, requests)
	}
	if logged+int(dropped) != requests {
		t.Fatalf("%d lines logged and %v dropped, want %d in all", logged, dropped, requests)
	}
}
