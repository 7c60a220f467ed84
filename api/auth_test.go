package api

import (
	"net/http"
	"strings"
	"testing"

	"gitlab.com/mlserve/mlserve/internal/apikey"
	"gitlab.com/mlserve/mlserve/internal/config"
	"gitlab.com/mlserve/mlserve/model"
)

// Test keys, one per scope.
const (
	adminKey   = "mls_admin-secret"
	readKey    = "mls_read-secret"
	predictKey = "mls_predict-secret"
)

func withKeys(d *Deps) {
	d.Auth = config.Auth{Enabled: true, Keys: []config.APIKey{
		{Name: "ops", Hash: apikey.Sum(adminKey), Scopes: []string{config.ScopeAdmin}},
		{Name: "dashboard", Hash: apikey.Sum(readKey), Scopes: []string{config.ScopeRead}},
		{Name: "app", Hash: apikey.Sum(predictKey), Scopes: []string{config.ScopePredict}},
	}}
}

func TestAuth(t *testing.T) {
	tests := []struct {
		name          string
		method, path  string
		body          string
		authorization string
		status        int
	}{
		{"a request without a key is 401", "GET", "/v1/jobs", "", "", http.StatusUnauthorized},
		{"an unknown key is 401", "GET", "/v1/jobs", "", "Bearer mls_nope", http.StatusUnauthorized},
		{"a basic credential is 401", "GET", "/v1/jobs", "", "Basic " + adminKey, http.StatusUnauthorized},
		{"an empty bearer token is 401", "GET", "/v1/jobs", "", "Bearer ", http.StatusUnauthorized},
		{"a read key may list jobs", "GET", "/v1/jobs", "", "Bearer " + readKey, http.StatusOK},
		{"the bearer scheme is case-insensitive", "GET", "/v1/jobs", "", "bearer " + readKey, http.StatusOK},
		{"an admin key may list jobs", "GET", "/v1/jobs", "", "Bearer " + adminKey, http.StatusOK},
		{"a predict key may not list jobs", "GET", "/v1/jobs", "", "Bearer " + predictKey, http.StatusForbidden},
		{"a read key may not submit a job", "POST", "/v1/jobs", trainBody, "Bearer " + readKey, http.StatusForbidden},
		{"a predict key may not submit a job", "POST", "/v1/jobs", trainBody, "Bearer " + predictKey, http.StatusForbidden},
		{"an admin key may submit a job", "POST", "/v1/jobs", trainBody, "Bearer " + adminKey, http.StatusAccepted},
		{"a read key may not cancel a job", "POST", "/v1/jobs/" + strings.Repeat("0", 24) + "/cancel", "", "Bearer " + readKey, http.StatusForbidden},
		{"a read key may fetch a job's output", "GET", "/v1/jobs/" + strings.Repeat("0", 24) + "/output", "", "Bearer " + readKey, http.StatusNotFound},
		{"a predict key may not fetch a job's output", "GET", "/v1/jobs/" + strings.Repeat("0", 24) + "/output", "", "Bearer " + predictKey, http.StatusForbidden},
		{"an admin key may delete a job", "DELETE", "/v1/jobs/" + strings.Repeat("0", 24), "", "Bearer " + adminKey, http.StatusNotFound},
		{"a read key may not delete a job", "DELETE", "/v1/jobs/" + strings.Repeat("0", 24), "", "Bearer " + readKey, http.StatusForbidden},
		{"a predict key may not delete a job", "DELETE", "/v1/jobs/" + strings.Repeat("0", 24), "", "Bearer " + predictKey, http.StatusForbidden},
		{"an unknown /v1 path still needs a key", "GET", "/v1/secret-stuff", "", "", http.StatusUnauthorized},
		{"healthz is open", "GET", "/healthz", "", "", http.StatusOK},
		{"readyz is open", "GET", "/readyz", "", "", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t, withKeys)
			w := e.do(t, tt.method, tt.path, tt.body, "Authorization", tt.authorization)
			if w.Code != tt.status {
				t.Fatalf("status = %d, want %d; body: %s", w.Code, tt.status, w.Body)
			}
			switch tt.status {
			case http.StatusUnauthorized:
				mustProblem(t, w, tt.status)
				if !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Bearer") {
					t.Fatalf("WWW-Authenticate = %q, want a Bearer challenge", w.Header().Get("WWW-Authenticate"))
				}
			case http.StatusForbidden:
				mustProblem(t, w, tt.status)
			}
		})
	}
}

func TestAuthDisabledAllowsEverything(t *testing.T) {
	e := newTestEnv(t) // auth.enabled defaults to false
	job := mustJSON[model.Job](t, e.do(t, "POST", "/v1/jobs", trainBody), http.StatusAccepted)
	mustJSON[model.Job](t, e.do(t, "GET", "/v1/jobs/"+job.ID, ""), http.StatusOK)
	mustJSON[model.Job](t, e.do(t, "POST", "/v1/jobs/"+job.ID+"/cancel", "", "Authorization", "Bearer whatever"), http.StatusAccepted)
}

func TestAuthLogsTheKeyNameNeverTheKey(t *testing.T) {
	e := newTestEnv(t, withKeys)
	e.do(t, "GET", "/v1/jobs", "", "Authorization", "Bearer "+readKey)
	e.do(t, "GET", "/v1/jobs", "", "Authorization", "Bearer mls_wrong-secret")
	lines := e.accessLines(t)
	if len(lines) != 2 || lines[0]["key"] != "dashboard" {
		t.Fatalf("access lines = %v, want two, the first with key=dashboard", lines)
	}
	if _, ok := lines[1]["key"]; ok {
		t.Fatalf("a rejected key has a name in the log: %v", lines[1])
	}
	logs := e.logs.String()
	for _, secret := range []string{readKey, "mls_wrong-secret", "Bearer"} {
		if strings.Contains(logs, secret) {
			t.Fatalf("the log contains %q:\n%s", secret, logs)
		}
	}
}

func TestMatchKeyFindsAnyConfiguredKey(t *testing.T) {
	keys := []config.APIKey{
		{Name: "a", Hash: apikey.Sum("ka")}, {Name: "b", Hash: apikey.Sum("kb")}, {Name: "c", Hash: apikey.Sum("kc")},
	}
	for _, tt := range []struct{ key, want string }{{"ka", "a"}, {"kb", "b"}, {"kc", "c"}, {"kd", ""}} {
		got := matchKey(keys, apikey.Sum(tt.key))
		if (got == nil && tt.want != "") || (got != nil && got.Name != tt.want) {
			t.Errorf("matchKey(%q) = %v, want %q", tt.key, got, tt.want)
		}
	}
	if matchKey(nil, apikey.Sum("x")) != nil {
		t.Error("matchKey with no keys matched")
	}
}
