package mongo

import (
	"context"
	"errors"
	"regexp"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// chunkSize is the GridFS chunk size of the files fileWriter writes: the
// GridFS spec's and the driver's default, 255 KiB.
const chunkSize = 255 << 10

// cleanupTimeout bounds removing what a failed write left, which runs on a
// context detached from the caller's: a client that hung up mid-upload is
// the usual reason for the cleanup.
const cleanupTimeout = 30 * time.Second

// errFileClosed is what a fileWriter returns once it is closed.
var errFileClosed = errors.New("gridfs file already closed")

// fileWriter writes one file: a document per chunk, then the file's
// document in <bucket>.files. The chunks go to the file's segments
// (segments.go) or, for a model artifact, which the driver's download
// stream reads back, to <bucket>.chunks, as the GridFS spec says.
//
// It stands in for the driver's upload stream, which holds 16 MiB per
// upload before writing anything and bounds the whole upload by one
// context: fileWriter holds one chunk, and each chunk write is a store
// operation of its own, bounded by the store's timeout, so an upload may
// take as long as its client needs while a stalled database still fails
// it. A fileWriter is not safe for concurrent use.
type fileWriter struct {
	s        *Store
	ctx      context.Context
	bucket   string
	id       string
	filename string
	buf      []byte // the chunk being filled; cap is chunkSize
	chunks   int32  // chunks written
	size     int64  // bytes accepted
	touched  bool   // something may have reached the store
	segments bool   // whether chunks go to segments (segmentColl), compressed
	frame    []byte // the compressed chunk, for segments
	err      error  // the first failure, or errFileClosed; sticky
}

// newFileWriter starts writing file id of bucket in the GridFS layout;
// nothing reaches the store before the first full chunk or Close.
func (s *Store) newFileWriter(ctx context.Context, bucket, id, filename string) *fileWriter {
	return &fileWriter{s: s, ctx: ctx, bucket: bucket, id: id, filename: filename, buf: make([]byte, 0, chunkSize)}
}

// newSegmentedWriter is newFileWriter for the segmented layout.
func (s *Store) newSegmentedWriter(ctx context.Context, bucket, id, filename string) *fileWriter {
	w := s.newFileWriter(ctx, bucket, id, filename)
	w.segments = true
	return w
}

// Write buffers p, writing each chunk it fills. After a failure every call
// returns the same error.
func (w *fileWriter) Write(p []byte) (int, error) {
	written := 0
	for w.err == nil && len(p) > 0 {
		k := copy(w.buf[len(w.buf):cap(w.buf)], p)
		w.buf, p = w.buf[:len(w.buf)+k], p[k:]
		written += k
		w.size += int64(k)
		if len(w.buf) == cap(w.buf) {
			w.err = w.flush()
		}
	}
	if w.err != nil {
		return written, w.err
	}
	return written, nil
}

// Close writes the last, partial chunk and then the file's document, which
// makes the file complete. The file must be removed (removeFile) when Close
// fails, or when the caller decides against keeping it.
func (w *fileWriter) Close() error {
	if w.err != nil {
		return w.err
	}
	if len(w.buf) > 0 {
		if w.err = w.flush(); w.err != nil {
			return w.err
		}
	}
	w.touched = true
	w.err = errFileClosed
	doc := bson.D{
		{Key: "_id", Value: w.id},
		{Key: "length", Value: w.size},
		{Key: "chunkSize", Value: int32(chunkSize)},
		{Key: "uploadDate", Value: utcMillis(w.s.now())},
		{Key: "filename", Value: w.filename},
	}
	if w.segments {
		doc = append(doc, bson.E{Key: "segment_chunks", Value: w.s.segmentChunks},
			bson.E{Key: "chunk_encoding", Value: chunkEncodingZstd})
	}
	err := w.s.insert(w.ctx, w.bucket+".files", doc)
	return storeErr("write gridfs file "+w.id, err)
}

// flush writes the buffered chunk, compressed for a segment
// (chunkcodec.go), and empties the buffer. The driver has encoded the
// document by the time InsertOne returns, so the buffers can be reused at
// once.
func (w *fileWriter) flush() error {
	w.touched = true
	coll, doc := w.bucket+".chunks", bson.D{
		{Key: "_id", Value: bson.NewObjectID()},
		{Key: "files_id", Value: w.id},
		{Key: "n", Value: w.chunks},
		{Key: "data", Value: bson.Binary{Data: w.buf}},
	}
	if w.segments {
		coll = segmentColl(w.bucket, w.id, int64(w.chunks)/w.s.segmentChunks)
		w.frame = codec().encode(w.frame, w.buf)
		doc = bson.D{{Key: "_id", Value: w.chunks}, {Key: "data", Value: bson.Binary{Data: w.frame}}}
	}
	err := w.s.insert(w.ctx, coll, doc)
	if err != nil {
		return storeErr("write gridfs chunk", err)
	}
	w.chunks++
	w.buf = w.buf[:0]
	return nil
}

// removeFile deletes file id of bucket, in either layout: its document
// first, so readers stop finding it, then its segments, then its GridFS
// chunks, unless the document said it had segments. A file that is partly
// or wholly missing is not an error. It runs on a context detached from
// ctx's cancellation, so it completes even when the caller has given up.
func (s *Store) removeFile(ctx context.Context, bucket, id string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	var f gridFSFile
	err := s.db.Collection(bucket+".files").FindOneAndDelete(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&f)
	if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return storeErr("remove gridfs file "+id, err)
	}
	if err := s.dropSegments(ctx, bucket, regexp.QuoteMeta(id)); err != nil || f.SegmentChunks > 0 {
		return err
	}
	_, err = s.db.Collection(bucket+".chunks").DeleteMany(ctx, bson.D{{Key: "files_id", Value: id}})
	return storeErr("remove gridfs chunks of "+id, err)
}
