package mongo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"gitlab.com/mlserve/mlserve/model"
)

// readBatchBytes is how much chunk data one round trip of a range read
// fetches (Store.readBatch), which bounds what a reader holds whatever the
// range's size: 64 chunks of 255 KiB, 16 MiB less 64 KiB, so that a batch
// also fits the 16 MiB a server reply's documents may hold. On the embedded
// FerretDB, 64 chunks a round trip were measured about 25% faster than 16
// and 4 about 35% slower (on a loaded 2-CPU machine, 64 and 16 are within
// the noise of each other).
const readBatchBytes = 64 * chunkSize

// chunkBatch is how many chunks of file f one round trip of a range read
// fetches: as many as s.readBatch holds, at least one. Chunks smaller than
// fileWriter's count as that size, so that a file of tiny chunks is not
// read as a batch of countless documents.
func (s *Store) chunkBatch(f *gridFSFile) int32 {
	return int32(max(1, s.readBatch/max(f.ChunkSize, chunkSize)))
}

// errReaderClosed is what a closed range reader returns.
var errReaderClosed = errors.New("gridfs reader already closed")

// gridFSFile is what a files document says about a file's layout.
type gridFSFile struct {
	ID        string `bson:"_id"`
	Length    int64  `bson:"length"`
	ChunkSize int64  `bson:"chunkSize"`
	// SegmentChunks is how many chunks a segment holds, or 0 for a file in
	// the GridFS layout (segments.go).
	SegmentChunks int64 `bson:"segment_chunks"`
	// ChunkEncoding is chunkEncodingZstd for a file whose chunks are
	// compressed, or "" for one whose chunks hold the file's bytes.
	ChunkEncoding string `bson:"chunk_encoding"`
}

// fileDoc reads the files document of file id of bucket; the error is
// mongo.ErrNoDocuments, unmapped, when there is none.
func (s *Store) fileDoc(ctx context.Context, bucket, id string) (*gridFSFile, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	var f gridFSFile
	err := s.db.Collection(bucket+".files").FindOne(ctx, bson.D{{Key: "_id", Value: id}},
		options.FindOne().SetProjection(bson.D{{Key: "length", Value: 1}, {Key: "chunkSize", Value: 1}, {Key: "segment_chunks", Value: 1}, {Key: "chunk_encoding", Value: 1}}),
	).Decode(&f)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, err
	}
	if err != nil {
		return nil, storeErr("read gridfs file "+id, err)
	}
	if f.ChunkSize <= 0 || f.Length < 0 || f.SegmentChunks < 0 {
		return nil, model.Errorf(model.CodeCorrupt, "gridfs file %s has chunk size %d, length %d and %d chunks a segment", id, f.ChunkSize, f.Length, f.SegmentChunks)
	}
	switch {
	case f.ChunkEncoding == "":
	case f.ChunkEncoding != chunkEncodingZstd:
		return nil, model.Errorf(model.CodeCorrupt, "gridfs file %s has chunks encoded as %q", id, f.ChunkEncoding)
	case f.ChunkSize > chunkSize:
		// The decoder's bound (chunkcodec.go).
		return nil, model.Errorf(model.CodeCorrupt, "gridfs file %s has compressed chunks of %d bytes, more than %d", id, f.ChunkSize, chunkSize)
	}
	return &f, nil
}

// openRange returns a reader of length bytes of file f of bucket from
// offset, which the caller has checked lie inside the file. It queries the
// chunks that hold them (see query) and streams them a batch at a time
// (chunkBatch), holding one batch; while a round trip fetches the next, the
// driver keeps the previous one until the reply has arrived. The reader
// lives on ctx; each round trip is bounded by the store's timeout. A
// missing, repeated or wrongly sized chunk is CodeCorrupt.
//
// A file in the segmented layout is read a segment at a time, each query
// reading only that segment's collection, so a range read costs what the
// range holds. One in the GridFS layout (written by an earlier release) is
// read by one query of <bucket>.chunks, which on FerretDB v1 (SQLite) reads
// and decodes every chunk of the bucket, whatever the range; on MongoDB the
// (files_id, n) index serves it.
func (s *Store) openRange(ctx context.Context, bucket string, f *gridFSFile, offset, length int64) (io.ReadCloser, error) {
	if length == 0 {
		return io.NopCloser(strings.NewReader("")), nil
	}
	first, last := offset/f.ChunkSize, (offset+length-1)/f.ChunkSize
	r := &chunkReader{s: s, ctx: ctx, bucket: bucket, file: f, next: first, last: last, skip: offset - first*f.ChunkSize, left: length}
	if err := r.query(false); err != nil {
		return nil, err
	}
	return r, nil
}

