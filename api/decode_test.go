package api

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"gitlab.com/mlserve/mlserve/model"
)

func TestDecodeContentType(t *testing.T) {
	tests := []struct {
		name        string
		contentType string
		status      int
	}{
		{"application/json is accepted", "application/json", http.StatusAccepted},
		{"a utf-8 charset parameter is accepted", "application/json; charset=UTF-8", http.StatusAccepted},
		{"a missing content type is 415", "", http.StatusUnsupportedMediaType},
		{"text/plain is 415", "text/plain", http.StatusUnsupportedMediaType},
		{"form encoding is 415", "application/x-www-form-urlencoded", http.StatusUnsupportedMediaType},
		{"a latin-1 charset is 415", "application/json; charset=latin1", http.StatusUnsupportedMediaType},
		{"an unparsable content type is 415", "application/json; =", http.StatusUnsupportedMediaType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			r := httptest.NewRequest("POST", "/v1/jobs", strings.NewReader(trainBody))
			if tt.contentType != "" {
				r.Header.Set("Content-Type", tt.contentType)
			}
			w := httptest.NewRecorder()
			e.handler.ServeHTTP(w, r)
			if tt.status != http.StatusAccepted {
				mustProblem(t, w, tt.status)
				return
			}
			mustJSON[model.Job](t, w, tt.status)
		})
	}
}

func TestDecodeMalformed(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		detail string // a part of the problem's detail
		field  string // a field the errors map names, if any
	}{
		{"an empty body is 400", "", "empty", ""},
		{"malformed JSON is 400 with the offset", `{"type": "train",}`, "offset 18", ""},
		{"a truncated object is 400", `{"type": "train"`, "ends in the middle", ""},
		{"a second value after the first is 400", trainBody + ` {"type":"score"}`, "after the JSON value", ""},
		{"garbage after the value is 400", trainBody + `xyz`, "after the JSON value", ""},
		{"an unknown field is 400 naming it", `{"type":"train","colour":"red"}`, `unknown field "colour"`, "colour"},
		{"a string for a number is 400 naming the field", `{"type":"score","model":"iris","dataset":"d","version":"3"}`, `"version"`, "version"},
		{"a wrong type inside an object is 400 naming the path", `{"type":"train","validation":{"folds":"five"}}`, `validation.folds`, "validation.folds"},
		{"an array instead of an object is 400", `[1,2]`, "want an object", ""},
		{"a number too large for an integer is 400", `{"type":"score","version":1e99}`, `"version"`, "version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			r := httptest.NewRequest("POST", "/v1/jobs", strings.NewReader(tt.body))
			r.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			e.handler.ServeHTTP(w, r)
			p := mustProblem(t, w, http.StatusBadRequest)
			if !strings.Contains(p.Detail, tt.detail) {
				t.Errorf("detail = %q, want it to contain %q", p.Detail, tt.detail)
			}
			if tt.field != "" && p.Errors[tt.field] == "" {
				t.Errorf("errors = %v, want an entry for %q", p.Errors, tt.field)
			}
			if len(e.jobs.order) != 0 {
				t.Errorf("a malformed request created a job")
			}
		})
	}
}

// FuzzDecodeJobRequest sends arbitrary bytes to POST /v1/jobs: whatever
// they are, the API answers a client error or accepts a valid job, and
// never panics or answers 500.
func FuzzDecodeJobRequest(f *testing.F) {
	for _, seed := range []string{
		trainBody, scoreBody, "", "{}", "null", "[]", `{"type":"train"}`, trainBody + trainBody,
		`{"type":"train","model":"iris","dataset":"` + irisDataset + `","target":"species","algorithm":"knn","features":["species"],"validation":{"holdout":1e308,"folds":-1}}`,
		`{"type":"score","model":"iris","dataset":"` + irisDataset + `","version":-1,"alias":"../x"}`,
		`{"params":{"a":[{"b":null}]},"type":"\ud800"}`, "\xff\xfe", `{"version":1e999}`,
	} {
		f.Add([]byte(seed))
	}
	// Logs would grow for every execution; the status tells what matters.
	e := newTestEnv(f, func(d *Deps) { d.Logger = slog.New(slog.DiscardHandler) })
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest("POST", "/v1/jobs", strings.NewReader(string(body)))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		e.handler.ServeHTTP(w, r)
		switch w.Code {
		case http.StatusAccepted:
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity:
			mustProblem(t, w, w.Code)
		default:
			t.Fatalf("status %d for body %q: %s", w.Code, body, w.Body)
		}
	})
}
