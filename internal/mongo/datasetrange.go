package mongo

import (
	"context"
	"errors"
	"fmt"
	"io"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"gitlab.com/mlserve/mlserve/model"
)

// OpenDatasetRange implements model.DatasetStore. It reads only the chunks
// of the dataset's file that hold the range, streaming them; like
// OpenDatasetCSV's, the reader lives on ctx, since a scorer reads its range
// as fast as it scores. An empty range inside the file is valid and reads
// nothing. A chunk missing or of the wrong size is CodeCorrupt.
func (s *Store) OpenDatasetRange(ctx context.Context, id string, offset, length int64) (io.ReadCloser, error) {
	d, err := s.Dataset(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.openDataset(ctx, d, offset, length)
}

// openDataset reads a range of the raw bytes of dataset d.
func (s *Store) openDataset(ctx context.Context, d *model.Dataset, offset, length int64) (io.ReadCloser, error) {
	f, err := s.fileDoc(ctx, BucketDatasets, d.ID)
	if errors.Is(err, mongo.ErrNoDocuments) {
		// Deleted since the document was read: the document goes first.
		return nil, unknownDataset(d.ID)
	}
	if err != nil {
		return nil, fmt.Errorf("open dataset %s: %w", d.ID, err)
	}
	if f.Length != d.SizeBytes {
		return nil, fmt.Errorf("open dataset %s: the file has %d bytes, the document says %d", d.ID, f.Length, d.SizeBytes)
	}
	if offset < 0 || length < 0 || offset > f.Length || length > f.Length-offset {
		return nil, model.Errorf(model.CodeInvalid, "bytes %d to %d are outside dataset %s, which has %d", offset, offset+length, d.ID, f.Length)
	}
	r, err := s.openRange(ctx, BucketDatasets, f, offset, length)
	if err != nil {
		return nil, fmt.Errorf("open dataset %s: %w", d.ID, err)
	}
	return r, nil
}
