package api

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"gitlab.com/mlserve/mlserve/model"
)

// checkTimeout bounds each readiness ping, so a hung dependency makes
// /readyz answer 503 well within a probe's timeout instead of hanging it.
const checkTimeout = 2 * time.Second

// handleHealthz answers 200 while the process can serve HTTP at all. It
// checks no dependency: a liveness probe that fails because MongoDB is down
// would restart healthy replicas for nothing.
func handleHealthz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
	})
}

// readiness is /readyz's success body.
type readiness struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

// handleReadyz pings every check in parallel, each within checkTimeout, and
// answers 200 with "ok" per check, or 503 problem+json whose detail names
// each failing check and its error.
func handleReadyz(logger *slog.Logger, checks []Check) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		results := runChecks(r.Context(), checks)
		var failed []string
		for name, res := range results {
			if res != "ok" {
				failed = append(failed, name+": "+res)
			}
		}
		w.Header().Set("Cache-Control", "no-store")
		if len(failed) == 0 {
			writeJSON(w, r, logger, http.StatusOK, readiness{Status: "ready", Checks: results})
			return
		}
		sort.Strings(failed)
		p := problemFor(r, logger, model.Errorf(model.CodeUnavailable, "not ready: %s", strings.Join(failed, "; ")))
		p.Checks = results
		writeProblem(w, r, p)
	})
}

// runChecks returns each check's result by name: "ok" or its error.
func runChecks(ctx context.Context, checks []Check) map[string]string {
	results := make(map[string]string, len(checks))
	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	for _, c := range checks {
		wg.Go(func() {
			res := "ok"
			if err := ping(ctx, c); err != nil {
				res = err.Error()
			}
			mu.Lock()
			results[c.Name] = res
			mu.Unlock()
		})
	}
	wg.Wait()
	return results
}

// ping runs one check within checkTimeout. It does not rely on Ping
// honouring its context: a Ping that hangs is abandoned at the deadline (its
// goroutine ends whenever Ping returns), and one that panics reads as a
// failed check rather than a crashed probe.
func ping(ctx context.Context, c Check) error {
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		defer func() {
			if v := recover(); v != nil {
				done <- fmt.Errorf("check panicked: %v", v)
			}
		}()
		done <- c.Ping(ctx)
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("no answer within %s: %w", checkTimeout, ctx.Err())
	}
}
