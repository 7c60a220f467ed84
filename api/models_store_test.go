package api

import (
	"context"
	"net/http"
	"reflect"
	"testing"

	"gitlab.com/mlserve/mlserve/internal/mongo"
	"gitlab.com/mlserve/mlserve/model"
)

// storeVersion stores an artifact and a version of name for job, as the
// train worker does.
func storeVersion(tb testing.TB, store *mongo.Store, name, job string) *model.ModelVersion {
	tb.Helper()
	ctx := context.Background()
	ref, err := store.PutArtifact(ctx, job, []byte("artifact of "+job))
	if err != nil {
		tb.Fatal(err)
	}
	v, err := store.CreateVersion(ctx, &model.ModelVersion{Name: name, Algorithm: "knn", Task: model.TaskClassification,
		Target: "species", Features: irisColumns()[:4], Classes: []string{"setosa"}, Artifact: ref, JobID: job})
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

func TestModelsOnRealStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e, store := newStoreEnv(t)
	v1, v2 := storeVersion(t, store, "iris", "job1"), storeVersion(t, store, "iris", "job2")

	resolves := func(t *testing.T, want int) {
		t.Helper()
		v, err := store.ResolveVersion(ctx, "iris", 0, "")
		if err != nil || v.Version != want {
			t.Fatalf("iris resolves to %+v, %v; want version %d", v, err, want)
		}
	}
	setProduction := func(t *testing.T, version string, want map[string]int) {
		t.Helper()
		w := e.do(t, "PUT", "/v1/models/iris/aliases/production", `{"version":`+version+`}`)
		if m := mustJSON[model.ModelSummary](t, w, http.StatusOK); !reflect.DeepEqual(m.Aliases, want) || m.LatestVersion != 2 {
			t.Fatalf("summary %+v, want latest 2 and aliases %v", m, want)
		}
	}

	t.Run("a model without production resolves to its latest version", func(t *testing.T) {
		m := mustJSON[model.ModelSummary](t, e.do(t, "GET", "/v1/models/iris", ""), http.StatusOK)
		if m.LatestVersion != 2 || len(m.Aliases) != 0 {
			t.Fatalf("summary %+v", m)
		}
		resolves(t, 2)
	})
	t.Run("the version reads back as stored", func(t *testing.T) {
		got := mustJSON[model.ModelVersion](t, e.do(t, "GET", "/v1/models/iris/versions/1", ""), http.StatusOK)
		if !reflect.DeepEqual(&got, v1) {
			t.Fatalf("version\n%+v\nwant\n%+v", got, v1)
		}
	})
	t.Run("promoting version 2 makes it resolve", func(t *testing.T) {
		setProduction(t, "2", map[string]int{"production": 2})
		resolves(t, 2)
	})
	t.Run("rolling back to version 1 makes it resolve", func(t *testing.T) {
		setProduction(t, "1", map[string]int{"production": 1})
		resolves(t, 1)
		page := mustJSON[model.ModelPage](t, e.do(t, "GET", "/v1/models", ""), http.StatusOK)
		if len(page.Models) != 1 || page.Models[0].Aliases["production"] != 1 {
			t.Fatalf("listing %+v", page)
		}
	})
	t.Run("an alias to a version that does not exist is 404", func(t *testing.T) {
		mustProblem(t, e.do(t, "PUT", "/v1/models/iris/aliases/production", `{"version":7}`), http.StatusNotFound)
		resolves(t, 1)
	})
	t.Run("deleting the aliased version is 409", func(t *testing.T) {
		mustProblem(t, e.do(t, "DELETE", "/v1/models/iris/versions/1", ""), http.StatusConflict)
		resolves(t, 1)
	})
	t.Run("deleting the alias is 204 and the latest resolves again", func(t *testing.T) {
		if w := e.do(t, "DELETE", "/v1/models/iris/aliases/production", ""); w.Code != http.StatusNoContent {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
		resolves(t, 2)
	})
	t.Run("deleting the version is then 204; it and its artifact are gone", func(t *testing.T) {
		if w := e.do(t, "DELETE", "/v1/models/iris/versions/1", ""); w.Code != http.StatusNoContent {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
		mustProblem(t, e.do(t, "GET", "/v1/models/iris/versions/1", ""), http.StatusNotFound)
		page := mustJSON[model.VersionPage](t, e.do(t, "GET", "/v1/models/iris/versions", ""), http.StatusOK)
		if len(page.Versions) != 1 || page.Versions[0].Version != 2 {
			t.Fatalf("versions %+v", page.Versions)
		}
		_, err := store.LoadArtifact(ctx, v1)
		if model.ErrorCode(err) != model.CodeNotFound {
			t.Fatalf("artifact of v1: %v", err)
		}
		if _, err := store.LoadArtifact(ctx, v2); err != nil {
			t.Fatalf("artifact of v2: %v", err)
		}
	})
	t.Run("the latest version's number is not given again after its delete", func(t *testing.T) {
		if w := e.do(t, "DELETE", "/v1/models/iris/versions/2", ""); w.Code != http.StatusNoContent {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
		mustProblem(t, e.do(t, "GET", "/v1/models/iris", ""), http.StatusNotFound)
		if v := storeVersion(t, store, "iris", "job3"); v.Version != 3 {
			t.Fatalf("new version %d, want 3", v.Version)
		}
	})
}
