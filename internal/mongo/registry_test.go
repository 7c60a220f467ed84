package mongo

import (
	"context"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"gitlab.com/mlserve/mlserve/internal/config"
	"gitlab.com/mlserve/mlserve/internal/embedded"
	"gitlab.com/mlserve/mlserve/internal/testenv"
	"gitlab.com/mlserve/mlserve/model"
)

// A database made by the release before the registry has a non-unique
// job_id index; Open replaces it with the unique one.
func TestOpenReplacesTheOldJobIndex(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg := testenv.Mongo(t)
	old := openStore(t, cfg)
	indexes := old.db.Collection(collVersions).Indexes()
	if err := indexes.DropOne(ctx, "job_id_unique"); err != nil {
		t.Fatal(err)
	}
	if _, err := indexes.CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "job_id", Value: 1}}, Options: options.Index().SetName("job_id")}); err != nil {
		t.Fatal(err)
	}

	s := openStore(t, cfg)
	if err := s.insert(ctx, collVersions, bson.D{{Key: "name", Value: "a"}, {Key: "version", Value: 1}, {Key: "job_id", Value: "j"}}); err != nil {
		t.Fatal(err)
	}
	err := s.insert(ctx, collVersions, bson.D{{Key: "name", Value: "a"}, {Key: "version", Value: 2}, {Key: "job_id", Value: "j"}})
	if !mongo.IsDuplicateKeyError(err) {
		t.Fatalf("a second version of one job: %v, want a duplicate key", err)
	}
}

func TestRegistryStoreDown(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	uri, stop, err := embedded.StartMongo(ctx, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	s := withShortTimeout(openStore(t, config.Mongo{URI: uri, Database: "test", Timeout: 10 * time.Second}))
	v := putVersion(t, s, "iris", "j1", []byte("model"))
	stop()

	for name, call := range map[string]func() error{
		"create version": func() error { _, err := s.CreateVersion(ctx, newVersion("iris", "j2")); return err },
		"resolve":        func() error { _, err := s.ResolveVersion(ctx, "iris", 0, ""); return err },
		"version by job": func() error { _, err := s.VersionByJob(ctx, "j1"); return err },
		"list versions":  func() error { _, err := s.ListVersions(ctx, "iris", 0, ""); return err },
		"delete version": func() error { return s.DeleteVersion(ctx, "iris", 1) },
		"model":          func() error { _, err := s.Model(ctx, "iris"); return err },
		"list models":    func() error { _, err := s.ListModels(ctx, 0, ""); return err },
		"set alias":      func() error { return s.SetAlias(ctx, "iris", "production", 1) },
		"delete alias":   func() error { return s.DeleteAlias(ctx, "iris", "production") },
		"put artifact":   func() error { _, err := s.PutArtifact(ctx, "j2", []byte("x")); return err },
		"load artifact":  func() error { _, err := s.LoadArtifact(ctx, v); return err },
	} {
		t.Run(name+" is unavailable", func(t *testing.T) {
			wantCode(t, call(), model.CodeUnavailable)
		})
	}
}
