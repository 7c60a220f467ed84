package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"gitlab.com/mlserve/mlserve/model"
)

// The fake env holds model iris: versions 1 and 2, production → 1.

func TestModelGet(t *testing.T) {
	t.Run("the list shows each model's latest version, aliases and update time", func(t *testing.T) {
		e := newTestEnv(t)
		w := e.do(t, "GET", "/v1/models", "")
		raw := mustJSON[map[string]json.RawMessage](t, w, http.StatusOK)
		if _, ok := raw["next_cursor"]; ok || len(raw) != 1 {
			t.Fatalf("body %s: want only models", w.Body)
		}
		var models []map[string]any
		if err := json.Unmarshal(raw["models"], &models); err != nil {
			t.Fatal(err)
		}
		want := []map[string]any{{"name": "iris", "latest_version": 2.0,
			"aliases": map[string]any{"production": 1.0}, "updated_at": testNow.Format("2006-01-02T15:04:05Z07:00")}}
		if !reflect.DeepEqual(models, want) {
			t.Fatalf("models %v, want %v", models, want)
		}
	})
	t.Run("the list pages by name with limit and cursor", func(t *testing.T) {
		e := newTestEnv(t)
		for _, name := range []string{"wine", "adult", "cars"} {
			if _, err := e.versions.CreateVersion(context.Background(), &model.ModelVersion{Name: name, JobID: name}); err != nil {
				t.Fatal(err)
			}
		}
		var got []string
		path := "/v1/models?limit=3"
		for path != "" {
			page := mustJSON[model.ModelPage](t, e.do(t, "GET", path, ""), http.StatusOK)
			for _, m := range page.Models {
				got = append(got, m.Name)
				if m.Aliases == nil {
					t.Fatalf("%s has aliases null, want {}", m.Name)
				}
			}
			path = ""
			if page.NextCursor != "" {
				path = "/v1/models?limit=3&cursor=" + page.NextCursor
			}
		}
		if want := []string{"adult", "cars", "iris", "wine"}; !slices.Equal(got, want) {
			t.Fatalf("listed %v, want %v", got, want)
		}
	})
	t.Run("an empty registry lists [] and no cursor", func(t *testing.T) {
		e := newTestEnv(t, func(d *Deps) { d.Versions = &fakeVersions{} })
		w := e.do(t, "GET", "/v1/models", "")
		if mustJSON[model.ModelPage](t, w, http.StatusOK); w.Body.String() != `{"models":[]}`+"\n" {
			t.Fatalf("body %s", w.Body)
		}
	})
	t.Run("one model is its summary", func(t *testing.T) {
		e := newTestEnv(t)
		m := mustJSON[model.ModelSummary](t, e.do(t, "GET", "/v1/models/iris", ""), http.StatusOK)
		want := model.ModelSummary{Name: "iris", LatestVersion: 2, Aliases: map[string]int{"production": 1}, UpdatedAt: testNow}
		if !reflect.DeepEqual(m, want) {
			t.Fatalf("summary %+v, want %+v", m, want)
		}
	})
	t.Run("versions come newest first, paged", func(t *testing.T) {
		e := newTestEnv(t)
		page := mustJSON[model.VersionPage](t, e.do(t, "GET", "/v1/models/iris/versions?limit=1", ""), http.StatusOK)
		if len(page.Versions) != 1 || page.Versions[0].Version != 2 || page.NextCursor == "" {
			t.Fatalf("first page %+v", page)
		}
		page = mustJSON[model.VersionPage](t, e.do(t, "GET", "/v1/models/iris/versions?limit=1&cursor="+page.NextCursor, ""), http.StatusOK)
		if len(page.Versions) != 1 || page.Versions[0].Version != 1 || page.NextCursor != "" {
			t.Fatalf("second page %+v", page)
		}
	})
	t.Run("one version is the version", func(t *testing.T) {
		e := newTestEnv(t)
		v := mustJSON[model.ModelVersion](t, e.do(t, "GET", "/v1/models/iris/versions/2", ""), http.StatusOK)
		if v.Name != "iris" || v.Version != 2 || v.Algorithm != "knn" {
			t.Fatalf("version %+v", v)
		}
	})
	for _, tc := range []struct{ name, path string }{
		{"an unknown model", "/v1/models/wine"},
		{"the versions of an unknown model", "/v1/models/wine/versions"},
		{"a name no model can have", "/v1/models/Iris%20Data"},
		{"the versions of a name no model can have", "/v1/models/IRIS/versions"},
		{"an unknown version", "/v1/models/iris/versions/3"},
		{"version 0", "/v1/models/iris/versions/0"},
		{"a negative version", "/v1/models/iris/versions/-1"},
		{"a version with a leading zero", "/v1/models/iris/versions/01"},
		{"a version that is not a number", "/v1/models/iris/versions/latest"},
		{"a version past any integer", "/v1/models/iris/versions/99999999999999999999999"},
	} {
		t.Run(tc.name+" is 404", func(t *testing.T) {
			mustProblem(t, newTestEnv(t).do(t, "GET", tc.path, ""), http.StatusNotFound)
		})
	}
	for _, tc := range []struct{ name, query, field string }{
		{"a limit of 0", "limit=0", "limit"},
		{"a limit over the maximum", fmt.Sprintf("limit=%d", maxModelPageSize+1), "limit"},
		{"an unknown parameter", "sort=name", "sort"},
	} {
		for _, path := range []string{"/v1/models", "/v1/models/iris/versions"} {
			t.Run(tc.name+" on "+path+" is 422 naming "+tc.field, func(t *testing.T) {
				p := mustProblem(t, newTestEnv(t).do(t, "GET", path+"?"+tc.query, ""), http.StatusUnprocessableEntity)
				if p.Errors[tc.field] == "" {
					t.Fatalf("errors %v do not name %s", p.Errors, tc.field)
				}
			})
		}
	}
	t.Run("a store that is down is 503", func(t *testing.T) {
		e := newTestEnv(t)
		e.versions.setErr(model.Errorf(model.CodeUnavailable, "the database is unavailable"))
		for _, path := range []string{"/v1/models", "/v1/models/iris", "/v1/models/iris/versions", "/v1/models/iris/versions/1"} {
			mustProblem(t, e.do(t, "GET", path, ""), http.StatusServiceUnavailable)
		}
	})
}

