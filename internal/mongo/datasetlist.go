package mongo

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"gitlab.com/mlserve/mlserve/model"
)

// Page sizes of ListDatasets.
const (
	DefaultDatasetLimit = 50
	MaxDatasetLimit     = 200
)

// ListDatasets implements model.DatasetStore. The columns are never read:
// the store sends only the summary's fields. Datasets come newest first,
// ordered by (created_at, id) so that pages neither skip nor repeat
// datasets created in the same millisecond. A limit of 0 or less means
// DefaultDatasetLimit; more than MaxDatasetLimit means MaxDatasetLimit.
func (s *Store) ListDatasets(ctx context.Context, limit int, cursor string) (*model.DatasetPage, error) {
	filter := bson.D{}
	if cursor != "" {
		at, id, ok := decodeCursor(cursor)
		if !ok {
			return nil, model.Invalid(map[string]string{"cursor": "not a cursor from a previous page"})
		}
		// Strictly after the cursor's dataset in (created_at desc, _id desc).
		filter = bson.D{{Key: "$or", Value: bson.A{
			bson.D{{Key: "created_at", Value: bson.D{{Key: "$lt", Value: at}}}},
			bson.D{{Key: "created_at", Value: at}, {Key: "_id", Value: bson.D{{Key: "$lt", Value: id}}}},
		}}}
	}
	if limit <= 0 {
		limit = DefaultDatasetLimit
	}
	limit = min(limit, MaxDatasetLimit)

	ctx, cancel := s.op(ctx)
	defer cancel()
	// One more than the page tells whether there is a next page.
	cur, err := s.db.Collection(collDatasets).Find(ctx, filter, options.Find().
		SetSort(bson.D{{Key: "created_at", Value: -1}, {Key: "_id", Value: -1}}).
		SetLimit(int64(limit)+1).
		SetProjection(bson.D{{Key: "columns", Value: 0}}))
	if err != nil {
		return nil, storeErr("list datasets", err)
	}
	datasets := []*model.DatasetSummary{}
	if err := cur.All(ctx, &datasets); err != nil {
		return nil, storeErr("list datasets", err)
	}
	page := &model.DatasetPage{Datasets: datasets}
	if len(datasets) > limit {
		page.Datasets = datasets[:limit]
		last := page.Datasets[limit-1]
		page.NextCursor = encodeCursor(last.CreatedAt, last.ID)
	}
	return page, nil
}
