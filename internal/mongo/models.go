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

// Page sizes of ListModels and ListVersions.
const (
	DefaultModelLimit = 50
	MaxModelLimit     = 200
)

// syncAttempts bounds syncModel's recompute-and-check rounds; each extra
// round needs another writer to change the model in between.
const syncAttempts = 5

// modelDoc is a models document: the summary of one model name. Every field
// but MaxVersion is derived from model_versions and aliases, and rewritten
// from them (never incremented) after each change, so it cannot drift from
// them for longer than a change is in progress.
//
// MaxVersion is the highest version number the name has ever had. It only
// grows, and it outlives the versions: CreateVersion numbers after it, so a
// deleted version's number is never given to another model (caches, job
// results and clients that remember "iris v3" stay right). The document of
// a model whose versions were all deleted therefore stays, with
// LatestVersion 0, which hides it from Model and ListModels.
type modelDoc struct {
	Name          string    `bson:"_id"`
	LatestVersion int       `bson:"latest_version"`
	MaxVersion    int       `bson:"max_version"`
	UpdatedAt     time.Time `bson:"updated_at"`
}

// Model implements model.VersionStore.
func (s *Store) Model(ctx context.Context, name string) (*model.ModelSummary, error) {
	opCtx, cancel := s.op(ctx)
	defer cancel()
	var m model.ModelSummary
	err := s.db.Collection(collModels).FindOne(opCtx, bson.D{
		{Key: "_id", Value: name},
		{Key: "latest_version", Value: bson.D{{Key: "$gt", Value: 0}}},
	}).Decode(&m)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, unknownModel(name)
	}
	if err != nil {
		return nil, storeErr("get model", err)
	}
	aliases, err := s.aliasesOf(ctx, name)
	if err != nil {
		return nil, err
	}
	m.Aliases = aliases[name]
	return &m, nil
}

// ListModels implements model.VersionStore. Models come by name. A limit
// of 0 or less means DefaultModelLimit; more than MaxModelLimit means
// MaxModelLimit.
func (s *Store) ListModels(ctx context.Context, limit int, cursor string) (*model.ModelPage, error) {
	filter := bson.D{{Key: "latest_version", Value: bson.D{{Key: "$gt", Value: 0}}}}
	if cursor != "" {
		after, ok := decodeKeyCursor(cursorModel, cursor)
		if !ok || !model.ValidName(after) {
			return nil, badCursor()
		}
		filter = append(filter, bson.E{Key: "_id", Value: bson.D{{Key: "$gt", Value: after}}})
	}
	if limit <= 0 {
		limit = DefaultModelLimit
	}
	limit = min(limit, MaxModelLimit)

	opCtx, cancel := s.op(ctx)
	defer cancel()
	// One more than the page tells whether there is a next page.
	cur, err := s.db.Collection(collModels).Find(opCtx, filter, options.Find().
		SetSort(bson.D{{Key: "_id", Value: 1}}).
		SetLimit(int64(limit)+1))
	if err != nil {
		return nil, storeErr("list models", err)
	}
	models := []*model.ModelSummary{}
	if err := cur.All(opCtx, &models); err != nil {
		return nil, storeErr("list models", err)
	}
	page := &model.ModelPage{Models: models}
	if len(models) > limit {
		page.Models = models[:limit]
		page.NextCursor = encodeKeyCursor(cursorModel, page.Models[limit-1].Name)
	}
	names := make([]string, len(page.Models))
	for i, m := range page.Models {
		names[i] = m.Name
	}
	aliases, err := s.aliasesOf(ctx, names...)
	if err != nil {
		return nil, err
	}
	for _, m := range page.Models {
		m.Aliases = aliases[m.Name]
	}
	return page, nil
}

// syncModel rewrites the named model's summary from model_versions after a
// change to its versions or aliases: LatestVersion is recomputed, not
// adjusted, MaxVersion raised to it, UpdatedAt set to now.
//
// Writers in other processes may recompute concurrently, and one that read
// before another's change may write after it; so after writing, syncModel
// reads again and repeats when the latest version has changed. The last
// writer's check then sees every change made before it wrote, and every
// later change has a writer of its own. When the process dies between a
// change and its sync, the summary stays stale until the next change of the
// model: a retried CreateVersion, or a DeleteVersion retried by its client,
// syncs again.
func (s *Store) syncModel(ctx context.Context, name string) error {
	unlock := s.modelLocks.lock(name)
	defer unlock()
	for range syncAttempts {
		latest, err := s.latestNumber(ctx, name)
		if err != nil {
			return err
		}
		// A model without versions needs no new summary.
		upsert := latest > 0
		if err := s.updateModel(ctx, name, upsert, bson.D{
			{Key: "$set", Value: bson.D{{Key: "latest_version", Value: latest}}},
			{Key: "$max", Value: bson.D{{Key: "max_version", Value: latest}, {Key: "updated_at", Value: utcMillis(s.now())}}},
		}); err != nil {
			return err
		}
		again, err := s.latestNumber(ctx, name)
		if err != nil {
			return err
		}
		if again == latest {
			return nil
		}
	}
	// Still changing: the writers of those changes sync after them.
	s.logger.WarnContext(ctx, "model summary still changing; left to its next writer", "model", name)
	return nil
}

// raiseMaxVersion records that the named model has had version v, before
// the version is deleted, so that its number is not given again.
func (s *Store) raiseMaxVersion(ctx context.Context, name string, v int) error {
	unlock := s.modelLocks.lock(name)
	defer unlock()
	return s.updateModel(ctx, name, true, bson.D{{Key: "$max", Value: bson.D{{Key: "max_version", Value: v}}}})
}

// maxVersion returns the named model's MaxVersion, 0 when it has no
// summary.
func (s *Store) maxVersion(ctx context.Context, name string) (int, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	var m modelDoc
	err := s.db.Collection(collModels).FindOne(ctx, bson.D{{Key: "_id", Value: name}}).Decode(&m)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return 0, nil
	}
	if err != nil {
		return 0, storeErr("get model summary", err)
	}
	return m.MaxVersion, nil
}

// updateModel applies update to the named model's summary, creating it
// when missing if upsert is true. Callers hold the model's lock.
func (s *Store) updateModel(ctx context.Context, name string, upsert bool, update bson.D) error {
	// Two first upserts of one name can race; the _id index lets one
	// insert, and the loser's retry then updates.
	var err error
	for range 2 {
		opCtx, cancel := s.op(ctx)
		_, err = s.db.Collection(collModels).UpdateOne(opCtx, bson.D{{Key: "_id", Value: name}}, update, options.UpdateOne().SetUpsert(upsert))
		cancel()
		if !mongo.IsDuplicateKeyError(err) {
			break
		}
	}
	return storeErr("update model summary", err)
}
