package mongo

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
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
	data := scoredRows(benchWriteSize)
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
	done := complete(b, s, p, scoredRows(benchBytes))
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
	d := fileDataset(b, s, scoredRows(benchBytes))
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
	d := fileDataset(b, s, scoredRows(benchBytes))
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

// scoredRows returns n bytes of lines like a score job's output for iris:
// four measurements, a class and its three probabilities, seeded. Stored
// chunks are compressed, so what the benchmarks read and write must be as
// varied as real rows: a repeated line would measure compression alone.
func scoredRows(n int) []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	classes := []string{"setosa", "versicolor", "virginica"}
	b := make([]byte, 0, n+64)
	for len(b) < n {
		for range 4 {
			b = strconv.AppendFloat(b, float64(rng.IntN(70)+10)/10, 'f', 1, 64)
			b = append(b, ',')
		}
		b = append(b, classes[rng.IntN(3)]...)
		a := rng.IntN(51)
		c := rng.IntN(51 - a)
		for _, votes := range []int{a, c, 50 - a - c} {
			b = append(b, ',')
			b = strconv.AppendFloat(b, float64(votes)/50, 'g', -1, 64)
		}
		b = append(b, '\n')
	}
	return b[:n]
}

// fileDataset stores data as a dataset's file, in segments, and its
// document, without reading data as CSV.
func fileDataset(tb testing.TB, s *Store, data []byte) *model.Dataset {
	tb.Helper()
	ctx := context.Background()
	id := bson.NewObjectID().Hex()
	w := s.newSegmentedWriter(ctx, BucketDatasets, id, "file.csv")
	if _, err := w.Write(data); err != nil {
		tb.Fatal(err)
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	d := &model.Dataset{ID: id, Name: "file", SizeBytes: int64(len(data)), CreatedAt: time.Now()}
	if err := s.InsertDataset(ctx, d); err != nil {
		tb.Fatal(err)
	}
	return d
}
