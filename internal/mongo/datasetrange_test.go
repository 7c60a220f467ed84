package mongo

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"gitlab.com/mlserve/mlserve/model"
)

// readRange reads the range [offset, offset+length) of dataset id whole.
func readRange(tb testing.TB, s *Store, id string, offset, length int64) (string, error) {
	tb.Helper()
	r, err := s.OpenDatasetRange(context.Background(), id, offset, length)
	if err != nil {
		return "", err
	}
	defer func() {
		if err := r.Close(); err != nil {
			tb.Errorf("close: %v", err)
		}
	}()
	b, err := io.ReadAll(r)
	return string(b), err
}

func TestOpenDatasetRange(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	csv := bigCSV(80_000) // 4.6 chunks
	size := int64(len(csv))
	if size < 4*chunkSize || size > 5*chunkSize {
		t.Fatalf("the fixture has %d bytes, not 4 to 5 chunks", size)
	}
	d := createDataset(t, s, "big", csv)
	const cs = chunkSize

	for _, tc := range []struct {
		name           string
		offset, length int64
	}{
		{"a range inside one chunk reads", 100, 1000},
		{"a range that is the first chunk reads", 0, cs},
		{"a range from one chunk boundary to the next reads", cs, cs},
		{"a range starting at a chunk boundary reads", 2 * cs, 10},
		{"a range ending at a chunk boundary reads", 2*cs - 10, 10},
		{"a range across one boundary reads", cs - 5, 10},
		{"a range spanning three chunks reads", cs - 5, cs + 10},
		{"a range ending in the last, short chunk reads", 3 * cs, size - 3*cs},
		{"the whole file reads", 0, size},
		{"the last byte reads", size - 1, 1},
		{"an empty range reads nothing", cs, 0},
		{"an empty range at the end of the file reads nothing", size, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readRange(t, s, d.ID, tc.offset, tc.length)
			if err != nil {
				t.Fatal(err)
			}
			if want := csv[tc.offset : tc.offset+tc.length]; got != want {
				t.Fatalf("read %d bytes, want %d; differ from byte %d", len(got), len(want), firstDiff(got, want))
			}
		})
	}
	for _, tc := range []struct {
		name           string
		offset, length int64
	}{
		{"a negative offset", -1, 10},
		{"a negative length", 0, -1},
		{"a range past the end", size - 5, 6},
		{"an offset past the end", size + 1, 0},
		{"a length that overflows", 10, math.MaxInt64},
	} {
		t.Run(tc.name+" is invalid", func(t *testing.T) {
			_, err := s.OpenDatasetRange(ctx, d.ID, tc.offset, tc.length)
			wantCode(t, err, model.CodeInvalid)
		})
	}
	t.Run("an unknown dataset is not found", func(t *testing.T) {
		_, err := s.OpenDatasetRange(ctx, bson.NewObjectID().Hex(), 0, 0)
		wantCode(t, err, model.CodeNotFound)
	})
	t.Run("a dataset whose file is gone is not found", func(t *testing.T) {
		d := createDataset(t, s, "gone", "x,y\n1,2\n")
		if err := s.removeFile(ctx, BucketDatasets, d.ID); err != nil {
			t.Fatal(err)
		}
		_, err := s.OpenDatasetRange(ctx, d.ID, 0, 1)
		wantCode(t, err, model.CodeNotFound)
	})
	t.Run("a range reads only its own chunks", func(t *testing.T) {
		d := createDataset(t, s, "holed", csv)
		deleteChunk(t, s, d.ID, 2)
		for _, r := range [][2]int64{{0, 2 * cs}, {3 * cs, size - 3*cs}} {
			got, err := readRange(t, s, d.ID, r[0], r[1])
			if err != nil || got != csv[r[0]:r[0]+r[1]] {
				t.Fatalf("range %v beside the missing chunk: %d bytes, %v", r, len(got), err)
			}
		}
		got, err := readRange(t, s, d.ID, cs, 3*cs)
		wantCode(t, err, model.CodeCorrupt)
		if got != csv[cs:2*cs] {
			t.Fatalf("before the missing chunk, read %d bytes, want %d", len(got), cs)
		}
		_, err = readRange(t, s, d.ID, 2*cs+1, 10)
		wantCode(t, err, model.CodeCorrupt)
	})
	t.Run("a chunk of the wrong size is corrupt", func(t *testing.T) {
		d := createDataset(t, s, "short", csv)
		coll, filter := chunkOf(t, s, BucketDatasets, d.ID, 1)
		_, err := s.db.Collection(coll).UpdateOne(ctx, filter,
			bson.D{{Key: "$set", Value: bson.D{{Key: "data", Value: bson.Binary{Data: []byte("short")}}}}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = readRange(t, s, d.ID, cs+1, 2)
		wantCode(t, err, model.CodeCorrupt)
	})
	t.Run("reading after close fails", func(t *testing.T) {
		r, err := s.OpenDatasetRange(ctx, d.ID, 0, size)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Read(make([]byte, 10)); err != nil {
			t.Fatal(err)
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := r.Read(make([]byte, 10)); err == nil {
			t.Fatal("read after close succeeded")
		}
		if err := r.Close(); err != nil {
			t.Fatalf("second close: %v", err)
		}
	})
}

func TestRangeReadBatches(t *testing.T) {
	t.Parallel()
	s, log := newMonitoredStore(t)
	csv := bigCSV(80_000) // 4.6 chunks
	size := int64(len(csv))
	d := createDataset(t, s, "big", csv)
	seg0 := segmentColl(BucketDatasets, d.ID, 0)
	const cs = chunkSize

	t.Run("a round trip fetches 64 chunks", func(t *testing.T) {
		log.take()
		if got, err := readRange(t, s, d.ID, 0, size); err != nil || got != csv {
			t.Fatalf("read %d bytes, %v", len(got), err)
		}
		want := []string{"find " + seg0 + " batchSize=64"}
		if cmds := chunkCommands(log.take()); !slices.Equal(cmds, want) {
			t.Fatalf("the read sent %v to the chunks, want %v", cmds, want)
		}
	})

	// A store whose reads fetch two chunks a round trip.
	small := *s
	small.readBatch = 2 * cs
	t.Run("a read across batches fetches a batch at a time", func(t *testing.T) {
		log.take()
		if got, err := readRange(t, &small, d.ID, 0, size); err != nil || got != csv {
			t.Fatalf("read %d bytes, %v", len(got), err)
		}
		want := []string{
			"find " + seg0 + " batchSize=2",
			"getMore " + seg0 + " batchSize=2",
			"getMore " + seg0 + " batchSize=2",
		}
		if cmds := chunkCommands(log.take()); !slices.Equal(cmds, want) {
			t.Fatalf("the read sent %v to the chunks, want %v", cmds, want)
		}
	})
	for _, r := range [][2]int64{{cs - 5, 2*cs + 10}, {cs + 1, size - cs - 2}, {2*cs - 1, 2}, {size - 1, 1}} {
		t.Run(fmt.Sprintf("bytes %d to %d read in batches", r[0], r[0]+r[1]), func(t *testing.T) {
			got, err := readRange(t, &small, d.ID, r[0], r[1])
			if want := csv[r[0] : r[0]+r[1]]; err != nil || got != want {
				t.Fatalf("read %d bytes, want %d; differ from byte %d; %v", len(got), len(want), firstDiff(got, want), err)
			}
		})
	}
	t.Run("a chunk missing from a later batch is corrupt", func(t *testing.T) {
		holed := createDataset(t, s, "holed", csv)
		deleteChunk(t, s, holed.ID, 3)
		got, err := readRange(t, &small, holed.ID, 0, size)
		wantCode(t, err, model.CodeCorrupt)
		if got != csv[:3*cs] {
			t.Fatalf("before the missing chunk, read %d bytes, want %d", len(got), 3*cs)
		}
	})
	t.Run("an earlier release's chunks stored out of order are read again, sorted", func(t *testing.T) {
		moved := createOldDataset(t, s, "moved", csv)
		chunks := s.db.Collection(BucketDatasets + ".chunks")
		filter := bson.D{{Key: "files_id", Value: moved.ID}, {Key: "n", Value: 1}}
		var chunk bson.D
		if err := chunks.FindOne(context.Background(), filter).Decode(&chunk); err != nil {
			t.Fatal(err)
		}
		deleteChunk(t, s, moved.ID, 1)
		if _, err := chunks.InsertOne(context.Background(), chunk); err != nil { // now stored last
			t.Fatal(err)
		}
		log.take()
		if got, err := readRange(t, s, moved.ID, 0, size); err != nil || got != csv {
			t.Fatalf("read %d bytes, %v", len(got), err)
		}
		want := []string{"find datasets.chunks batchSize=64", "find datasets.chunks batchSize=64"}
		if cmds := chunkCommands(log.take()); !slices.Equal(cmds, want) {
			t.Fatalf("the read sent %v to the chunks, want %v", cmds, want)
		}
	})
}

// chunkCommands lists the commands among cmds (of a commandLog) on a
// bucket's chunks or segments.
func chunkCommands(cmds []string) []string {
	var chunks []string
	for _, c := range cmds {
		if strings.Contains(c, ".chunks") || strings.Contains(c, segmentInfix) {
			chunks = append(chunks, c)
		}
	}
	return chunks
}

func TestChunkBatch(t *testing.T) {
	t.Parallel()
	s := &Store{readBatch: readBatchBytes}
	for _, tc := range []struct {
		chunkSize int64
		want      int32
	}{
		{chunkSize, 64},
		{1 << 20, 15},
		{readBatchBytes, 1},
		{1 << 30, 1},
		{1 << 10, 64}, // no more documents than 255 KiB chunks make
	} {
		if got := s.chunkBatch(&gridFSFile{ChunkSize: tc.chunkSize}); got != tc.want {
			t.Errorf("chunks of %d bytes: batches of %d, want %d", tc.chunkSize, got, tc.want)
		}
	}
}

// firstDiff is the index of the first byte where a and b differ.
func firstDiff(a, b string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
