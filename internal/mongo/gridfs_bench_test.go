package mongo

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"gitlab.com/mlserve/mlserve/model"
)

// benchBytes is about what a 1,000,000-row score job writes (~40 MB of
// output) and reads (~30 MB of input).
const benchBytes = 40 << 20

// benchWriteSize is the size of each write, as a buffered CSV writer makes
// them.
const benchWriteSize = 64 << 10

// BenchmarkOutputWrite measures writing a part output through GridFS.
func BenchmarkOutputWrite(b *testing.B) {
	ctx := context.Background()
	s := newStore(b)
	p := createParts(b, s, 1)[0]
	data := outputData(benchWriteSize, "bench")
	b.SetBytes(benchBytes)
	for b.Loop() {
		out, err := s.CreatePartOutput(ctx, p)
		if err != nil {
			b.Fatal(err)
		}
		for range benchBytes / benchWriteSize {
			if _, err := out.Write(data); err != nil {
				b.Fatal(err)
			}
		}
		if err := out.Close(); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		out.Abort()
		b.StartTimer()
	}
}

// BenchmarkOutputRead measures streaming a part output back.
func BenchmarkOutputRead(b *testing.B) {
	s := newStore(b)
	p := createParts(b, s, 1)[0]
	done := complete(b, s, p, outputData(benchBytes, "bench"))
	b.SetBytes(benchBytes)
	for b.Loop() {
		r, err := s.OpenPartOutput(context.Background(), done)
		if err != nil {
			b.Fatal(err)
		}
		if n, err := io.Copy(io.Discard, r); err != nil || n != benchBytes {
			b.Fatalf("read %d bytes, %v", n, err)
		}
		if err := r.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDatasetRangeRead measures reading a dataset of benchBytes as
// scorers do: in parts ranges, one after the other.
func BenchmarkDatasetRangeRead(b *testing.B) {
	s := newStore(b)
	d := benchDataset(b, s, benchBytes)
	for _, parts := range []int64{1, 20} {
		b.Run(fmt.Sprintf("parts=%d", parts), func(b *testing.B) {
			b.SetBytes(d.SizeBytes)
			step := d.SizeBytes / parts
			for b.Loop() {
				for off := int64(0); off < d.SizeBytes; off += step {
					readBench(b, s, d.ID, off, min(step, d.SizeBytes-off))
				}
			}
		})
	}
}

// BenchmarkDatasetRangeSmall measures reading 1 KiB of a dataset of
// benchBytes: the cost of finding a range's chunks, whatever its size.
func BenchmarkDatasetRangeSmall(b *testing.B) {
	s := newStore(b)
	d := benchDataset(b, s, benchBytes)
	for b.Loop() {
		readBench(b, s, d.ID, d.SizeBytes/2, 1<<10)
	}
}

// BenchmarkRemoveOrphanOutputs measures the end-of-job sweep of a job
// with nothing to remove, while the outputs bucket holds benchBytes of
// another job's output: reading the job's parts, whatever the bucket holds.
func BenchmarkRemoveOrphanOutputs(b *testing.B) {
	s := newStore(b)
	complete(b, s, createParts(b, s, 1)[0], outputData(benchBytes, "bench"))
	jobID := createParts(b, s, 1)[0].JobID
	for b.Loop() {
		if err := s.RemoveOrphanOutputs(context.Background(), jobID); err != nil {
			b.Fatal(err)
		}
	}
}

func readBench(b *testing.B, s *Store, id string, off, n int64) {
	r, err := s.OpenDatasetRange(context.Background(), id, off, n)
	if err != nil {
		b.Fatal(err)
	}
	if got, err := io.Copy(io.Discard, r); err != nil || got != n {
		b.Fatalf("read %d bytes, %v", got, err)
	}
	if err := r.Close(); err != nil {
		b.Fatal(err)
	}
}

// benchDataset stores a dataset file of size bytes and its document.
func benchDataset(tb testing.TB, s *Store, size int) *model.Dataset {
	tb.Helper()
	ctx := context.Background()
	id := bson.NewObjectID().Hex()
	w := s.newFileWriter(ctx, BucketDatasets, id, "bench.csv")
	if _, err := w.Write(outputData(size, "bench")); err != nil {
		tb.Fatal(err)
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	d := &model.Dataset{ID: id, Name: "bench", SizeBytes: int64(size), CreatedAt: time.Now()}
	if err := s.InsertDataset(ctx, d); err != nil {
		tb.Fatal(err)
	}
	return d
}
