package mongo

import (
	"context"
	"errors"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"gitlab.com/mlserve/mlserve/model"
)

// Dataset implements model.DatasetStore.
func (s *Store) Dataset(ctx context.Context, id string) (*model.Dataset, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	var d model.Dataset
	err := s.db.Collection(collDatasets).FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, model.Errorf(model.CodeNotFound, "unknown dataset %q", id)
	}
	if err != nil {
		return nil, storeErr("get dataset", err)
	}
	return &d, nil
}

// InsertDataset stores a new dataset document. It fills an empty ID with a
// fresh one and a zero CreatedAt with the current time. CodeConflict when
// the id is taken.
func (s *Store) InsertDataset(ctx context.Context, d *model.Dataset) error {
	if d.ID == "" {
		d.ID = bson.NewObjectID().Hex()
	}
	if d.CreatedAt.IsZero() {
		d.CreatedAt = s.now()
	}
	d.CreatedAt = utcMillis(d.CreatedAt)
	err := s.insert(ctx, collDatasets, d)
	if mongo.IsDuplicateKeyError(err) {
		return model.Errorf(model.CodeConflict, "dataset %s already exists", d.ID)
	}
	return storeErr("insert dataset", err)
}
