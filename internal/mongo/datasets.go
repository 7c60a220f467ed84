package mongo

import (
	"context"
	"errors"
	"fmt"
	"io"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"gitlab.com/mlserve/mlserve/model"
)

// A dataset's raw CSV is the BucketDatasets file whose id is the dataset's
// id and whose filename is the dataset's name plus ".csv".

// Dataset implements model.DatasetStore.
func (s *Store) Dataset(ctx context.Context, id string) (*model.Dataset, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	var d model.Dataset
	err := s.db.Collection(collDatasets).FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, unknownDataset(id)
	}
	if err != nil {
		return nil, storeErr("get dataset", err)
	}
	return &d, nil
}

// datasetDoc is a dataset's document: the dataset and what a listing
// shows of it instead of its columns (see ListDatasets).
type datasetDoc struct {
	*model.Dataset `bson:",inline"`
	ColumnCount    int `bson:"column_count"`
}

// InsertDataset stores a new dataset document. It fills an empty ID with a
// fresh one and a zero CreatedAt with the current time. CodeConflict when
// the id is taken. It writes no file: CreateDataset is the upload; this is
// for documents whose file is written separately (and for tests).
func (s *Store) InsertDataset(ctx context.Context, d *model.Dataset) error {
	if d.ID == "" {
		d.ID = bson.NewObjectID().Hex()
	}
	if d.CreatedAt.IsZero() {
		d.CreatedAt = s.now()
	}
	d.CreatedAt = utcMillis(d.CreatedAt)
	err := s.insert(ctx, collDatasets, datasetDoc{Dataset: d, ColumnCount: len(d.Columns)})
	if mongo.IsDuplicateKeyError(err) {
		return model.Errorf(model.CodeConflict, "dataset %s already exists", d.ID)
	}
	return storeErr("insert dataset", err)
}

// CreateDataset implements model.DatasetStore. The file is complete before
// the document is written, and removed on every failure before or while
// writing the document, so a dataset is visible exactly when its bytes are
// all stored. Memory holds one chunk, never the file.
func (s *Store) CreateDataset(ctx context.Context, name string, r io.Reader, inspect model.DatasetInspector) (*model.Dataset, error) {
	id := bson.NewObjectID().Hex()
	file := s.newSegmentedWriter(ctx, BucketDatasets, id, name+".csv")
	d, err := inspect(io.TeeReader(r, file))
	switch {
	case err != nil:
	case d == nil:
		err = errors.New("the inspector returned no dataset")
	case d.SizeBytes != file.size:
		err = fmt.Errorf("the inspector described %d bytes but %d were stored", d.SizeBytes, file.size)
	default:
		err = file.Close()
	}
	if err != nil {
		if file.touched {
			s.discardFile(ctx, id)
		}
		return nil, fmt.Errorf("create dataset: %w", err)
	}

	d.ID, d.Name, d.CreatedAt = id, name, s.now()
	if err := s.InsertDataset(ctx, d); err != nil {
		return s.settleInsert(ctx, d, err)
	}
	return d, nil
}

// settleInsert decides what a failed dataset insert left. A write that
// timed out or lost its connection may still have been applied, and the
// file of a visible dataset must not be removed: so the file goes only once
// the document is known to be absent. When that cannot be known (the store
// is down), the file stays; at worst it is an orphan no document points at.
func (s *Store) settleInsert(ctx context.Context, d *model.Dataset, insertErr error) (*model.Dataset, error) {
	_, err := s.Dataset(context.WithoutCancel(ctx), d.ID)
	switch model.ErrorCode(err) {
	case "":
		return d, nil // the insert was applied after all
	case model.CodeNotFound:
		s.discardFile(ctx, d.ID)
	default:
		s.logger.WarnContext(ctx, "dataset insert outcome unknown; its file stays",
			"dataset_id", d.ID, "err", insertErr, "check_err", err)
	}
	return nil, fmt.Errorf("create dataset: %w", insertErr)
}

// discardFile removes the file of a dataset that was not created. When
// that fails the chunks stay behind, unreachable and harmless but for their
// space, so it is logged, not returned.
func (s *Store) discardFile(ctx context.Context, id string) {
	if err := s.removeFile(ctx, BucketDatasets, id); err != nil {
		s.logger.WarnContext(ctx, "discard dataset file; its chunks stay behind", "dataset_id", id, "err", err)
	}
}

// OpenDatasetCSV implements model.DatasetStore. The reader streams the
// file a batch of chunks at a time and lives on ctx, not the store's
// per-operation timeout, since a download lasts as long as its client reads.
// (The driver's download stream asks for batches the server's message size
// limit does not bound: a large dataset on FerretDB failed with "length of
// read message too large".)
func (s *Store) OpenDatasetCSV(ctx context.Context, id string) (*model.Dataset, io.ReadCloser, error) {
	d, err := s.Dataset(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	r, err := s.openDataset(ctx, d, 0, d.SizeBytes)
	if err != nil {
		return nil, nil, err
	}
	return d, r, nil
}

func unknownDataset(id string) error {
	return model.Errorf(model.CodeNotFound, "unknown dataset %q", id)
}