// query opens the cursor over the chunks from next: in the segmented
// layout, to the end of next's segment (nextSegment); in the GridFS layout,
// up to last, sorted by n or in the order the server finds them. Unsorted
// is what both servers give in n order in practice (MongoDB walks its
// (files_id, n) index; FerretDB's SQLite walks its table in insertion
// order, and a file's chunks are inserted in order), and it keeps FerretDB
// from holding every chunk of the range in memory to sort it, a whole
// dataset when a worker copies one; the reader checks the order and asks
// again, sorted, when it differs.
func (r *chunkReader) query(sorted bool) error {
	if r.file.SegmentChunks > 0 {
		return r.nextSegment()
	}
	opts := options.Find().
		SetProjection(bson.D{{Key: "_id", Value: 0}, {Key: "n", Value: 1}, {Key: "data", Value: 1}}).
		SetBatchSize(r.s.chunkBatch(r.file))
	if sorted {
		opts.SetSort(bson.D{{Key: "n", Value: 1}})
	}
	cur, err := r.s.db.Collection(r.bucket+".chunks").Find(r.ctx,
		bson.D{
			{Key: "files_id", Value: r.file.ID},
			{Key: "n", Value: bson.D{{Key: "$gte", Value: r.next}, {Key: "$lte", Value: r.last}}},
		}, opts)
	if err != nil {
		return storeErr("read gridfs file "+r.file.ID, err)
	}
	r.cur, r.sorted, r.nField, r.upTo = cur, sorted, "n", r.last
	return nil
}

// chunkReader reads a run of a GridFS file's chunks from a cursor. It is
// not safe for concurrent use.
type chunkReader struct {
	s      *Store
	ctx    context.Context
	bucket string
	cur    *mongo.Cursor
	sorted bool   // whether cur was asked to sort by n
	nField string // the field of a chunk that holds its number
	file   *gridFSFile
	next   int64         // the number of the chunk expected next
	upTo   int64         // the number of the last chunk cur reads
	ahead  *segmentFetch // the query of the next segment, under way
	last   int64         // the number of the range's last chunk
	skip   int64         // bytes before the range in chunk next; only the first has any
	left   int64         // bytes of the range not yet returned
	buf    []byte        // unread bytes of the current chunk: a view of cur.Current or of plain
	plain  []byte        // the current chunk decompressed, when the file's are compressed
	err    error         // sticky: io.EOF, errReaderClosed or the first failure
}

// Read implements io.Reader.
func (r *chunkReader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	for len(r.buf) == 0 {
		if r.left == 0 {
			r.err = io.EOF
			return 0, r.err
		}
		if r.err = r.fill(); r.err != nil {
			return 0, r.err
		}
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	r.left -= int64(n)
	return n, nil
}

// fill makes the next chunk, cut to the range, the current one.
func (r *chunkReader) fill() error {
	if r.next > r.upTo {
		// The segment is read: on to the next.
		if err := r.closeCursor(); err != nil {
			return err
		}
		if err := r.query(false); err != nil {
			return err
		}
	}
	ctx, cancel := r.s.op(r.ctx)
	ok := r.cur.Next(ctx)
	cancel()
	if !ok && r.cur.Err() != nil {
		return storeErr("read gridfs file "+r.file.ID, r.cur.Err())
	}
	var n int64
	var data []byte
	nOK, dataOK := false, false
	if ok {
		n, nOK = r.cur.Current.Lookup(r.nField).AsInt64OK()
		_, data, dataOK = r.cur.Current.Lookup("data").BinaryOK()
	}
	switch {
	case ok && (!nOK || !dataOK):
		return r.corrupt("chunk %d is malformed", r.next)
	case (!ok || n != r.next) && !r.sorted:
		// Not in order after all (or missing): ask again, sorted.
		if err := r.closeCursor(); err != nil {
			return err
		}
		if err := r.query(true); err != nil {
			return err
		}
		return r.fill()
	case !ok || n != r.next:
		return r.corrupt("chunk %d is missing", r.next)
	}
	want := min(r.file.ChunkSize, r.file.Length-n*r.file.ChunkSize)
	if r.file.ChunkEncoding != "" {
		plain, err := codec().decode(r.plain, data)
		if err != nil {
			return r.corrupt("chunk %d: %v", n, err)
		}
		data, r.plain = plain, plain
	}
	if int64(len(data)) != want {
		return r.corrupt("chunk %d has %d bytes, want %d", n, len(data), want)
	}
	data = data[r.skip:]
	r.skip = 0
	if int64(len(data)) > r.left {
		data = data[:r.left]
	}
	r.buf = data
	r.next++
	return nil
}

func (r *chunkReader) corrupt(format string, args ...any) error {
	return model.Errorf(model.CodeCorrupt, "gridfs file %s: %s", r.file.ID, fmt.Sprintf(format, args...))
}

// Close releases the cursor, even when the reader's context is done.
// Reading after Close fails.
func (r *chunkReader) Close() error {
	if r.err == errReaderClosed {
		return nil
	}
	r.err, r.buf = errReaderClosed, nil
	return errors.Join(r.closeCursor(), r.ahead.close(r))
}

// closeCursor closes the reader's cursor on a context of its own.
func (r *chunkReader) closeCursor() error {
	ctx, cancel := r.s.op(context.WithoutCancel(r.ctx))
	defer cancel()
	return storeErr("close gridfs file "+r.file.ID, r.cur.Close(ctx))
}
