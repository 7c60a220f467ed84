package mongo

import (
	"context"
	"regexp"
	"strconv"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Datasets and score outputs are written in the segmented layout: the
// file's document in <bucket>.files, as in GridFS, with segment_chunks
// saying how many chunks a segment holds, and chunk n in the collection of
// segment n/segment_chunks (segmentColl) as {_id: n, data}. A read of a
// range queries only the segments that hold it, so it costs what the range
// holds, whatever else is stored: on FerretDB v1 (SQLite) every query but
// one reads and decodes its whole collection (even equality on _id, which
// it pushes down to SQLite as an expression its _id index does not match),
// so one collection for every file's chunks made a range read cost the
// whole bucket. On MongoDB each segment's query rides its _id index.
//
// Files written by earlier releases, and model artifacts, which the
// driver's GridFS download stream reads, have the GridFS layout: chunks in
// <bucket>.chunks as {files_id, n, data}, and no segment_chunks. Both are
// read (see chunkReader.query) and removed (removeFile).

// defaultSegmentChunks is how many chunks a segment of a new file holds: 16 of
// 255 KiB, 4 MiB less 16 KiB, about a score part's input or output, so
// that a part reads one or two segments and a 5,000,000-row dataset has
// about 30.
const defaultSegmentChunks = 16

// segmentInfix separates a bucket's name from a file id in the names of
// the file's segments.
const segmentInfix = ".seg."

// segmentColl is the name of the collection of segment k of file id of
// bucket: "<bucket>.seg.<id>.<k>".
func segmentColl(bucket, id string, k int64) string {
	return bucket + segmentInfix + id + "." + strconv.FormatInt(k, 10)
}

// segmentsPattern matches the names of the segments of the files of bucket
// whose ids match idPattern, a regular expression.
func segmentsPattern(bucket, idPattern string) string {
	return "^" + regexp.QuoteMeta(bucket+segmentInfix) + "(?:" + idPattern + `)\.[0-9]+$`
}

// dropSegments drops every segment of the files of bucket whose ids match
// idPattern. Listing collections reads the catalogue, never a file's
// chunks, on both servers.
func (s *Store) dropSegments(ctx context.Context, bucket, idPattern string) error {
	opCtx, cancel := s.op(ctx)
	names, err := s.db.ListCollectionNames(opCtx,
		bson.D{{Key: "name", Value: bson.D{{Key: "$regex", Value: segmentsPattern(bucket, idPattern)}}}},
		options.ListCollections().SetNameOnly(true))
	cancel()
	if err != nil {
		return storeErr("list segments of "+bucket, err)
	}
	for _, name := range names {
		opCtx, cancel := s.op(ctx)
		err := s.db.Collection(name).Drop(opCtx)
		cancel()
		if err != nil {
			return storeErr("drop "+name, err)
		}
	}
	return nil
}
