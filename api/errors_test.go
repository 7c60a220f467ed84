package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"gitlab.com/mlserve/mlserve/internal/testenv"
	"gitlab.com/mlserve/mlserve/model"
)

func TestWriteError(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		status int
		detail string
	}{
		{"an invalid error is 422 with its field problems in the detail", model.Invalid(map[string]string{"b": "bad", "a": "worse"}), 422, "the request is invalid: a: worse; b: bad"},
		{"a malformed error is 400", model.Errorf(model.CodeMalformed, "bad json"), 400, "bad json"},
		{"a wrapped not-found error is 404", fmt.Errorf("load: %w", model.Errorf(model.CodeNotFound, "no job x")), 404, "no job x"},
		{"a conflict is 409", model.Errorf(model.CodeConflict, "job already succeeded"), 409, "job already succeeded"},
		{"an unavailable dependency is 503", model.Errorf(model.CodeUnavailable, "redis is down"), 503, "redis is down"},
		{"a timeout is 504", model.Errorf(model.CodeTimeout, "too slow"), 504, "too slow"},
		{"a plain error is 500 internal error", errors.New("nil pointer in mongo adapter"), 500, "internal error"},
		{"an internal model error hides its message", model.Errorf(model.CodeInternal, "secret"), 500, "internal error"},
		{"a code the table does not know is 500 internal error", model.Errorf("weird", "secret"), 500, "internal error"},
		{"an unwrapped deadline is 503", fmt.Errorf("find: %w", context.DeadlineExceeded), 503, "a dependency did not answer in time"},
		{"a rate limit is 429", model.Errorf(codeRateLimited, "slow down"), 429, "slow down"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs testenv.SyncBuffer
			r := httptest.NewRequest("GET", "/v1/things", nil)
			w := httptest.NewRecorder()
			withRequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				writeError(w, r, slog.New(slog.NewJSONHandler(&logs, nil)), tt.err)
			})).ServeHTTP(w, r)
			p := mustProblem(t, w, tt.status)
			if p.Detail != tt.detail || p.Instance != "/v1/things" || !strings.HasPrefix(p.Type, problemTypeBase) {
				t.Fatalf("problem = %+v, want detail %q", p, tt.detail)
			}
			if tt.status == 500 && !strings.Contains(logs.String(), `"request_id":"`+p.RequestID+`"`) {
				t.Fatalf("internal error not logged with its request id: %s", logs.String())
			}
		})
	}
	t.Run("a client that left is logged as 499, not as an error", func(t *testing.T) {
		var logs testenv.SyncBuffer
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		r := httptest.NewRequestWithContext(ctx, "GET", "/v1/things", nil)
		w := httptest.NewRecorder()
		writeError(w, r, slog.New(slog.NewJSONHandler(&logs, nil)), fmt.Errorf("find: %w", context.Canceled))
		if w.Code != statusClientClosed || strings.Contains(logs.String(), "ERROR") {
			t.Fatalf("status %d, logs %s", w.Code, logs.String())
		}
	})
}
