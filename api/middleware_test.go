package api

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"gitlab.com/mlserve/mlserve/model"
)

func TestRequestID(t *testing.T) {
	tests := []struct {
		name     string
		incoming string
		echoed   bool
	}{
		{"a sane incoming id is echoed", "req-42_abc.DEF", true},
		{"an id of 128 characters is echoed", strings.Repeat("a", 128), true},
		{"a missing id is generated", "", false},
		{"an id over 128 characters is replaced", strings.Repeat("a", 129), false},
		{"an id with a control character is replaced", "abc\x01def", false},
		{"an id with non-ASCII bytes is replaced", "idé", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			w := e.do(t, "GET", "/healthz", "", headerRequestID, tt.incoming)
			got := w.Header().Get(headerRequestID)
			if tt.echoed && got != tt.incoming {
				t.Fatalf("X-Request-ID = %q, want the incoming %q", got, tt.incoming)
			}
			if !tt.echoed && (got == tt.incoming || len(got) != 32) {
				t.Fatalf("X-Request-ID = %q, want a fresh 32-digit id", got)
			}
		})
	}
	t.Run("two requests without an id get different ids", func(t *testing.T) {
		e := newTestEnv(t)
		a := e.do(t, "GET", "/healthz", "").Header().Get(headerRequestID)
		b := e.do(t, "GET", "/healthz", "").Header().Get(headerRequestID)
		if a == b {
			t.Fatalf("both requests got id %q", a)
		}
	})
}

func TestAccessLog(t *testing.T) {
	t.Run("one line carries the request id, route pattern, status and duration", func(t *testing.T) {
		e := newTestEnv(t)
		job := mustJSON[model.Job](t, e.do(t, "POST", "/v1/jobs", trainBody), http.StatusAccepted)
		e.logs.Reset()

		w := e.do(t, "GET", "/v1/jobs/"+job.ID, "", headerRequestID, "trace-1")
		lines := e.accessLines(t)
		if len(lines) != 1 {
			t.Fatalf("got %d access lines, want 1: %v", len(lines), lines)
		}
		l := lines[0]
		want := map[string]any{
			"request_id": "trace-1", "method": "GET", "route": "/v1/jobs/{id}",
			"path": "/v1/jobs/" + job.ID, "status": float64(200), "bytes": float64(w.Body.Len()),
			"remote": "192.0.2.1:1234", "level": "INFO",
		}
		for k, v := range want {
			if l[k] != v {
				t.Errorf("%s = %v, want %v", k, l[k], v)
			}
		}
		if d, ok := l["duration_ms"].(float64); !ok || d < 0 {
			t.Errorf("duration_ms = %v, want a non-negative number", l["duration_ms"])
		}
	})
	t.Run("an unknown route is logged with status 404", func(t *testing.T) {
		e := newTestEnv(t)
		e.do(t, "GET", "/nope", "")
		lines := e.accessLines(t)
		if len(lines) != 1 || lines[0]["status"] != float64(404) {
			t.Fatalf("access lines = %v, want one with status 404", lines)
		}
	})
	t.Run("healthz is not logged", func(t *testing.T) {
		e := newTestEnv(t)
		e.do(t, "GET", "/healthz", "")
		if lines := e.accessLines(t); len(lines) != 0 {
			t.Fatalf("healthz logged: %v", lines)
		}
	})
	t.Run("readyz is logged", func(t *testing.T) {
		e := newTestEnv(t)
		e.do(t, "GET", "/readyz", "")
		if lines := e.accessLines(t); len(lines) != 1 || lines[0]["route"] != "/readyz" {
			t.Fatalf("access lines = %v, want one for /readyz", lines)
		}
	})
}

