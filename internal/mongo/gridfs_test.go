package mongo

import (
	"bytes"
	"context"
	"io"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// The dataset tests read files back through the driver's own GridFS
// reader; this also checks the chunk layout the GridFS spec fixes, which
// other drivers and tools rely on.
func TestFileWriterLayout(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	data := bytes.Repeat([]byte("0123456789"), chunkSize/4) // 2.5 chunks
	w := s.newFileWriter(ctx, BucketArtifacts, "f1", "f1.bin")
	if _, err := io.Copy(w, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	cur, err := s.db.Collection(BucketArtifacts+".chunks").Find(ctx, bson.D{{Key: "files_id", Value: "f1"}})
	if err != nil {
		t.Fatal(err)
	}
	var chunks []struct {
		N    int32  `bson:"n"`
		Data []byte `bson:"data"`
	}
	if err := cur.All(ctx, &chunks); err != nil {
		t.Fatal(err)
	}
	var joined []byte
	for i, c := range chunks {
		if c.N != int32(i) || (i < len(chunks)-1 && len(c.Data) != chunkSize) {
			t.Fatalf("chunk %d has n=%d and %d bytes", i, c.N, len(c.Data))
		}
		joined = append(joined, c.Data...)
	}
	if len(chunks) != 3 || !bytes.Equal(joined, data) {
		t.Fatalf("%d chunks holding %d bytes, want 3 holding %d", len(chunks), len(joined), len(data))
	}
	var got bytes.Buffer
	if _, err := s.Bucket(BucketArtifacts).DownloadToStream(ctx, "f1", &got); err != nil || !bytes.Equal(got.Bytes(), data) {
		t.Fatalf("the driver reads back %d bytes, err %v", got.Len(), err)
	}
}
