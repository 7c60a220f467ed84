package mongo

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// A range of a file in the segmented layout is read a segment at a time,
// each the result of a query of its own, and the query of the next segment
// runs while the reader returns the current one: on FerretDB the server
// decodes a segment whole before it answers, so without it the server and
// the reader's consumer (a download, a scorer) would take turns on the
// CPUs. The reader holds at most two segments.

// segmentCursor is an open query of one segment of a range.
type segmentCursor struct {
	cur  *mongo.Cursor
	upTo int64 // the number of the last chunk cur reads
	err  error
}

// segmentFetch is a query of a segment under way.
type segmentFetch struct {
	done   chan segmentCursor // receives the query's outcome, once
	cancel context.CancelFunc
}

// findSegment queries chunks from, up to the end of its segment or of the
// range, of r's file, sorted by number (a segment is small enough for
// FerretDB to sort in memory). It reads only what never changes in r, so
// it may run beside r's reads.
func (r *chunkReader) findSegment(ctx context.Context, from int64) segmentCursor {
	k := r.file.SegmentChunks
	upTo := min(r.last, (from/k+1)*k-1)
	cur, err := r.s.db.Collection(segmentColl(r.bucket, r.file.ID, from/k)).Find(ctx,
		bson.D{{Key: "_id", Value: bson.D{{Key: "$gte", Value: from}, {Key: "$lte", Value: upTo}}}},
		options.Find().
			SetProjection(bson.D{{Key: "data", Value: 1}}).
			SetSort(bson.D{{Key: "_id", Value: 1}}).
			SetBatchSize(r.s.chunkBatch(r.file)))
	return segmentCursor{cur: cur, upTo: upTo, err: storeErr("read gridfs file "+r.file.ID, err)}
}

// nextSegment makes the query of the segment that holds chunk r.next the
// reader's cursor, the one under way or a new one, and starts the query of
// the segment after it when the range goes on.
func (r *chunkReader) nextSegment() error {
	var sc segmentCursor
	if r.ahead != nil {
		sc = <-r.ahead.done
		r.ahead.cancel()
		r.ahead = nil
	} else {
		sc = r.findSegment(r.ctx, r.next)
	}
	if sc.err != nil {
		return sc.err
	}
	r.cur, r.upTo, r.sorted, r.nField = sc.cur, sc.upTo, true, "_id"
	if sc.upTo < r.last {
		ctx, cancel := context.WithCancel(r.ctx)
		f := &segmentFetch{done: make(chan segmentCursor, 1), cancel: cancel}
		from := sc.upTo + 1
		go func() { f.done <- r.findSegment(ctx, from) }()
		r.ahead = f
	}
	return nil
}

// close stops the query under way, if any (f may be nil), and closes its
// cursor.
func (f *segmentFetch) close(r *chunkReader) error {
	if f == nil {
		return nil
	}
	f.cancel()
	sc := <-f.done
	r.ahead = nil
	if sc.cur == nil {
		return nil
	}
	ctx, cancel := r.s.op(context.WithoutCancel(r.ctx))
	defer cancel()
	return storeErr("close gridfs file "+r.file.ID, sc.cur.Close(ctx))
}
