package mongo

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

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

func TestSegmentedRanges(t *testing.T) {
	t.Parallel()
	s, log := newMonitoredStore(t)
	csv := bigCSV(80_000) // 4.6 chunks
	size := int64(len(csv))
	const cs = chunkSize
	// A store that writes segments of two chunks: chunks 0-1, 2-3 and 4.
	two := *s
	two.segmentChunks = 2
	d := createDataset(t, &two, "two", csv)
	for k := range int64(3) {
		if seg := segmentColl(BucketDatasets, d.ID, k); !slices.Contains(collections(t, s), seg) {
			t.Fatalf("no segment %s", seg)
		}
	}
	for _, tc := range []struct {
		name           string
		offset, length int64
		segments       []int64 // the segments the read queries
	}{
		{"a range inside the first segment", 100, 1000, []int64{0}},
		{"a range inside the second segment", 2*cs + 1, cs, []int64{1}},
		{"a range across the first boundary", 2*cs - 5, 10, []int64{0, 1}},
		{"a range across both boundaries", cs, 3*cs + 1, []int64{0, 1, 2}},
		{"a range that is the second segment", 2 * cs, 2 * cs, []int64{1}},
		{"the last, short segment", 4 * cs, size - 4*cs, []int64{2}},
		{"the whole file", 0, size, []int64{0, 1, 2}},
	} {
		t.Run(tc.name+" reads its segments", func(t *testing.T) {
			log.takeFinds()
			// s writes 16 chunks a segment: the file's document says two.
			got, err := readRange(t, s, d.ID, tc.offset, tc.length)
			if want := csv[tc.offset : tc.offset+tc.length]; err != nil || got != want {
				t.Fatalf("read %d bytes, want %d; differ from byte %d; %v", len(got), len(want), firstDiff(got, want), err)
			}
			var queried []string
			for _, f := range log.takeFinds() {
				if strings.Contains(f.coll, segmentInfix) {
					queried = append(queried, f.coll)
				}
			}
			var want []string
			for _, k := range tc.segments {
				want = append(want, segmentColl(BucketDatasets, d.ID, k))
			}
			if !slices.Equal(queried, want) {
				t.Fatalf("queried %v, want %v", queried, want)
			}
		})
	}
	t.Run("a missing segment is corrupt", func(t *testing.T) {
		if err := s.db.Collection(segmentColl(BucketDatasets, d.ID, 1)).Drop(context.Background()); err != nil {
			t.Fatal(err)
		}
		got, err := readRange(t, s, d.ID, cs, 2*cs)
		wantCode(t, err, model.CodeCorrupt)
		if got != csv[cs:2*cs] {
			t.Fatalf("before the missing segment, read %d bytes", len(got))
		}
	})
	t.Run("a delete drops every segment", func(t *testing.T) {
		d := createDataset(t, &two, "gone", csv)
		if err := s.DeleteDataset(context.Background(), d.ID); err != nil {
			t.Fatal(err)
		}
		if left := segmentedFiles(t, s, BucketDatasets, d.ID); len(left) != 0 {
			t.Fatalf("segments left of %v", left)
		}
	})
}

