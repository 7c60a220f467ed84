package api

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// errorRecorder is a testing.TB that keeps what Errorf reports instead of
// failing the test.
type errorRecorder struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *errorRecorder) Helper() {}

func (r *errorRecorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func TestTheDocumentCheckerCatchesWhatTheDocumentDoesNotSay(t *testing.T) {
	const summary = `{"name":"iris","latest_version":2,"aliases":{"production":1},"updated_at":"2025-06-01T12:00:00Z"}`
	answer := func(status int, contentType, body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", contentType)
			w.WriteHeader(status)
			_, _ = w.Write([]byte(body))
		}
	}
	tests := []struct {
		name, method, path, body string
		handler                  http.HandlerFunc
		want                     string // in the report; "" for none
	}{
		{"a documented answer passes", "GET", "/v1/models/iris", "", answer(200, "application/json", summary), ""},
		{"a missing required field fails", "GET", "/v1/models/iris", "", answer(200, "application/json", `{"name":"iris"}`), "does not say"},
		{"an undocumented field fails", "GET", "/v1/models/iris", "", answer(200, "application/json", strings.Replace(summary, "{", `{"extra":1,`, 1)), "extra"},
		{"an undocumented status fails", "GET", "/v1/models/iris", "", answer(http.StatusTeapot, "application/json", summary), "status is not supported"},
		{"an undocumented content type fails", "GET", "/v1/models/iris", "", answer(200, "text/plain", summary), "text/plain"},
		{"a problem with a wrong member fails", "GET", "/v1/models/nope", "", answer(404, "application/problem+json", `{"type":"x","title":"Not Found","status":"404","detail":"d","instance":"/v1/models/nope"}`), "does not say"},
		{"a request the document refuses must be refused", "POST", "/v1/models/iris/predict", `{"rows":[]}`,
			answer(200, "application/json", `{"model":"iris","version":1,"predictions":[]}`), "the document rejects"},
		{"a request the document refuses may be refused", "POST", "/v1/models/iris/predict", `{"rows":[]}`,
			answer(400, "application/problem+json", `{"type":"x","title":"Bad Request","status":400,"detail":"d","instance":"/v1/models/iris/predict"}`), ""},
		{"a path that is no operation must be a 404", "GET", "/v1/nothing", "", answer(200, "application/json", `{}`), "is no operation"},
		{"a method that is no operation must be a 405 problem", "PATCH", "/v1/models/iris", "",
			answer(405, "application/problem+json", `{"type":"x","title":"Method Not Allowed","status":405,"detail":"d","instance":"/v1/models/iris"}`), ""},
		{"a 405 must be a problem", "PATCH", "/v1/models/iris", "", answer(405, "text/plain", "no"), "want application/problem+json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &errorRecorder{TB: t}
			r := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
			if tt.body != "" {
				r.Header.Set("Content-Type", "application/json")
			}
			checkedByOpenAPI(rec, tt.handler).ServeHTTP(httptest.NewRecorder(), r)
			report := strings.Join(rec.errs, "\n")
			switch {
			case tt.want == "" && report != "":
				t.Fatalf("reported a documented exchange:\n%s", report)
			case tt.want != "" && !strings.Contains(report, tt.want):
				t.Fatalf("report %q does not contain %q", report, tt.want)
			}
		})
	}
}
