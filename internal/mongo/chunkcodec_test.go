package mongo

import (
	"bytes"
	"context"
	"math/rand/v2"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"gitlab.com/mlserve/mlserve/model"
)

// storedChunks returns the data of every chunk of segmented file id of
// bucket as stored, in order.
func storedChunks(tb testing.TB, s *Store, bucket, id string) [][]byte {
	tb.Helper()
	f, err := s.fileDoc(context.Background(), bucket, id)
	if err != nil {
		tb.Fatal(err)
	}
	var chunks [][]byte
	for n := int64(0); n*f.ChunkSize < f.Length; n++ {
		coll, filter := chunkOf(tb, s, bucket, id, n)
		raw, err := s.db.Collection(coll).FindOne(context.Background(), filter).Raw()
		if err != nil {
			tb.Fatalf("chunk %d: %v", n, err)
		}
		_, data, ok := raw.Lookup("data").BinaryOK()
		if !ok {
			tb.Fatalf("chunk %d has no data", n)
		}
		chunks = append(chunks, bytes.Clone(data))
	}
	return chunks
}

// setChunk replaces the stored data of chunk n of dataset id's file.
func setChunk(tb testing.TB, s *Store, id string, n int64, data []byte) {
	tb.Helper()
	coll, filter := chunkOf(tb, s, BucketDatasets, id, n)
	res, err := s.db.Collection(coll).UpdateOne(context.Background(), filter,
		bson.D{{Key: "$set", Value: bson.D{{Key: "data", Value: bson.Binary{Data: data}}}}})
	if err != nil || res.MatchedCount != 1 {
		tb.Fatalf("set chunk %d: %v", n, err)
	}
}

// setFileField sets (or, with a nil value, removes) a field of dataset
// id's files document.
func setFileField(tb testing.TB, s *Store, id, field string, value any) {
	tb.Helper()
	op := bson.D{{Key: "$set", Value: bson.D{{Key: field, Value: value}}}}
	if value == nil {
		op = bson.D{{Key: "$unset", Value: bson.D{{Key: field, Value: ""}}}}
	}
	_, err := s.db.Collection(BucketDatasets+".files").UpdateOne(context.Background(), bson.D{{Key: "_id", Value: id}}, op)
	if err != nil {
		tb.Fatal(err)
	}
}

func TestSegmentChunksAreStoredCompressed(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	csv := bigCSV(80_000) // 4.6 chunks
	d := createDataset(t, s, "csv", csv)
	stored := 0
	for _, c := range storedChunks(t, s, BucketDatasets, d.ID) {
		stored += len(c)
	}
	if stored*3 > len(csv) {
		t.Fatalf("%d bytes of CSV are stored in %d bytes, want a third or less", len(csv), stored)
	}
	if got, err := readRange(t, s, d.ID, 0, int64(len(csv))); err != nil || got != csv {
		t.Fatalf("read back %d of %d bytes, %v", len(got), len(csv), err)
	}

	// Bytes that do not compress are stored and read back as they are.
	noise := make([]byte, 3*chunkSize+1234)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range noise {
		noise[i] = byte(rng.Uint32())
	}
	n := fileDataset(t, s, noise)
	for _, r := range [][2]int64{{0, int64(len(noise))}, {chunkSize - 1, 2}, {3 * chunkSize, 1234}} {
		if got, err := readRange(t, s, n.ID, r[0], r[1]); err != nil || got != string(noise[r[0]:r[0]+r[1]]) {
			t.Fatalf("noise, bytes %v: read %d, %v", r, len(got), err)
		}
	}
}

// TestUncompressedSegmentsRead reads a file in the segmented layout as the
// release that introduced it wrote them: chunks as they are, and no
// chunk_encoding.
func TestUncompressedSegmentsRead(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	csv := bigCSV(80_000)
	d := createDataset(t, s, "plain", csv)
	for n := int64(0); n*chunkSize < int64(len(csv)); n++ {
		setChunk(t, s, d.ID, n, []byte(csv[n*chunkSize:min(int64(len(csv)), (n+1)*chunkSize)]))
	}
	setFileField(t, s, d.ID, "chunk_encoding", nil)
	for _, r := range [][2]int64{{0, int64(len(csv))}, {chunkSize - 5, chunkSize + 10}, {4 * chunkSize, 10}} {
		if got, err := readRange(t, s, d.ID, r[0], r[1]); err != nil || got != csv[r[0]:r[0]+r[1]] {
			t.Fatalf("bytes %v: read %d, %v", r, len(got), err)
		}
	}
}

func TestCorruptCompressedChunks(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	csv := bigCSV(30_000) // 1.7 chunks
	whole := int64(len(csv))
	// A frame of zeros that says it holds 8 MiB.
	bomb := codec().encode(nil, make([]byte, 8<<20))
	for _, tc := range []struct {
		name  string
		spoil func(d *model.Dataset)
	}{
		{"a chunk whose frame is cut short", func(d *model.Dataset) {
			c := storedChunks(t, s, BucketDatasets, d.ID)[0]
			setChunk(t, s, d.ID, 0, c[:len(c)/2])
		}},
		{"a chunk stored as it is in a file that says compressed", func(d *model.Dataset) {
			setChunk(t, s, d.ID, 0, []byte(csv[:chunkSize]))
		}},
		{"a chunk that decompresses to the next chunk's bytes", func(d *model.Dataset) {
			setChunk(t, s, d.ID, 0, storedChunks(t, s, BucketDatasets, d.ID)[1])
		}},
		{"a chunk that decompresses to more than a chunk", func(d *model.Dataset) {
			setChunk(t, s, d.ID, 0, bomb)
		}},
		{"an encoding this release does not know", func(d *model.Dataset) {
			setFileField(t, s, d.ID, "chunk_encoding", "br")
		}},
		{"compressed chunks larger than a chunk", func(d *model.Dataset) {
			setFileField(t, s, d.ID, "chunkSize", int32(2*chunkSize))
		}},
	} {
		t.Run(tc.name+" is corrupt", func(t *testing.T) {
			d := createDataset(t, s, "spoiled", csv)
			tc.spoil(d)
			_, err := readRange(t, s, d.ID, 0, whole)
			wantCode(t, err, model.CodeCorrupt)
		})
	}
}
