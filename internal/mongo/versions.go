package mongo

import (
	"context"
	"errors"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"gitlab.com/mlserve/mlserve/model"
)

// The registry keeps three collections:
//
//   - model_versions: one immutable document per version, unique by
//     (name, version) and by job_id. It is the source of truth: a version
//     exists exactly when its document does.
//   - aliases: one document per (model, alias), pointing at a version.
//   - models: one summary document per model name (see modelDoc), derived
//     from model_versions and kept so that listing models is a plain indexed
//     query, and so that a deleted version's number is never given again.
//
// A version's artifact is the BucketArtifacts file whose id is its job id
// (artifacts.go).

// ResolveVersion implements model.VersionStore.
func (s *Store) ResolveVersion(ctx context.Context, name string, version int, aliasName string) (*model.ModelVersion, error) {
	switch {
	case version > 0:
		return s.version(ctx, name, version)
	case aliasName != "":
		a, err := s.alias(ctx, name, aliasName)
		if errors.Is(err, mongo.ErrNoDocuments) {
			return nil, model.Errorf(model.CodeNotFound, "model %q has no alias %q", name, aliasName)
		}
		if err != nil {
			return nil, storeErr("resolve alias", err)
		}
		return s.version(ctx, name, a.Version)
	}
	a, err := s.alias(ctx, name, model.AliasProduction)
	switch {
	case err == nil:
		return s.version(ctx, name, a.Version)
	case !errors.Is(err, mongo.ErrNoDocuments):
		return nil, storeErr("resolve alias", err)
	}
	return s.latest(ctx, name)
}

// VersionByJob implements model.VersionStore.
func (s *Store) VersionByJob(ctx context.Context, jobID string) (*model.ModelVersion, error) {
	mv, err := s.findVersion(ctx, bson.D{{Key: "job_id", Value: jobID}})
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, model.Errorf(model.CodeNotFound, "job %s created no model version", jobID)
	}
	return mv, storeErr("get version by job", err)
}

// version returns version v of the named model.
func (s *Store) version(ctx context.Context, name string, v int) (*model.ModelVersion, error) {
	mv, err := s.findVersion(ctx, bson.D{{Key: "name", Value: name}, {Key: "version", Value: v}})
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, model.Errorf(model.CodeNotFound, "model %q has no version %d", name, v)
	}
	return mv, storeErr("get version", err)
}

// latest returns the named model's highest version.
func (s *Store) latest(ctx context.Context, name string) (*model.ModelVersion, error) {
	mv, err := s.findVersion(ctx, bson.D{{Key: "name", Value: name}},
		options.FindOne().SetSort(bson.D{{Key: "version", Value: -1}}))
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, unknownModel(name)
	}
	return mv, storeErr("get latest version", err)
}

// latestNumber returns the named model's highest version number, 0 when it
// has none.
func (s *Store) latestNumber(ctx context.Context, name string) (int, error) {
	mv, err := s.findVersion(ctx, bson.D{{Key: "name", Value: name}}, options.FindOne().
		SetSort(bson.D{{Key: "version", Value: -1}}).
		SetProjection(bson.D{{Key: "version", Value: 1}}))
	switch {
	case errors.Is(err, mongo.ErrNoDocuments):
		return 0, nil
	case err != nil:
		return 0, storeErr("get latest version number", err)
	}
	return mv.Version, nil
}

// findVersion returns the first version document filter matches; the error
// is the driver's, unmapped.
func (s *Store) findVersion(ctx context.Context, filter bson.D, opts ...options.Lister[options.FindOneOptions]) (*model.ModelVersion, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	var mv model.ModelVersion
	if err := s.db.Collection(collVersions).FindOne(ctx, filter, opts...).Decode(&mv); err != nil {
		return nil, err
	}
	return &mv, nil
}

func unknownModel(name string) error {
	return model.Errorf(model.CodeNotFound, "unknown model %q", name)
}
