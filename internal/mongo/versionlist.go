package mongo

import (
	"context"
	"strconv"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"gitlab.com/mlserve/mlserve/model"
)

// Page sizes of ListVersions.
const (
	DefaultVersionLimit = 50
	MaxVersionLimit     = 200
)

// ListVersions implements model.VersionStore. Versions come newest (highest
// number) first. A limit of 0 or less means DefaultVersionLimit; more than
// MaxVersionLimit means MaxVersionLimit. A page after a cursor may be empty
// (its versions deleted since); only a first page that is empty means the
// model does not exist.
func (s *Store) ListVersions(ctx context.Context, name string, limit int, cursor string) (*model.VersionPage, error) {
	filter := bson.D{{Key: "name", Value: name}}
	if cursor != "" {
		key, ok := decodeKeyCursor(cursorVersion, cursor)
		before, err := strconv.Atoi(key)
		if !ok || err != nil || before < 1 {
			return nil, badCursor()
		}
		filter = append(filter, bson.E{Key: "version", Value: bson.D{{Key: "$lt", Value: before}}})
	}
	if limit <= 0 {
		limit = DefaultVersionLimit
	}
	limit = min(limit, MaxVersionLimit)

	ctx, cancel := s.op(ctx)
	defer cancel()
	// One more than the page tells whether there is a next page.
	cur, err := s.db.Collection(collVersions).Find(ctx, filter, options.Find().
		SetSort(bson.D{{Key: "version", Value: -1}}).
		SetLimit(int64(limit)+1))
	if err != nil {
		return nil, storeErr("list versions", err)
	}
	versions := []*model.ModelVersion{}
	if err := cur.All(ctx, &versions); err != nil {
		return nil, storeErr("list versions", err)
	}
	if len(versions) == 0 && cursor == "" {
		return nil, unknownModel(name)
	}
	page := &model.VersionPage{Versions: versions}
	if len(versions) > limit {
		page.Versions = versions[:limit]
		page.NextCursor = encodeKeyCursor(cursorVersion, strconv.Itoa(page.Versions[limit-1].Version))
	}
	return page, nil
}
