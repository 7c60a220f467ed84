package mongo

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"gitlab.com/mlserve/mlserve/model"
)

// alias is an aliases document: model's alias points at version.
type alias struct {
	Model     string    `bson:"model"`
	Alias     string    `bson:"alias"`
	Version   int       `bson:"version"`
	UpdatedAt time.Time `bson:"updated_at"`
}

// InsertVersion stores a new model version, filling a zero CreatedAt with
// the current time. Its artifact must be stored first: the document is what
// makes a version loadable. CodeConflict when the version number is taken.
func (s *Store) InsertVersion(ctx context.Context, v *model.ModelVersion) error {
	if v.CreatedAt.IsZero() {
		v.CreatedAt = s.now()
	}
	v.CreatedAt = utcMillis(v.CreatedAt)
	err := s.insert(ctx, collVersions, v)
	if mongo.IsDuplicateKeyError(err) {
		return model.Errorf(model.CodeConflict, "model %q already has version %d", v.Name, v.Version)
	}
	return storeErr("insert version", err)
}

// SetAlias points alias of the named model at version, creating the alias
// or moving it. CodeNotFound when the version does not exist.
func (s *Store) SetAlias(ctx context.Context, name, aliasName string, version int) error {
	if _, err := s.version(ctx, name, version); err != nil {
		return err
	}
	filter := bson.D{{Key: "model", Value: name}, {Key: "alias", Value: aliasName}}
	update := bson.D{{Key: "$set", Value: bson.D{
		{Key: "version", Value: version},
		{Key: "updated_at", Value: utcMillis(s.now())},
	}}}
	// Two first upserts of one alias can race; the unique (model, alias)
	// index lets one insert, and the loser's retry then updates.
	var err error
	for range 2 {
		opCtx, cancel := s.op(ctx)
		_, err = s.db.Collection(collAliases).UpdateOne(opCtx, filter, update, options.UpdateOne().SetUpsert(true))
		cancel()
		if !mongo.IsDuplicateKeyError(err) {
			break
		}
	}
	return storeErr("set alias", err)
}

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
		return nil, model.Errorf(model.CodeNotFound, "unknown model %q", name)
	}
	return mv, storeErr("get latest version", err)
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

// alias returns the named model's alias document; the error is the
// driver's, unmapped.
func (s *Store) alias(ctx context.Context, name, aliasName string) (*alias, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	var a alias
	err := s.db.Collection(collAliases).FindOne(ctx, bson.D{{Key: "model", Value: name}, {Key: "alias", Value: aliasName}}).Decode(&a)
	if err != nil {
		return nil, err
	}
	return &a, nil
}
