package api

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"gitlab.com/mlserve/mlserve/model"
)

// recordedLines is a LineWriter that keeps every line and its keep flag.
type recordedLines struct {
	mu    sync.Mutex
	lines []string
	keep  []bool
}

func (r *recordedLines) WriteLine(line []byte, keep bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, string(line))
	r.keep = append(r.keep, keep)
}

func TestAccessLogLinesReadAsSlogs(t *testing.T) {
	at := time.Date(2026, 12, 3, 17, 30, 55, 585425224, time.UTC)
	e := &accessEntry{
		requestID: "req 1", method: "POST", route: "/v1/models/{name}/predict", path: `/v1/models/a "b"=c/predict`,
		remote: "192.0.2.1:1234", key: "ci", status: 422, bytes: 120, duration: 12345 * time.Microsecond,
	}
	for _, format := range []string{"json", "text"} {
		t.Run(format, func(t *testing.T) {
			var want bytes.Buffer
			var h slog.Handler = slog.NewTextHandler(&want, nil)
			if format == "json" {
				h = slog.NewJSONHandler(&want, nil)
			}
			rec := slog.NewRecord(at, slog.LevelInfo, accessMsg, 0)
			rec.AddAttrs(slog.String("request_id", e.requestID), slog.String("method", e.method), slog.String("route", e.route),
				slog.String("path", e.path), slog.Int("status", e.status), slog.Int("bytes", e.bytes),
				slog.Float64("duration_ms", 12.345), slog.String("remote", e.remote), slog.String("key", e.key))
			if err := h.WithAttrs([]slog.Attr{slog.String("role", "api")}).Handle(context.Background(), rec); err != nil {
				t.Fatal(err)
			}
			l := NewAccessLog(nil, AccessLogOptions{Format: format, Attrs: []slog.Attr{slog.String("role", "api")}})
			if got := string(l.appendLine(nil, at, slog.LevelInfo, e)); got != want.String() {
				t.Fatalf("line\n%s\nwant slog's\n%s", got, want.String())
			}
		})
	}
}

func TestAccessLogLevels(t *testing.T) {
	var out recordedLines
	e := newTestEnv(t, func(d *Deps) {
		d.AccessLog = NewAccessLog(&out, AccessLogOptions{Format: "json", Level: slog.LevelInfo})
	})
	const path = "/v1/models/iris/predict"
	body := `{"instances":[[1,2,3,4]]}`
	e.do(t, "POST", path, body)
	e.models.setErr(model.Errorf(model.CodeInternal, "the cache broke"))
	e.do(t, "POST", path, body)
	if len(out.lines) != 2 {
		t.Fatalf("%d lines, want 2: %q", len(out.lines), out.lines)
	}
	if !strings.Contains(out.lines[0], `"level":"INFO"`) || !strings.Contains(out.lines[0], `"status":200`) || out.keep[0] {
		t.Errorf("a 200 is an INFO line that may be dropped: %s (keep %v)", out.lines[0], out.keep[0])
	}
	if !strings.Contains(out.lines[1], `"level":"ERROR"`) || !strings.Contains(out.lines[1], `"status":500`) || !out.keep[1] {
		t.Errorf("a 500 is an ERROR line always kept: %s (keep %v)", out.lines[1], out.keep[1])
	}

	t.Run("at level warn only error lines are written", func(t *testing.T) {
		var out recordedLines
		e := newTestEnv(t, func(d *Deps) {
			d.AccessLog = NewAccessLog(&out, AccessLogOptions{Format: "text", Level: slog.LevelWarn})
		})
		e.do(t, "POST", path, body)
		e.models.setErr(model.Errorf(model.CodeInternal, "the cache broke"))
		e.do(t, "POST", path, body)
		if len(out.lines) != 1 || !strings.Contains(out.lines[0], "level=ERROR") || !strings.Contains(out.lines[0], "status=500") {
			t.Fatalf("lines %q, want the 500 only", out.lines)
		}
	})
	t.Run("a response that could not be written is an error line kept", func(t *testing.T) {
		var out recordedLines
		e := newTestEnv(t, func(d *Deps) {
			d.AccessLog = NewAccessLog(&out, AccessLogOptions{Format: "json", Level: slog.LevelInfo})
		})
		r := httptest.NewRequest("POST", path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		e.handler.ServeHTTP(brokenWriter{httptest.NewRecorder()}, r)
		if len(out.lines) != 1 || !strings.Contains(out.lines[0], `"level":"ERROR"`) || !strings.Contains(out.lines[0], `"status":200`) ||
			!strings.Contains(out.lines[0], `"error":"write the response: connection reset by peer"`) || !out.keep[0] {
			t.Fatalf("lines %q (keep %v)", out.lines, out.keep)
		}
	})
}

// brokenWriter fails every Write, as a connection the client reset does.
type brokenWriter struct{ *httptest.ResponseRecorder }

func (brokenWriter) Write([]byte) (int, error) { return 0, errors.New("connection reset by peer") }
