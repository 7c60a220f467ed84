package mongo

import (
	"context"
	"reflect"
	"testing"
	"time"

	"gitlab.com/mlserve/mlserve/model"
)

func version(name string, v int) *model.ModelVersion {
	return &model.ModelVersion{
		Name: name, Version: v, Algorithm: "random_forest", Task: model.TaskClassification,
		Target: "species", Features: []model.Column{{Name: "petal_length", Type: model.ColumnNumber}},
		Classes: []string{"setosa", "virginica"}, Dataset: model.DatasetRef{ID: "ds1", SHA256: "ab", Rows: 150},
		Artifact: model.ArtifactRef{SHA256: "cd", SizeBytes: 1024}, JobID: "job1",
		CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 678_901_234, time.UTC), TrainSeconds: 0.5,
	}
}

func TestVersions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	for _, v := range []*model.ModelVersion{
		version("iris", 1), version("iris", 2), version("iris", 3),
		version("wine", 1), version("wine", 2),
	} {
		if err := s.InsertVersion(ctx, v); err != nil {
			t.Fatalf("insert %s v%d: %v", v.Name, v.Version, err)
		}
	}
	for _, a := range []struct {
		name, alias string
		version     int
	}{
		{"iris", "production", 3}, {"iris", "production", 2}, // moved back
		{"iris", "staging", 3}, {"wine", "staging", 1},
	} {
		if err := s.SetAlias(ctx, a.name, a.alias, a.version); err != nil {
			t.Fatalf("set alias %s/%s: %v", a.name, a.alias, err)
		}
	}

	t.Run("a version reads back equal", func(t *testing.T) {
		got, err := s.ResolveVersion(ctx, "iris", 1, "")
		if err != nil {
			t.Fatal(err)
		}
		want := version("iris", 1)
		want.CreatedAt = utcMillis(want.CreatedAt)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("read back\n%+v\nwant\n%+v", got, want)
		}
	})
	t.Run("a taken version number is a conflict", func(t *testing.T) {
		wantCode(t, s.InsertVersion(ctx, version("iris", 2)), model.CodeConflict)
	})
	t.Run("an alias to a missing version is not found", func(t *testing.T) {
		wantCode(t, s.SetAlias(ctx, "iris", "production", 9), model.CodeNotFound)
	})
	for _, tc := range []struct {
		name    string
		model   string
		version int
		alias   string
		want    int // 0: not found
	}{
		{"an explicit version wins over an alias", "iris", 1, "staging", 1},
		{"an alias resolves to its version", "iris", 0, "staging", 3},
		{"a bare name resolves to production", "iris", 0, "", 2},
		{"a bare name without production resolves to the latest", "wine", 0, "", 2},
		{"a missing version is not found", "iris", 7, "", 0},
		{"a missing alias is not found", "wine", 0, "production", 0},
		{"an unknown model is not found", "nope", 0, "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.ResolveVersion(ctx, tc.model, tc.version, tc.alias)
			if tc.want == 0 {
				wantCode(t, err, model.CodeNotFound)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Name != tc.model || got.Version != tc.want {
				t.Errorf("resolved %s v%d, want %s v%d", got.Name, got.Version, tc.model, tc.want)
			}
		})
	}
}

func TestDatasets(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)

	d := &model.Dataset{Name: "iris", Rows: 150, Columns: []model.Column{{Name: "species", Type: model.ColumnString}}, SizeBytes: 4551, SHA256: "ab"}
	if err := s.InsertDataset(ctx, d); err != nil {
		t.Fatal(err)
	}
	got, err := s.Dataset(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, d) {
		t.Errorf("read back\n%+v\nwant\n%+v", got, d)
	}
	wantCode(t, s.InsertDataset(ctx, d), model.CodeConflict)
	_, err = s.Dataset(ctx, "0123456789abcdef01234567")
	wantCode(t, err, model.CodeNotFound)
}
