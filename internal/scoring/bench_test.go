package scoring

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"sync"
	"testing"

	"gitlab.com/mlserve/mlserve/internal/csvdata"
)

// benchRows is how many rows the benchmarks score: the figure.
const benchRows = 1_000_000

var benchData struct {
	sync.Once
	data []byte
}

// benchFile returns benchRows iris-like rows with a header, built once.
func benchFile(b *testing.B) []byte {
	b.Helper()
	benchData.Do(func() { benchData.data = irisLike(b, benchRows) })
	return benchData.data
}

// reportRows reports rows per second and time per row of rows scored per
// op.
func reportRows(b *testing.B, rows int64) {
	total := float64(b.N) * float64(rows)
	b.ReportMetric(total/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/total, "ns/row")
}

func BenchmarkPlan(b *testing.B) {
	data := benchFile(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Plan(bytes.NewReader(data), 100_000); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScore scores benchRows rows with the reference forest in one
// goroutine.
func BenchmarkScore(b *testing.B) {
	data := benchFile(b)
	for _, includeInput := range []bool{false, true} {
		name := "prediction only"
		if includeInput {
			name = "input included"
		}
		b.Run(name, func(b *testing.B) {
			l, p := irisLayout(b, includeInput)
			ranges, err := Plan(bytes.NewReader(data), benchRows)
			if err != nil {
				b.Fatal(err)
			}
			r := ranges[0]
			records := data[r.Offset : r.Offset+r.Length]
			b.SetBytes(int64(len(records)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Score(context.Background(), bytes.NewReader(records), l, p, io.Discard, nil); err != nil {
					b.Fatal(err)
				}
			}
			reportRows(b, benchRows)
		})
	}
}

// BenchmarkScoreTwoCores scores benchRows rows with the reference forest
// in two goroutines, each scoring one half: the issue asks for 1.5 million
// rows a second on 2 cores.
func BenchmarkScoreTwoCores(b *testing.B) {
	data := benchFile(b)
	l, p := irisLayout(b, false)
	halves, err := Plan(bytes.NewReader(data), benchRows/2)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		errs := make([]error, len(halves))
		var wg sync.WaitGroup
		for i, r := range halves {
			wg.Go(func() {
				_, errs[i] = Score(context.Background(), bytes.NewReader(data[r.Offset:r.Offset+r.Length]), l, p, io.Discard, nil)
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			b.Fatal(err)
		}
	}
	reportRows(b, benchRows)
}

// BenchmarkReadRecords compares reading the benchmark's records and
// parsing their numbers with records and with encoding/csv, the
// alternative Score does not use: it allocates a string per record.
func BenchmarkReadRecords(b *testing.B) {
	data := benchFile(b)
	b.Run("records", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			rec := newRecords(bytes.NewReader(data), scoreBuffer, true)
			for {
				ok, err := rec.next()
				if err != nil {
					b.Fatal(err)
				}
				if !ok {
					break
				}
				for _, f := range rec.fields[:4] {
					csvdata.ParseNumber(transient(f))
				}
			}
		}
		reportRows(b, benchRows)
	})
	b.Run("encoding/csv", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			cr := csv.NewReader(bytes.NewReader(data))
			cr.FieldsPerRecord, cr.ReuseRecord = -1, true
			for {
				rec, err := cr.Read()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					b.Fatal(err)
				}
				for _, f := range rec[:4] {
					csvdata.ParseNumber(f)
				}
			}
		}
		reportRows(b, benchRows)
	})
}

// BenchmarkWriteNDJSON converts the benchmark's scored rows, input
// included, to NDJSON.
func BenchmarkWriteNDJSON(b *testing.B) {
	data := benchFile(b)
	l, p := irisLayout(b, true)
	var out bytes.Buffer
	if _, err := Score(context.Background(), bytes.NewReader(data[bytes.IndexByte(data, '\n')+1:]), l, p, &out, nil); err != nil {
		b.Fatal(err)
	}
	cols := l.Columns()
	b.SetBytes(int64(out.Len()))
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteNDJSON(io.Discard, bytes.NewReader(out.Bytes()), cols); err != nil {
			b.Fatal(err)
		}
	}
	reportRows(b, benchRows)
}
