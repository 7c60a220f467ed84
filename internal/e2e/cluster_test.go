package e2e

import (
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"gitlab.com/mlserve/mlserve/internal/testenv"
)

var showLogs = flag.Bool("e2e.logs", false, "show the output of every process, also when its test passes")

// Bounds on how long a process may take to come up.
const (
	startTimeout = 30 * time.Second
	stopTimeout  = 40 * time.Second // over worker.shutdown_timeout, 25s
)

// cluster is one test's deployment: a redis-server of its own, a database of
// its own on the shared FerretDB, and the api and worker processes the test
// starts against them.
type cluster struct {
	tb       testing.TB
	redis    *testenv.RedisServer
	settings map[string]string // MLSERVE_* for every process

	api   *proc
	url   string // the api's base URL
	procs []*proc
}

// newCluster starts a redis-server for tb and picks a fresh database. At
// cleanup it stops every process still running (SIGTERM: each must exit
// cleanly), reports any that died by themselves, and shows every process's
// output when tb failed.
func newCluster(tb testing.TB) *cluster {
	tb.Helper()
	skipShort(tb)
	c := &cluster{tb: tb, redis: testenv.StartRedis(tb)}
	var random [6]byte
	_, _ = rand.Read(random[:])
	c.settings = map[string]string{
		"MLSERVE_MONGO_URI":      mongoURI,
		"MLSERVE_MONGO_DATABASE": "e2e_" + hex.EncodeToString(random[:]),
		"MLSERVE_REDIS_ADDR":     c.redis.Addr,
		"MLSERVE_HTTP_ADDR":      "127.0.0.1:0",
		"MLSERVE_OPS_ADDR":       "127.0.0.1:0", // every worker its own port
		"MLSERVE_AUTH_ENABLED":   "false",
		"MLSERVE_LOG_LEVEL":      "info",
		"MLSERVE_LOG_FORMAT":     "json",
	}
	// Registered after StartRedis, so it runs before Redis stops.
	tb.Cleanup(c.stop)
	return c
}

// env is the environment of a process: the test's own, without any
// MLSERVE_* setting of the developer's, plus the cluster's settings and
// extra.
func (c *cluster) env(extra map[string]string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MLSERVE_") {
			env = append(env, kv)
		}
	}
	all := maps.Clone(c.settings)
	maps.Copy(all, extra)
	for _, k := range slices.Sorted(maps.Keys(all)) {
		env = append(env, k+"="+all[k])
	}
	return env
}

func (c *cluster) start(role string, extra map[string]string) *proc {
	c.tb.Helper()
	n := 1
	for _, p := range c.procs {
		if p.role == role {
			n++
		}
	}
	p := startProc(c.tb, role, n, c.env(extra))
	c.procs = append(c.procs, p)
	return p
}

var apiListening = regexp.MustCompile(`"msg":"api listening".*?"addr":"([^"]+)"`)

// startAPI starts `mlserve api` on a free loopback port and waits until it
// is ready.
func (c *cluster) startAPI() *client {
	c.tb.Helper()
	c.api = c.start("api", nil)
	addr := c.api.waitLog(c.tb, apiListening, startTimeout)[1]
	c.url = "http://" + addr
	cl := newClient(c.url)
	cl.waitReady(c.tb, startTimeout)
	return cl
}

var workerStarted = regexp.MustCompile(`"msg":"worker started"`)

// startWorker starts `mlserve worker` with extra settings and waits until
// it serves its queues.
func (c *cluster) startWorker(extra map[string]string) *proc {
	c.tb.Helper()
	p := c.start("worker", extra)
	p.waitLog(c.tb, workerStarted, startTimeout)
	return p
}

// stop ends every process and reports what went wrong with them.
func (c *cluster) stop() {
	tb := c.tb
	for _, p := range c.procs {
		if err := p.unexpectedExit(); err != nil {
			tb.Errorf("%v", err)
		}
	}
	errs := make(chan error, len(c.procs))
	for _, p := range c.procs {
		go func() { errs <- p.terminate(stopTimeout) }()
	}
	for range c.procs {
		if err := <-errs; err != nil {
			tb.Errorf("%v", err)
		}
	}
	if tb.Failed() || *showLogs {
		for _, p := range c.procs {
			tb.Logf("output of %s, without its successful requests:\n%s", p, quiet(p.log.tail(logTail)))
		}
	}
}

// quiet drops the access-log lines of successful requests from a process's
// output: the tests poll, and those lines would bury the rest.
func quiet(log string) string {
	var b strings.Builder
	dropped := 0
	for line := range strings.Lines(log) {
		if strings.Contains(line, `"msg":"http request"`) && strings.Contains(line, `"status":2`) {
			dropped++
			continue
		}
		b.WriteString(line)
	}
	if dropped > 0 {
		fmt.Fprintf(&b, "[%d lines of successful requests left out]\n", dropped)
	}
	return b.String()
}