func TestAliasSet(t *testing.T) {
	t.Run("promoting a version is 200 with the model's aliases", func(t *testing.T) {
		e := newTestEnv(t)
		m := mustJSON[model.ModelSummary](t, e.do(t, "PUT", "/v1/models/iris/aliases/production", `{"version":2}`), http.StatusOK)
		if want := map[string]int{"production": 2}; !reflect.DeepEqual(m.Aliases, want) || m.Name != "iris" {
			t.Fatalf("summary %+v, want aliases %v", m, want)
		}
		m = mustJSON[model.ModelSummary](t, e.do(t, "PUT", "/v1/models/iris/aliases/staging", `{"version":1}`), http.StatusOK)
		if want := map[string]int{"production": 2, "staging": 1}; !reflect.DeepEqual(m.Aliases, want) {
			t.Fatalf("aliases %v, want %v", m.Aliases, want)
		}
	})
	for _, tc := range []struct {
		name, path, body string
		status           int
		field            string
	}{
		{"an unknown version is 404", "/v1/models/iris/aliases/production", `{"version":9}`, http.StatusNotFound, ""},
		{"an unknown model is 404", "/v1/models/wine/aliases/production", `{"version":1}`, http.StatusNotFound, ""},
		{"a name no model can have is 404", "/v1/models/Iris!/aliases/production", `{"version":1}`, http.StatusNotFound, ""},
		{"an alias name that cannot be is 422 naming alias", "/v1/models/iris/aliases/Prod!", `{"version":1}`, http.StatusUnprocessableEntity, "alias"},
		{"version 0 is 422 naming version", "/v1/models/iris/aliases/production", `{"version":0}`, http.StatusUnprocessableEntity, "version"},
		{"a missing version is 422 naming version", "/v1/models/iris/aliases/production", `{}`, http.StatusUnprocessableEntity, "version"},
		{"a version as a string is 400 naming version", "/v1/models/iris/aliases/production", `{"version":"2"}`, http.StatusBadRequest, "version"},
		{"a fractional version is 400 naming version", "/v1/models/iris/aliases/production", `{"version":1.5}`, http.StatusBadRequest, "version"},
		{"an unknown field is 400 naming it", "/v1/models/iris/aliases/production", `{"version":1,"model":"iris"}`, http.StatusBadRequest, "model"},
		{"an empty body is 400", "/v1/models/iris/aliases/production", ``, http.StatusBadRequest, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEnv(t)
			headers := []string{"Content-Type", "application/json"}
			p := mustProblem(t, e.do(t, "PUT", tc.path, tc.body, headers...), tc.status)
			if tc.field != "" && p.Errors[tc.field] == "" {
				t.Fatalf("errors %v do not name %s", p.Errors, tc.field)
			}
			if got := e.versions.aliases["iris"]; !reflect.DeepEqual(got, map[string]int{"production": 1}) {
				t.Fatalf("aliases changed to %v", got)
			}
		})
	}
	t.Run("a body that is not JSON is 415", func(t *testing.T) {
		e := newTestEnv(t)
		w := e.do(t, "PUT", "/v1/models/iris/aliases/production", "version=2", "Content-Type", "application/x-www-form-urlencoded")
		mustProblem(t, w, http.StatusUnsupportedMediaType)
	})
}

