package mongo

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
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

// SetAlias implements model.VersionStore.
//
// Checking the version and writing the alias are two operations, and a
// concurrent DeleteVersion could remove the version between them. So the
// version is checked again after the write, and the alias taken back when
// it is gone; DeleteVersion does the mirror image (deletes, then checks for
// aliases). Each writes before it reads what the other writes, so at least
// one of the two sees the other and backs off: an alias never stays on a
// deleted version.
func (s *Store) SetAlias(ctx context.Context, name, aliasName string, version int) error {
	if !model.ValidName(aliasName) {
		return model.Invalid(map[string]string{"alias": "must match [a-z0-9][a-z0-9_.-]{0,62}"})
	}
	if _, err := s.version(ctx, name, version); err != nil {
		return err
	}
	filter := bson.D{{Key: "model", Value: name}, {Key: "alias", Value: aliasName}}
	prior, err := s.upsertAlias(ctx, filter, version, utcMillis(s.now()))
	if err != nil {
		return err
	}
	_, err = s.version(ctx, name, version)
	switch model.ErrorCode(err) {
	case "":
	case model.CodeNotFound:
		// Deleted meanwhile: put the alias back as it was, unless it has
		// moved on since.
		if rerr := s.restoreAlias(ctx, filter, version, prior); rerr != nil {
			return rerr
		}
		return err
	default:
		return err
	}
	return s.syncModel(ctx, name)
}

// upsertAlias points the alias filter names at version and returns what it
// was before, nil when it did not exist.
func (s *Store) upsertAlias(ctx context.Context, filter bson.D, version int, at time.Time) (*alias, error) {
	update := bson.D{{Key: "$set", Value: bson.D{{Key: "version", Value: version}, {Key: "updated_at", Value: at}}}}
	opts := options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.Before)
	// Two first upserts of one alias can race; the unique (model, alias)
	// index lets one insert, and the loser's retry then updates.
	var err error
	for range 2 {
		var prior alias
		opCtx, cancel := s.op(ctx)
		err = s.db.Collection(collAliases).FindOneAndUpdate(opCtx, filter, update, opts).Decode(&prior)
		cancel()
		switch {
		case err == nil:
			return &prior, nil
		case errors.Is(err, mongo.ErrNoDocuments):
			return nil, nil // inserted
		case !mongo.IsDuplicateKeyError(err):
			return nil, storeErr("set alias", err)
		}
	}
	return nil, storeErr("set alias", err)
}

// restoreAlias undoes upsertAlias: the alias goes back to prior, or away
// when there was none, provided it still points at version. It runs to
// completion even when ctx is canceled.
func (s *Store) restoreAlias(ctx context.Context, filter bson.D, version int, prior *alias) error {
	ctx, cancel := s.op(context.WithoutCancel(ctx))
	defer cancel()
	ours := append(slices.Clone(filter), bson.E{Key: "version", Value: version})
	var err error
	if prior == nil {
		_, err = s.db.Collection(collAliases).DeleteOne(ctx, ours)
	} else {
		_, err = s.db.Collection(collAliases).UpdateOne(ctx, ours, bson.D{{Key: "$set", Value: bson.D{
			{Key: "version", Value: prior.Version}, {Key: "updated_at", Value: prior.UpdatedAt},
		}}})
	}
	return storeErr("restore alias", err)
}

// DeleteAlias implements model.VersionStore.
func (s *Store) DeleteAlias(ctx context.Context, name, aliasName string) error {
	opCtx, cancel := s.op(ctx)
	res, err := s.db.Collection(collAliases).DeleteOne(opCtx, bson.D{{Key: "model", Value: name}, {Key: "alias", Value: aliasName}})
	cancel()
	if err != nil {
		return storeErr("delete alias", err)
	}
	if res.DeletedCount == 0 {
		return model.Errorf(model.CodeNotFound, "model %q has no alias %q", name, aliasName)
	}
	return s.syncModel(ctx, name)
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

// aliases returns the aliases matching filter.
func (s *Store) aliases(ctx context.Context, filter bson.D) ([]alias, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	cur, err := s.db.Collection(collAliases).Find(ctx, filter, options.Find().SetSort(bson.D{{Key: "alias", Value: 1}}))
	if err != nil {
		return nil, storeErr("find aliases", err)
	}
	var as []alias
	if err := cur.All(ctx, &as); err != nil {
		return nil, storeErr("find aliases", err)
	}
	return as, nil
}

// aliasesOf returns the aliases of the named models, by model name.
func (s *Store) aliasesOf(ctx context.Context, names ...string) (map[string]map[string]int, error) {
	as, err := s.aliases(ctx, bson.D{{Key: "model", Value: bson.D{{Key: "$in", Value: names}}}})
	if err != nil {
		return nil, err
	}
	byModel := make(map[string]map[string]int, len(names))
	for _, name := range names {
		byModel[name] = map[string]int{}
	}
	for _, a := range as {
		if m := byModel[a.Model]; m != nil {
			m[a.Alias] = a.Version
		}
	}
	return byModel, nil
}

// requireUnaliased returns CodeConflict, naming the aliases, while any
// alias of the named model points at version.
func (s *Store) requireUnaliased(ctx context.Context, name string, version int) error {
	as, err := s.aliases(ctx, bson.D{{Key: "model", Value: name}, {Key: "version", Value: version}})
	if err != nil {
		return err
	}
	if len(as) == 0 {
		return nil
	}
	names := make([]string, len(as))
	for i, a := range as {
		names[i] = a.Alias
	}
	return model.Errorf(model.CodeConflict, "version %d of model %q is aliased as %s; move or delete the alias first",
		version, name, quoteList(names))
}

// quoteList renders names as `"a", "b"`.
func quoteList(names []string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = strconv.Quote(n)
	}
	return strings.Join(quoted, ", ")
}
