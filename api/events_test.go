package api

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"gitlab.com/mlserve/mlserve/model"
)

// fakeEvents records the models announced as changed; with err set,
// announcing fails.
type fakeEvents struct {
	mu      sync.Mutex
	changed []string
	err     error
}

func (f *fakeEvents) ModelChanged(_ context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.changed = append(f.changed, name)
	return f.err
}

func (f *fakeEvents) names() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.changed)
}

// The fake env holds model iris: versions 1 and 2, production → 1.

func TestModelChangesAreAnnounced(t *testing.T) {
	for _, tc := range []struct {
		name   string
		method string
		path   string
		body   string
		status int
		want   []string
	}{
		{"setting an alias announces the model", "PUT", "/v1/models/iris/aliases/staging", `{"version":2}`, http.StatusOK, []string{"iris"}},
		{"moving an alias announces the model", "PUT", "/v1/models/iris/aliases/production", `{"version":2}`, http.StatusOK, []string{"iris"}},
		{"deleting an alias announces the model", "DELETE", "/v1/models/iris/aliases/production", "", http.StatusNoContent, []string{"iris"}},
		{"deleting a version announces the model", "DELETE", "/v1/models/iris/versions/2", "", http.StatusNoContent, []string{"iris"}},
		{"an alias set to an unknown version announces nothing", "PUT", "/v1/models/iris/aliases/staging", `{"version":9}`, http.StatusNotFound, nil},
		{"deleting an unknown alias announces nothing", "DELETE", "/v1/models/iris/aliases/staging", "", http.StatusNotFound, nil},
		{"deleting an aliased version announces nothing", "DELETE", "/v1/models/iris/versions/1", "", http.StatusConflict, nil},
		{"reading a model announces nothing", "GET", "/v1/models/iris", "", http.StatusOK, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			events := &fakeEvents{}
			e := newTestEnv(t, func(d *Deps) { d.Events = events })
			if w := e.do(t, tc.method, tc.path, tc.body); w.Code != tc.status {
				t.Fatalf("status %d, want %d; body: %s", w.Code, tc.status, w.Body)
			}
			if got := events.names(); !slices.Equal(got, tc.want) {
				t.Fatalf("announced %v, want %v", got, tc.want)
			}
		})
	}

	t.Run("a failed announcement is logged and the change still succeeds", func(t *testing.T) {
		events := &fakeEvents{err: errors.New("redis: connection refused")}
		e := newTestEnv(t, func(d *Deps) { d.Events = events })
		mustJSON[model.ModelSummary](t, e.do(t, "PUT", "/v1/models/iris/aliases/production", `{"version":2}`), http.StatusOK)
		if v, err := e.versions.ResolveVersion(context.Background(), "iris", 0, ""); err != nil || v.Version != 2 {
			t.Fatalf("production resolves to %+v, %v; want version 2", v, err)
		}
		if !strings.Contains(e.logs.String(), "announce model change") || !strings.Contains(e.logs.String(), "connection refused") {
			t.Fatalf("the failure is not logged: %s", e.logs)
		}
	})

	t.Run("without events the API works as before", func(t *testing.T) {
		e := newTestEnv(t)
		mustJSON[model.ModelSummary](t, e.do(t, "PUT", "/v1/models/iris/aliases/production", `{"version":2}`), http.StatusOK)
	})
}
