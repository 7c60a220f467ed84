package mongo

import (
	"context"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"gitlab.com/mlserve/mlserve/model"
)

// segmentedFiles lists the ids of the files of bucket that have segments
// and start with prefix, each once, sorted.
func segmentedFiles(tb testing.TB, s *Store, bucket, prefix string) []string {
	tb.Helper()
	names, err := s.db.ListCollectionNames(context.Background(),
		bson.D{{Key: "name", Value: bson.D{{Key: "$regex", Value: segmentsPattern(bucket, regexp.QuoteMeta(prefix)+".*")}}}},
		options.ListCollections().SetNameOnly(true))
	if err != nil {
		tb.Fatalf("list segments: %v", err)
	}
	var ids []string
	for _, name := range names {
		id := strings.TrimPrefix(name, bucket+segmentInfix)
		id = id[:strings.LastIndexByte(id, '.')]
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// chunkOf names chunk n of file id of bucket: its collection and a filter
// that matches it alone, in whichever layout the file has.
func chunkOf(tb testing.TB, s *Store, bucket, id string, n int64) (coll string, filter bson.D) {
	tb.Helper()
	f, err := s.fileDoc(context.Background(), bucket, id)
	if err != nil {
		tb.Fatalf("file %s: %v", id, err)
	}
	if f.SegmentChunks > 0 {
		return segmentColl(bucket, id, n/f.SegmentChunks), bson.D{{Key: "_id", Value: n}}
	}
	return bucket + ".chunks", bson.D{{Key: "files_id", Value: id}, {Key: "n", Value: n}}
}

// deleteChunk deletes chunk n of dataset id's file.
func deleteChunk(tb testing.TB, s *Store, id string, n int64) {
	tb.Helper()
	coll, filter := chunkOf(tb, s, BucketDatasets, id, n)
	res, err := s.db.Collection(coll).DeleteOne(context.Background(), filter)
	if err != nil || res.DeletedCount != 1 {
		tb.Fatalf("delete chunk %d: %v", n, err)
	}
}

// collections lists the names of the store's collections.
func collections(tb testing.TB, s *Store) []string {
	tb.Helper()
	names, err := s.db.ListCollectionNames(context.Background(), bson.D{})
	if err != nil {
		tb.Fatalf("list collections: %v", err)
	}
	return names
}

// createOldDataset stores csv as a dataset in the layout of the releases
// before segments: its chunks in the GridFS bucket's chunks collection.
func createOldDataset(tb testing.TB, s *Store, name, csv string) *model.Dataset {
	tb.Helper()
	ctx := context.Background()
	d, err := inspectCSV(strings.NewReader(csv))
	if err != nil {
		tb.Fatal(err)
	}
	d.ID, d.Name = bson.NewObjectID().Hex(), name
	w := s.newFileWriter(ctx, BucketDatasets, d.ID, name+".csv")
	if _, err := io.WriteString(w, csv); err != nil {
		tb.Fatal(err)
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	if err := s.InsertDataset(ctx, d); err != nil {
		tb.Fatal(err)
	}
	return d
}
