package mongo

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"gitlab.com/mlserve/mlserve/model"
)

// newVersion is a version of name as the job jobID would create it.
func newVersion(name, jobID string) *model.ModelVersion {
	return &model.ModelVersion{
		Name: name, Algorithm: "random_forest", Params: map[string]any{"trees": int32(10)}, Task: model.TaskClassification,
		Target: "species", Features: []model.Column{{Name: "petal_length", Type: model.ColumnNumber}},
		Classes: []string{"setosa", "virginica"},
		Metrics: model.Metrics{Method: model.MethodHoldout, Holdout: 0.2, Seed: 1, TrainRows: 120, TestRows: 30,
			Classification: &model.ClassificationMetrics{Accuracy: 0.9, PerClass: []model.ClassMetrics{{Class: "setosa", Support: 10}},
				Confusion: model.ConfusionMatrix{Labels: []string{"setosa", "virginica"}, Counts: [][]int{{9, 1}, {0, 10}}}}},
		Dataset:  model.DatasetRef{ID: "ds1", SHA256: "ab", Rows: 150},
		Artifact: model.ArtifactRef{SHA256: "cd", SizeBytes: 1024}, JobID: jobID,
		CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 678_901_234, time.UTC), TrainSeconds: 0.5,
	}
}

// mustCreate creates versions of name, one per job, and fails tb unless
// they get the numbers want.
func mustCreate(tb testing.TB, s *Store, name string, jobs []string, want ...int) {
	tb.Helper()
	for i, job := range jobs {
		v, err := s.CreateVersion(context.Background(), newVersion(name, job))
		if err != nil {
			tb.Fatalf("create %s for job %s: %v", name, job, err)
		}
		if v.Version != want[i] {
			tb.Fatalf("job %s created %s v%d, want v%d", job, name, v.Version, want[i])
		}
	}
}

// countVersions counts the version documents of name.
func countVersions(tb testing.TB, s *Store, name string) int64 {
	tb.Helper()
	n, err := s.db.Collection(collVersions).CountDocuments(context.Background(), bson.D{{Key: "name", Value: name}})
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

func TestCreateVersion(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	mustCreate(t, s, "iris", []string{"j1", "j2", "j3"}, 1, 2, 3)
	mustCreate(t, s, "wine", []string{"j4", "j5"}, 1, 2)

	t.Run("a version reads back as created", func(t *testing.T) {
		got, err := s.ResolveVersion(ctx, "iris", 2, "")
		if err != nil {
			t.Fatal(err)
		}
		want := newVersion("iris", "j2")
		want.Version, want.CreatedAt = 2, utcMillis(want.CreatedAt)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("read back\n%+v\nwant\n%+v", got, want)
		}
		byJob, err := s.VersionByJob(ctx, "j2")
		if err != nil || !reflect.DeepEqual(byJob, want) {
			t.Errorf("by job: %+v, %v", byJob, err)
		}
	})
	t.Run("the same job again returns its version and writes nothing", func(t *testing.T) {
		again := newVersion("iris", "j2")
		again.TrainSeconds = 99
		v, err := s.CreateVersion(ctx, again)
		if err != nil {
			t.Fatal(err)
		}
		if v.Version != 2 || v.TrainSeconds != 0.5 {
			t.Errorf("got v%d with train_seconds %v, want the stored v2", v.Version, v.TrainSeconds)
		}
		if n := countVersions(t, s, "iris"); n != 3 {
			t.Errorf("%d iris versions, want 3", n)
		}
	})
	t.Run("a version without a job id is invalid", func(t *testing.T) {
		_, err := s.CreateVersion(ctx, newVersion("iris", ""))
		wantCode(t, err, model.CodeInvalid)
	})
	t.Run("an unknown job has no version", func(t *testing.T) {
		_, err := s.VersionByJob(ctx, "nope")
		wantCode(t, err, model.CodeNotFound)
	})
	t.Run("the number of a deleted version is never given again", func(t *testing.T) {
		wantCode(t, s.DeleteVersion(ctx, "wine", 2), "")
		mustCreate(t, s, "wine", []string{"j6"}, 3)
		for _, v := range []int{1, 3} {
			wantCode(t, s.DeleteVersion(ctx, "wine", v), "")
		}
		mustCreate(t, s, "wine", []string{"j7"}, 4)
	})
}

func TestCreateVersionConcurrently(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	const n = 16

	create := func(job func(i int) string) []int {
		var (
			wg       sync.WaitGroup
			mu       sync.Mutex
			versions []int
		)
		for i := range n {
			wg.Go(func() {
				v, err := s.CreateVersion(ctx, newVersion("iris", job(i)))
				if err != nil {
					t.Errorf("create %d: %v", i, err)
					return
				}
				mu.Lock()
				versions = append(versions, v.Version)
				mu.Unlock()
			})
		}
		wg.Wait()
		slices.Sort(versions)
		return versions
	}

	t.Run("16 jobs get versions 1 to 16, no gaps, no duplicates", func(t *testing.T) {
		got := create(func(i int) string { return fmt.Sprintf("job%02d", i) })
		want := make([]int, n)
		for i := range want {
			want[i] = i + 1
		}
		if !slices.Equal(got, want) {
			t.Fatalf("versions %v, want %v", got, want)
		}
		m, err := s.Model(ctx, "iris")
		if err != nil || m.LatestVersion != n {
			t.Fatalf("summary %+v, %v; want latest version %d", m, err, n)
		}
	})
	t.Run("16 attempts of one job get one version", func(t *testing.T) {
		got := create(func(int) string { return "retried" })
		if got[0] != n+1 || got[n-1] != n+1 {
			t.Fatalf("versions %v, want all %d", got, n+1)
		}
		if c := countVersions(t, s, "iris"); c != n+1 {
			t.Fatalf("%d versions stored, want %d", c, n+1)
		}
	})
}

func TestResolveVersion(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	mustCreate(t, s, "iris", []string{"j1", "j2", "j3"}, 1, 2, 3)
	mustCreate(t, s, "wine", []string{"j4", "j5"}, 1, 2)
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