func TestAliasAndVersionDelete(t *testing.T) {
	t.Run("deleting an alias is 204, and again 404", func(t *testing.T) {
		e := newTestEnv(t)
		if w := e.do(t, "DELETE", "/v1/models/iris/aliases/production", ""); w.Code != http.StatusNoContent || w.Body.Len() != 0 {
			t.Fatalf("status %d, body %q", w.Code, w.Body)
		}
		mustProblem(t, e.do(t, "DELETE", "/v1/models/iris/aliases/production", ""), http.StatusNotFound)
	})
	t.Run("deleting an alias name that cannot be is 404", func(t *testing.T) {
		mustProblem(t, newTestEnv(t).do(t, "DELETE", "/v1/models/iris/aliases/Prod!", ""), http.StatusNotFound)
	})
	t.Run("deleting an aliased version is 409 naming the alias", func(t *testing.T) {
		e := newTestEnv(t)
		p := mustProblem(t, e.do(t, "DELETE", "/v1/models/iris/versions/1", ""), http.StatusConflict)
		if !strings.Contains(p.Detail, `"production"`) {
			t.Fatalf("detail %q does not name the alias", p.Detail)
		}
	})
	t.Run("deleting a version is 204; it is gone after", func(t *testing.T) {
		e := newTestEnv(t)
		if w := e.do(t, "DELETE", "/v1/models/iris/versions/2", ""); w.Code != http.StatusNoContent {
			t.Fatalf("status %d, body %s", w.Code, w.Body)
		}
		mustProblem(t, e.do(t, "GET", "/v1/models/iris/versions/2", ""), http.StatusNotFound)
		mustProblem(t, e.do(t, "DELETE", "/v1/models/iris/versions/2", ""), http.StatusNotFound)
	})
	t.Run("deleting a version that cannot be is 404", func(t *testing.T) {
		mustProblem(t, newTestEnv(t).do(t, "DELETE", "/v1/models/iris/versions/x", ""), http.StatusNotFound)
	})
}

func TestModelScopes(t *testing.T) {
	for _, tc := range []struct {
		name, method, path, body, key string
		status                        int
	}{
		{"a predict key may list models", "GET", "/v1/models", "", predictKey, http.StatusOK},
		{"a predict key may get a model", "GET", "/v1/models/iris", "", predictKey, http.StatusOK},
		{"a predict key may list versions", "GET", "/v1/models/iris/versions", "", predictKey, http.StatusOK},
		{"a predict key may get a version", "GET", "/v1/models/iris/versions/1", "", predictKey, http.StatusOK},
		{"a read key may get a version", "GET", "/v1/models/iris/versions/1", "", readKey, http.StatusOK},
		{"a predict key may not set an alias", "PUT", "/v1/models/iris/aliases/production", `{"version":2}`, predictKey, http.StatusForbidden},
		{"a read key may not set an alias", "PUT", "/v1/models/iris/aliases/production", `{"version":2}`, readKey, http.StatusForbidden},
		{"a read key may not delete an alias", "DELETE", "/v1/models/iris/aliases/production", "", readKey, http.StatusForbidden},
		{"a predict key may not delete a version", "DELETE", "/v1/models/iris/versions/2", "", predictKey, http.StatusForbidden},
		{"an admin key may set an alias", "PUT", "/v1/models/iris/aliases/production", `{"version":2}`, adminKey, http.StatusOK},
		{"an admin key may delete a version", "DELETE", "/v1/models/iris/versions/2", "", adminKey, http.StatusNoContent},
		{"no key is 401", "GET", "/v1/models", "", "", http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEnv(t, withKeys)
			auth := ""
			if tc.key != "" {
				auth = "Bearer " + tc.key
			}
			if w := e.do(t, tc.method, tc.path, tc.body, "Authorization", auth); w.Code != tc.status {
				t.Fatalf("status %d, want %d; body %s", w.Code, tc.status, w.Body)
			}
		})
	}
}

func TestModelRoutesMethodNotAllowed(t *testing.T) {
	e := newTestEnv(t)
	w := e.do(t, "POST", "/v1/models/iris/versions/1", "")
	mustProblem(t, w, http.StatusMethodNotAllowed)
	if got := w.Header().Get("Allow"); got != "GET, HEAD, DELETE" {
		t.Fatalf("Allow = %q", got)
	}
}
