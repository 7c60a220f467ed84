package mongo

import (
	"context"
	"reflect"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"gitlab.com/mlserve/mlserve/model"
)

// setClock makes s's clock read t and returns a function that moves it.
func setClock(s *Store, t time.Time) func(time.Duration) time.Time {
	s.now = func() time.Time { return t }
	return func(d time.Duration) time.Time {
		t = t.Add(d)
		return t
	}
}

func TestModelSummary(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	advance := setClock(s, t0)
	mustCreate(t, s, "iris", []string{"j1", "j2", "j3"}, 1, 2, 3)

	summary := func(t *testing.T, name string) *model.ModelSummary {
		t.Helper()
		m, err := s.Model(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	t.Run("a new model has its latest version and no aliases", func(t *testing.T) {
		want := &model.ModelSummary{Name: "iris", LatestVersion: 3, Aliases: map[string]int{}, UpdatedAt: t0}
		if got := summary(t, "iris"); !reflect.DeepEqual(got, want) {
			t.Errorf("summary %+v, want %+v", got, want)
		}
	})
	t.Run("setting aliases shows them and moves updated_at", func(t *testing.T) {
		at := advance(time.Minute)
		wantCode(t, s.SetAlias(ctx, "iris", "production", 2), "")
		wantCode(t, s.SetAlias(ctx, "iris", "staging", 3), "")
		want := &model.ModelSummary{Name: "iris", LatestVersion: 3, Aliases: map[string]int{"production": 2, "staging": 3}, UpdatedAt: at}
		if got := summary(t, "iris"); !reflect.DeepEqual(got, want) {
			t.Errorf("summary %+v, want %+v", got, want)
		}
	})
	t.Run("an alias on a missing version is not found and changes nothing", func(t *testing.T) {
		wantCode(t, s.SetAlias(ctx, "iris", "production", 9), model.CodeNotFound)
		wantCode(t, s.SetAlias(ctx, "nope", "production", 1), model.CodeNotFound)
		if got := summary(t, "iris").Aliases["production"]; got != 2 {
			t.Errorf("production → %d, want 2", got)
		}
	})
	t.Run("an invalid alias name is invalid", func(t *testing.T) {
		wantCode(t, s.SetAlias(ctx, "iris", "Prod!", 2), model.CodeInvalid)
	})
	t.Run("an aliased version cannot be deleted", func(t *testing.T) {
		wantCode(t, s.DeleteVersion(ctx, "iris", 3), model.CodeConflict)
		if _, err := s.ResolveVersion(ctx, "iris", 3, ""); err != nil {
			t.Fatalf("version 3 after a refused delete: %v", err)
		}
	})
	t.Run("deleting an alias removes it; again is not found", func(t *testing.T) {
		wantCode(t, s.DeleteAlias(ctx, "iris", "staging"), "")
		wantCode(t, s.DeleteAlias(ctx, "iris", "staging"), model.CodeNotFound)
		if got := summary(t, "iris").Aliases; !reflect.DeepEqual(got, map[string]int{"production": 2}) {
			t.Errorf("aliases %v", got)
		}
	})
	t.Run("deleting the latest version makes the one before it latest", func(t *testing.T) {
		at := advance(time.Minute)
		wantCode(t, s.DeleteVersion(ctx, "iris", 3), "")
		wantCode(t, s.DeleteVersion(ctx, "iris", 3), model.CodeNotFound)
		if got := summary(t, "iris"); got.LatestVersion != 2 || !got.UpdatedAt.Equal(at) {
			t.Errorf("summary %+v, want latest 2 updated at %v", got, at)
		}
	})
	t.Run("a model whose versions are all deleted is gone", func(t *testing.T) {
		wantCode(t, s.DeleteAlias(ctx, "iris", "production"), "")
		for _, v := range []int{1, 2} {
			wantCode(t, s.DeleteVersion(ctx, "iris", v), "")
		}
		_, err := s.Model(ctx, "iris")
		wantCode(t, err, model.CodeNotFound)
		_, err = s.ListVersions(ctx, "iris", 0, "")
		wantCode(t, err, model.CodeNotFound)
		if page, err := s.ListModels(ctx, 0, ""); err != nil || len(page.Models) != 0 {
			t.Errorf("listing %+v, %v; want no models", page, err)
		}
	})
	t.Run("an unknown model is not found", func(t *testing.T) {
		_, err := s.Model(ctx, "nope")
		wantCode(t, err, model.CodeNotFound)
	})
}

// A process that dies between inserting a version and syncing the summary
// leaves the summary behind; the job's retry brings it up to date.
func TestModelSummaryHealsOnRetry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	mustCreate(t, s, "iris", []string{"j1"}, 1)
	orphan := newVersion("iris", "j2")
	orphan.Version = 2
	if err := s.insert(ctx, collVersions, orphan); err != nil { // the insert, without the sync
		t.Fatal(err)
	}
	if m, err := s.Model(ctx, "iris"); err != nil || m.LatestVersion != 1 {
		t.Fatalf("summary %+v, %v; the test expects it stale", m, err)
	}
	v, err := s.CreateVersion(ctx, newVersion("iris", "j2"))
	if err != nil || v.Version != 2 {
		t.Fatalf("retry gave %+v, %v; want version 2", v, err)
	}
	if m, err := s.Model(ctx, "iris"); err != nil || m.LatestVersion != 2 {
		t.Fatalf("summary %+v, %v; want latest 2", m, err)
	}
}

func TestListModels(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	names := []string{"a", "b", "c", "d", "e"}
	for i, name := range names {
		for v := range i + 1 {
			mustCreate(t, s, name, []string{name + string(rune('0'+v))}, v+1)
		}
	}
	wantCode(t, s.SetAlias(ctx, "c", "production", 2), "")

	t.Run("pages of two cover every model once, by name", func(t *testing.T) {
		var got []string
		cursor := ""
		for range len(names) {
			page, err := s.ListModels(ctx, 2, cursor)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range page.Models {
				got = append(got, m.Name)
				if want := int(m.Name[0]-'a') + 1; m.LatestVersion != want {
					t.Errorf("%s latest %d, want %d", m.Name, m.LatestVersion, want)
				}
				if want := map[string]int{}; m.Name == "c" {
					if m.Aliases["production"] != 2 {
						t.Errorf("c aliases %v", m.Aliases)
					}
				} else if !reflect.DeepEqual(m.Aliases, want) {
					t.Errorf("%s aliases %v, want none", m.Name, m.Aliases)
				}
			}
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
		if !reflect.DeepEqual(got, names) {
			t.Errorf("listed %v, want %v", got, names)
		}
	})
	t.Run("a cursor of another listing is invalid", func(t *testing.T) {
		_, err := s.ListModels(ctx, 2, encodeKeyCursor(cursorVersion, "3"))
		wantCode(t, err, model.CodeInvalid)
		_, err = s.ListModels(ctx, 2, "!!")
		wantCode(t, err, model.CodeInvalid)
	})
}

func TestListVersions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	mustCreate(t, s, "iris", []string{"j1", "j2", "j3", "j4", "j5"}, 1, 2, 3, 4, 5)
	mustCreate(t, s, "wine", []string{"w1"}, 1)
	wantCode(t, s.DeleteVersion(ctx, "iris", 4), "")

	t.Run("pages of two come newest first, skipping the deleted version", func(t *testing.T) {
		var got []int
		cursor := ""
		for range 5 {
			page, err := s.ListVersions(ctx, "iris", 2, cursor)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range page.Versions {
				if v.Name != "iris" {
					t.Fatalf("listed %s v%d", v.Name, v.Version)
				}
				got = append(got, v.Version)
			}
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
		if want := []int{5, 3, 2, 1}; !reflect.DeepEqual(got, want) {
			t.Errorf("listed %v, want %v", got, want)
		}
	})
	t.Run("an unknown model is not found", func(t *testing.T) {
		_, err := s.ListVersions(ctx, "nope", 0, "")
		wantCode(t, err, model.CodeNotFound)
	})
	t.Run("a cursor of another listing is invalid", func(t *testing.T) {
		_, err := s.ListVersions(ctx, "iris", 0, encodeKeyCursor(cursorModel, "iris"))
		wantCode(t, err, model.CodeInvalid)
	})
}

// SetAlias and DeleteVersion each check the other after writing, so racing
// them never leaves an alias on a deleted version.
func TestAliasDeleteRace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	const rounds = 24
	for i := range rounds {
		job := "race" + string(rune('a'+i))
		v, err := s.CreateVersion(ctx, newVersion("iris", job))
		if err != nil {
			t.Fatal(err)
		}
		aliasErr, deleteErr := make(chan error, 1), make(chan error, 1)
		// Staggered, so that the rounds see either order and overlaps.
		delay := time.Duration(i%8) * 1500 * time.Microsecond
		go func() {
			time.Sleep(delay)
			aliasErr <- s.SetAlias(ctx, "iris", "production", v.Version)
		}()
		go func() { deleteErr <- s.DeleteVersion(ctx, "iris", v.Version) }()
		aerr, derr := <-aliasErr, <-deleteErr
		// Both may fail, each backing off from the other; both never win.
		if aerr == nil && derr == nil {
			t.Fatalf("round %d: both the alias and the delete succeeded", i)
		}
		_, err = s.version(ctx, "iris", v.Version)
		if (derr == nil) != (model.ErrorCode(err) == model.CodeNotFound) {
			t.Fatalf("round %d: delete said %v, then the version reads %v", i, derr, err)
		}
		if a, err := s.alias(ctx, "iris", "production"); err == nil {
			if _, err := s.version(ctx, "iris", a.Version); err != nil {
				t.Fatalf("round %d: production → v%d: %v", i, a.Version, err)
			}
		}
		if aerr == nil {
			wantCode(t, s.DeleteAlias(ctx, "iris", "production"), "")
		}
	}
	n, err := s.db.Collection(collAliases).CountDocuments(ctx, bson.D{})
	if err != nil || n != 0 {
		t.Fatalf("%d aliases left, %v", n, err)
	}
}