func TestEarlierLayoutReads(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	csv := bigCSV(80_000)
	const cs = chunkSize
	d := createOldDataset(t, s, "old", csv)
	for _, r := range [][2]int64{{0, int64(len(csv))}, {cs - 5, 2*cs + 10}, {3 * cs, 10}} {
		if got, err := readRange(t, s, d.ID, r[0], r[1]); err != nil || got != csv[r[0]:r[0]+r[1]] {
			t.Fatalf("an earlier release's dataset, bytes %v: %d bytes, %v", r, len(got), err)
		}
	}
	if _, got := readCSV(t, s, d.ID); got != csv {
		t.Fatalf("an earlier release's dataset downloads %d bytes, want %d", len(got), len(csv))
	}
	if err := s.DeleteDataset(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	if n, err := s.db.Collection(BucketDatasets+".chunks").CountDocuments(ctx, bson.D{{Key: "files_id", Value: d.ID}}); err != nil || n != 0 {
		t.Fatalf("the deleted dataset left %d chunks, %v", n, err)
	}

	// An output written before segments, recorded as the part's output.
	parts := createParts(t, s, 2)
	data := outputData(600<<10, "old")
	id := parts[0].ID + ".0ld0ld00"
	if err := s.addPartFile(ctx, parts[0].ID, id); err != nil {
		t.Fatal(err)
	}
	w := s.newFileWriter(ctx, BucketOutputs, id, parts[0].ID)
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.CompletePart(ctx, parts[0].ID, "w", id, int64(len(data)), time.Now()); err != nil {
		t.Fatal(err)
	}
	newer := complete(t, s, parts[1], outputData(10, "new"))
	if got := readOutput(t, s, part(t, s, parts[0].ID)); !bytes.Equal(got, data) {
		t.Fatalf("an earlier release's output reads %d bytes, want %d", len(got), len(data))
	}
	if files, chunked := outputIDs(t, s, parts[0].JobID+"."); !slices.Equal(files, []string{id, newer.Output}) || !slices.Equal(chunked, []string{newer.Output, id}) {
		t.Fatalf("files %v, chunks of %v", files, chunked)
	}
	if err := s.DeleteParts(ctx, parts[0].JobID); err != nil {
		t.Fatal(err)
	}
	if files, chunked := outputIDs(t, s, parts[0].JobID+"."); len(files)+len(chunked) != 0 {
		t.Fatalf("left files %v and chunks of %v", files, chunked)
	}
}

// TestReadCostIsThePart shows that reading a part's output, or a range of
// a dataset, costs what it reads whatever else is stored: every query is by
// _id alone on a files collection (the one filter FerretDB v1 hands to
// SQLite) or reads a collection holding only the file's own chunks, so the
// documents the server examines are the file's, however many other files
// there are. (On FerretDB v1 every other query reads its whole collection,
// which is what examined counts; on MongoDB it is an upper bound.)
func TestReadCostIsThePart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, log := newMonitoredStore(t)
	csv := bigCSV(80_000) // 4.6 chunks
	const cs = chunkSize
	parts := createParts(t, s, 6)
	out := complete(t, s, parts[0], outputData(600<<10, "mine")) // 3 chunks
	d := createDataset(t, s, "mine", csv)

	// examined reads the output and a two-chunk range of the dataset and
	// returns the documents the chunk queries examined.
	examined := func() int64 {
		t.Helper()
		log.takeFinds()
		if got := readOutput(t, s, part(t, s, out.ID)); len(got) != 600<<10 {
			t.Fatalf("read %d bytes", len(got))
		}
		if got, err := readRange(t, s, d.ID, cs-5, cs+10); err != nil || got != csv[cs-5:2*cs+5] {
			t.Fatalf("read %d bytes, %v", len(got), err)
		}
		var n int64
		for _, f := range log.takeFinds() {
			switch {
			case f.coll == BucketOutputs+".files" || f.coll == BucketDatasets+".files" || f.coll == collDatasets || f.coll == collParts:
				if keys := filterKeys(t, f.filter); !slices.Equal(keys, []string{"_id"}) {
					t.Fatalf("find on %s by %v, not by _id alone", f.coll, keys)
				}
				if _, ok := f.filter.Lookup("_id").StringValueOK(); !ok {
					t.Fatalf("find on %s by %s, not by one _id", f.coll, f.filter)
				}
			case f.coll == segmentColl(BucketOutputs, out.Output, 0) || f.coll == segmentColl(BucketDatasets, d.ID, 0):
				c, err := s.db.Collection(f.coll).CountDocuments(ctx, bson.D{})
				if err != nil {
					t.Fatal(err)
				}
				n += c
			default:
				t.Fatalf("the reads queried %s, which is not the files' own", f.coll)
			}
		}
		return n
	}
	// The file's own chunks: the output's 3 in one segment, the dataset's 5
	// in one segment.
	const want = 3 + 5
	if n := examined(); n != want {
		t.Fatalf("alone, the reads examined %d chunks, want %d", n, want)
	}
	for i, p := range parts[1:] {
		complete(t, s, p, outputData(600<<10, fmt.Sprint("other", i)))
		createDataset(t, s, fmt.Sprint("other", i), csv)
	}
	if n := examined(); n != want {
		t.Fatalf("beside 5 other outputs and datasets, the reads examined %d chunks, want %d", n, want)
	}
}

// filterKeys lists the top-level keys of filter.
func filterKeys(tb testing.TB, filter bson.Raw) []string {
	tb.Helper()
	elems, err := filter.Elements()
	if err != nil {
		tb.Fatal(err)
	}
	keys := make([]string, len(elems))
	for i, e := range elems {
		keys[i] = e.Key()
	}
	return keys
}
