package mongo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"gitlab.com/mlserve/mlserve/internal/config"
	"gitlab.com/mlserve/mlserve/internal/csvdata"
	"gitlab.com/mlserve/mlserve/internal/embedded"
	"gitlab.com/mlserve/mlserve/model"
)

// inspectCSV is the inspector the API passes to CreateDataset, without
// limits.
func inspectCSV(r io.Reader) (*model.Dataset, error) {
	sum, err := csvdata.Inspect(r, csvdata.Limits{})
	if err != nil {
		return nil, err
	}
	return &model.Dataset{Rows: sum.Rows, Columns: sum.Columns, SizeBytes: sum.SizeBytes, SHA256: sum.SHA256}, nil
}

// bigCSV is a valid CSV of rows data rows; 50,000 rows span three GridFS
// chunks.
func bigCSV(rows int) string {
	var b strings.Builder
	b.WriteString("sepal_length,species\n")
	for i := range rows {
		fmt.Fprintf(&b, "%d.5,setosa\n", i)
	}
	return b.String()
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// createDataset uploads csv through CreateDataset and fails tb on error.
func createDataset(tb testing.TB, s *Store, name, csv string) *model.Dataset {
	tb.Helper()
	d, err := s.CreateDataset(context.Background(), name, strings.NewReader(csv), inspectCSV)
	if err != nil {
		tb.Fatalf("create dataset: %v", err)
	}
	return d
}

// stored counts the dataset documents and the datasets bucket's file
// documents and chunks.
func stored(tb testing.TB, s *Store) (datasets, files, chunks int64) {
	tb.Helper()
	count := func(coll string) int64 {
		n, err := s.db.Collection(coll).CountDocuments(context.Background(), bson.D{})
		if err != nil {
			tb.Fatalf("count %s: %v", coll, err)
		}
		return n
	}
	return count(collDatasets), count(BucketDatasets + ".files"), count(BucketDatasets + ".chunks")
}

// readCSV downloads dataset id's raw bytes.
func readCSV(tb testing.TB, s *Store, id string) (*model.Dataset, string) {
	tb.Helper()
	d, rc, err := s.OpenDatasetCSV(context.Background(), id)
	if err != nil {
		tb.Fatalf("open dataset csv: %v", err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		tb.Fatalf("read dataset csv: %v", err)
	}
	return d, string(b)
}

func TestCreateDataset(t *testing.T) {
	t.Parallel()
	s := newStore(t)

	t.Run("a CSV of several chunks is stored whole and reads back byte for byte", func(t *testing.T) {
		csv := bigCSV(50_000)
		if len(csv) < 2*chunkSize {
			t.Fatalf("the fixture has %d bytes, fewer than two chunks", len(csv))
		}
		d := createDataset(t, s, "big", csv)
		want := &model.Dataset{
			ID: d.ID, Name: "big", Rows: 50_000, SizeBytes: int64(len(csv)), SHA256: sha256Hex(csv), CreatedAt: d.CreatedAt,
			Columns: []model.Column{
				{Name: "sepal_length", Type: model.ColumnNumber, Distinct: model.DistinctCap, Fractional: true}, // every row differs
				{Name: "species", Type: model.ColumnString, Distinct: 1},
			},
		}
		if !reflect.DeepEqual(d, want) || len(d.ID) != 24 || d.CreatedAt.IsZero() {
			t.Fatalf("created\n%+v\nwant\n%+v", d, want)
		}
		got, err := s.Dataset(context.Background(), d.ID)
		if err != nil || !reflect.DeepEqual(got, d) {
			t.Fatalf("read back %+v, %v", got, err)
		}
		doc, body := readCSV(t, s, d.ID)
		if !reflect.DeepEqual(doc, d) || body != csv {
			t.Fatalf("download gave %d bytes of dataset %+v", len(body), doc)
		}
	})
	t.Run("a CSV smaller than a chunk is stored too", func(t *testing.T) {
		csv := "x,y\n1,2\n"
		d := createDataset(t, s, "tiny", csv)
		if _, body := readCSV(t, s, d.ID); body != csv {
			t.Fatalf("download gave %q", body)
		}
	})
}

// failingReader yields data, then fails with err.
type failingReader struct {
	data io.Reader
	err  error
}

func (r *failingReader) Read(p []byte) (int, error) {
	n, err := r.data.Read(p)
	if errors.Is(err, io.EOF) {
		return n, r.err
	}
	return n, err
}

func TestCreateDatasetFailureLeavesNothing(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	errGone := errors.New("client went away")
	big := bigCSV(50_000)

	tests := []struct {
		name    string
		body    io.Reader
		ctx     func() (context.Context, context.CancelFunc)
		inspect model.DatasetInspector
		check   func(t *testing.T, err error)
	}{
		{
			name: "a ragged row after several chunks is the inspector's error",
			body: strings.NewReader(big + "1.5,setosa,extra\n"),
			check: func(t *testing.T, err error) {
				wantCode(t, err, model.CodeInvalid)
				if !strings.Contains(err.Error(), "line 50002") {
					t.Errorf("error %q does not name line 50002", err)
				}
			},
		},
		{
			name: "a body that fails after several chunks is the body's error",
			body: &failingReader{data: strings.NewReader(big), err: errGone},
			check: func(t *testing.T, err error) {
				if !errors.Is(err, errGone) {
					t.Errorf("error %v does not wrap the body's", err)
				}
			},
		},
		{
			name: "an inspector that stops early and claims success is refused",
			body: strings.NewReader(big),
			inspect: func(r io.Reader) (*model.Dataset, error) {
				_, _ = io.CopyN(io.Discard, r, chunkSize+100)
				return &model.Dataset{SizeBytes: int64(len(big))}, nil
			},
			check: func(t *testing.T, err error) { wantCode(t, err, model.CodeInternal) },
		},
		{
			name: "a request canceled after the inspection ends the upload",
			body: strings.NewReader(big),
			ctx:  func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) },
			check: func(t *testing.T, err error) {
				if !errors.Is(err, context.Canceled) {
					t.Errorf("error %v is not context.Canceled", err)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.Background(), context.CancelFunc(func() {})
			if tt.ctx != nil {
				ctx, cancel = tt.ctx()
			}
			defer cancel()
			inspect := tt.inspect
			if inspect == nil {
				inspect = inspectCSV
			}
			if tt.ctx != nil {
				// The client hangs up once its body has been read.
				inspect = func(r io.Reader) (*model.Dataset, error) {
					d, err := inspectCSV(r)
					cancel()
					return d, err
				}
			}
			d, err := s.CreateDataset(ctx, "broken", tt.body, inspect)
			if err == nil {
				t.Fatalf("created %+v", d)
			}
			tt.check(t, err)
			if datasets, files, chunks := stored(t, s); datasets+files+chunks != 0 {
				t.Fatalf("left %d datasets, %d files, %d chunks", datasets, files, chunks)
			}
		})
	}
}

func TestCreateDatasetStoreDown(t *testing.T) {
	t.Parallel()
	uri, stop, err := embedded.StartMongo(context.Background(), t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	s := withShortTimeout(openStore(t, config.Mongo{URI: uri, Database: "test", Timeout: 10 * time.Second}))
	stop()

	_, err = s.CreateDataset(context.Background(), "iris", strings.NewReader("x,y\n1,2\n"), inspectCSV)
	wantCode(t, err, model.CodeUnavailable)
}

func TestOpenDatasetCSV(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	_, _, err := s.OpenDatasetCSV(context.Background(), bson.NewObjectID().Hex())
	wantCode(t, err, model.CodeNotFound)
}

func TestDatasets(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)

	d := &model.Dataset{Name: "iris", Rows: 150, Columns: []model.Column{{Name: "species", Type: model.ColumnString}}, SizeBytes: 4551, SHA256: "ab"}
	if err := s.InsertDataset(ctx, d); err != nil {
		t.Fatal(err)
	}
	got, err := s.Dataset(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, d) {
		t.Errorf("read back\n%+v\nwant\n%+v", got, d)
	}
	wantCode(t, s.InsertDataset(ctx, d), model.CodeConflict)
	_, err = s.Dataset(ctx, "0123456789abcdef01234567")
	wantCode(t, err, model.CodeNotFound)
}