func TestPanicRecovery(t *testing.T) {
	e := newTestEnv(t, func(d *Deps) { d.Jobs = panicOnGet{d.Jobs} })
	srv := httptest.NewServer(e.handler)
	t.Cleanup(srv.Close)
	id := strings.Repeat("a", 24)

	t.Run("a panic answers 500 problem+json with the request id", func(t *testing.T) {
		req, _ := http.NewRequest("GET", srv.URL+"/v1/jobs/"+id, nil)
		req.Header.Set(headerRequestID, "panic-1")
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != 500 || resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("status %d, Content-Type %q; want 500 problem+json", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		var p problem
		if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
			t.Fatal(err)
		}
		if p.RequestID != "panic-1" || p.Detail != "internal error" {
			t.Fatalf("problem = %+v, want request_id panic-1 and detail \"internal error\"", p)
		}
	})
	t.Run("the panic is logged with its stack and request id", func(t *testing.T) {
		var found bool
		for _, l := range e.logLines(t) {
			if l["msg"] == "handler panic" {
				found = true
				stack, _ := l["stack"].(string)
				if l["request_id"] != "panic-1" || !strings.Contains(stack, "goroutine") || l["level"] != "ERROR" {
					t.Fatalf("panic log line = %v", l)
				}
			}
		}
		if !found {
			t.Fatal("no panic log line")
		}
	})
	t.Run("the server keeps serving afterwards", func(t *testing.T) {
		resp, err := srv.Client().Get(srv.URL + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("healthz after a panic: %d", resp.StatusCode)
		}
	})
	t.Run("http.ErrAbortHandler is re-panicked for net/http to handle", func(t *testing.T) {
		h := recoverPanic(e.deps.Logger)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) }))
		defer func() {
			if v := recover(); v != http.ErrAbortHandler {
				t.Fatalf("recovered %v, want http.ErrAbortHandler", v)
			}
		}()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	})
}

// panicOnGet wraps a JobStore so that reading a job panics, as a bug in a
// handler or an adapter would.
type panicOnGet struct{ model.JobStore }

func (panicOnGet) Job(_ context.Context, id string) (*model.Job, error) {
	panic("boom: " + id)
}

func TestFallbackRoutes(t *testing.T) {
	e := newTestEnv(t)
	t.Run("an unknown path is a 404 problem", func(t *testing.T) {
		p := mustProblem(t, e.do(t, "GET", "/v1/nothing-here", ""), http.StatusNotFound)
		if p.Instance != "/v1/nothing-here" {
			t.Fatalf("instance = %q", p.Instance)
		}
	})
	t.Run("a wrong method is a 405 problem with Allow", func(t *testing.T) {
		w := e.do(t, "DELETE", "/v1/jobs", "")
		mustProblem(t, w, http.StatusMethodNotAllowed)
		if got := w.Header().Get("Allow"); got != "GET, HEAD, POST" {
			t.Fatalf("Allow = %q, want \"GET, HEAD, POST\"", got)
		}
	})
	t.Run("a wrong method on a job is a 405 problem allowing GET, HEAD and DELETE", func(t *testing.T) {
		w := e.do(t, "PUT", "/v1/jobs/"+strings.Repeat("a", 24), "")
		mustProblem(t, w, http.StatusMethodNotAllowed)
		if got := w.Header().Get("Allow"); got != "GET, HEAD, DELETE" {
			t.Fatalf("Allow = %q, want \"GET, HEAD, DELETE\"", got)
		}
	})
	t.Run("a method chi does not know is a 405 problem", func(t *testing.T) {
		mustProblem(t, e.do(t, "BREW", "/v1/jobs", ""), http.StatusMethodNotAllowed)
	})
	t.Run("a wrong method on a top-level route is a 405 problem", func(t *testing.T) {
		w := e.do(t, "POST", "/healthz", "")
		mustProblem(t, w, http.StatusMethodNotAllowed)
		if got := w.Header().Get("Allow"); got != "GET, HEAD" {
			t.Fatalf("Allow = %q, want GET, HEAD", got)
		}
	})
}

func TestBodyLimit(t *testing.T) {
	big := `{"type":"train","model":"iris","dataset":"` + strings.Repeat("x", testBodyLimit) + `"}`
	t.Run("a declared body over the limit is a 413 problem", func(t *testing.T) {
		e := newTestEnv(t)
		mustProblem(t, e.do(t, "POST", "/v1/jobs", big), http.StatusRequestEntityTooLarge)
	})
	t.Run("a streamed body over the limit is a 413 problem", func(t *testing.T) {
		e := newTestEnv(t)
		r := httptest.NewRequest("POST", "/v1/jobs", io.MultiReader(strings.NewReader(big)))
		r.ContentLength = -1 // chunked: the size shows only while reading
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		e.handler.ServeHTTP(w, r)
		mustProblem(t, w, http.StatusRequestEntityTooLarge)
	})
	t.Run("a body just under the limit is read", func(t *testing.T) {
		e := newTestEnv(t)
		body := trainBody + strings.Repeat(" ", testBodyLimit-len(trainBody))
		mustJSON[model.Job](t, e.do(t, "POST", "/v1/jobs", body), http.StatusAccepted)
	})
}
