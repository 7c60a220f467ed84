package api

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
)

func TestHealthz(t *testing.T) {
	e := newTestEnv(t, func(d *Deps) {
		d.Checks = []Check{{Name: "mongo", Ping: func(context.Context) error { return errors.New("down") }}}
	})
	got := mustJSON[map[string]string](t, e.do(t, "GET", "/healthz", ""), http.StatusOK)
	if got["status"] != "ok" {
		t.Fatalf("healthz = %v, want status ok even with a dependency down", got)
	}
}

func TestReadyz(t *testing.T) {
	ok := func(context.Context) error { return nil }
	refused := func(context.Context) error { return errors.New("dial tcp 127.0.0.1:6379: connection refused") }
	hangs := func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }

	t.Run("every check answering is 200 ready with each check ok", func(t *testing.T) {
		e := newTestEnv(t, func(d *Deps) { d.Checks = []Check{{"mongo", ok}, {"redis", ok}} })
		got := mustJSON[readiness](t, e.do(t, "GET", "/readyz", ""), http.StatusOK)
		if got.Status != "ready" || got.Checks["mongo"] != "ok" || got.Checks["redis"] != "ok" {
			t.Fatalf("readyz = %+v", got)
		}
	})
	t.Run("a failing check is 503 naming it and its error", func(t *testing.T) {
		e := newTestEnv(t, func(d *Deps) { d.Checks = []Check{{"mongo", ok}, {"redis", refused}} })
		p := mustProblem(t, e.do(t, "GET", "/readyz", ""), http.StatusServiceUnavailable)
		if !strings.Contains(p.Detail, "redis: dial tcp 127.0.0.1:6379: connection refused") || strings.Contains(p.Detail, "mongo") {
			t.Fatalf("detail = %q, want it to name redis and its error only", p.Detail)
		}
		if p.Checks["mongo"] != "ok" || !strings.Contains(p.Checks["redis"], "refused") {
			t.Fatalf("checks = %v", p.Checks)
		}
	})
	t.Run("two failing checks are both named", func(t *testing.T) {
		e := newTestEnv(t, func(d *Deps) { d.Checks = []Check{{"redis", refused}, {"mongo", refused}} })
		p := mustProblem(t, e.do(t, "GET", "/readyz", ""), http.StatusServiceUnavailable)
		if !strings.Contains(p.Detail, "mongo: ") || !strings.Contains(p.Detail, "redis: ") {
			t.Fatalf("detail = %q, want both checks named", p.Detail)
		}
	})
	t.Run("a check that hangs past its timeout is 503", func(t *testing.T) {
		e := newTestEnv(t, func(d *Deps) { d.Checks = []Check{{"mongo", hangs}, {"redis", ok}} })
		p := mustProblem(t, e.do(t, "GET", "/readyz", ""), http.StatusServiceUnavailable)
		if !strings.Contains(p.Detail, "mongo: no answer within") {
			t.Fatalf("detail = %q", p.Detail)
		}
	})
	t.Run("a check that panics is 503, not a crash", func(t *testing.T) {
		e := newTestEnv(t, func(d *Deps) { d.Checks = []Check{{"mongo", func(context.Context) error { panic("nil client") }}} })
		p := mustProblem(t, e.do(t, "GET", "/readyz", ""), http.StatusServiceUnavailable)
		if !strings.Contains(p.Detail, "mongo: check panicked") {
			t.Fatalf("detail = %q", p.Detail)
		}
	})
}
