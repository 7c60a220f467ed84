package dscache

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"testing"

	"gitlab.com/mlserve/mlserve/model"
)

// memStore holds datasets in memory and counts whole-file reads and range
// reads.
type memStore struct {
	model.DatasetStore // nil: calling anything else panics
	data               map[string][]byte
	corrupt            bool
	whole, ranges      atomic.Int64
}

func (m *memStore) Dataset(_ context.Context, id string) (*model.Dataset, error) {
	b, ok := m.data[id]
	if !ok {
		return nil, model.Errorf(model.CodeNotFound, "unknown dataset %q", id)
	}
	sum := sha256.Sum256(b)
	return &model.Dataset{ID: id, SizeBytes: int64(len(b)), SHA256: hex.EncodeToString(sum[:])}, nil
}

func (m *memStore) OpenDatasetCSV(ctx context.Context, id string) (*model.Dataset, io.ReadCloser, error) {
	ds, err := m.Dataset(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	m.whole.Add(1)
	b := m.data[id]
	if m.corrupt {
		b = bytes.ToUpper(b)
	}
	return ds, io.NopCloser(bytes.NewReader(b)), nil
}

func (m *memStore) OpenDatasetRange(_ context.Context, id string, offset, length int64) (io.ReadCloser, error) {
	m.ranges.Add(1)
	return io.NopCloser(bytes.NewReader(m.data[id][offset : offset+length])), nil
}

func newCache(t *testing.T, store *memStore, maxBytes int64) *Datasets {
	t.Helper()
	d, err := New(store, t.TempDir(), maxBytes, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func read(t *testing.T, d *Datasets, id string, offset, length int64) string {
	t.Helper()
	r, err := d.OpenDatasetRange(context.Background(), id, offset, length)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRangesOfADatasetComeFromOneCopy(t *testing.T) {
	store := &memStore{data: map[string][]byte{"a": []byte("h\n1\n2\n3\n")}}
	d := newCache(t, store, 1<<20)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if got := read(t, d, "a", 2, 4); got != "1\n2\n" {
				t.Errorf("range = %q", got)
			}
		})
	}
	wg.Wait()
	_, r, err := d.OpenDatasetCSV(context.Background(), "a")
	if err != nil {
		t.Fatal(err)
	}
	whole, _ := io.ReadAll(r)
	r.Close()
	if string(whole) != "h\n1\n2\n3\n" {
		t.Errorf("whole file = %q", whole)
	}
	if n := store.whole.Load(); n != 1 {
		t.Errorf("the store was read %d times; want once", n)
	}
}

func TestACopyThatDoesNotMatchItsHashIsRefusedAndNotKept(t *testing.T) {
	store := &memStore{data: map[string][]byte{"a": []byte("h\nx\n")}, corrupt: true}
	d := newCache(t, store, 1<<20)
	_, err := d.OpenDatasetRange(context.Background(), "a", 0, 2)
	if model.ErrorCode(err) != model.CodeCorrupt {
		t.Fatalf("err = %v, want corrupt", err)
	}
	store.corrupt = false
	if got := read(t, d, "a", 2, 2); got != "x\n" {
		t.Errorf("after the store healed: %q", got)
	}
	if n := store.whole.Load(); n != 2 {
		t.Errorf("the store was read %d times; want a second try", n)
	}
}

func TestLeastRecentlyUsedCopiesMakeRoomAndLargeDatasetsAreReadFromTheStore(t *testing.T) {
	store := &memStore{data: map[string][]byte{
		"a": bytes.Repeat([]byte("a"), 40), "b": bytes.Repeat([]byte("b"), 40),
		"c": bytes.Repeat([]byte("c"), 40), "big": bytes.Repeat([]byte("z"), 200),
	}}
	d := newCache(t, store, 100)
	read(t, d, "a", 0, 1)
	read(t, d, "b", 0, 1)
	read(t, d, "a", 0, 1) // a is now more recent than b
	read(t, d, "c", 0, 1) // evicts b
	files, err := os.ReadDir(d.dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, f.Name())
	}
	if len(names) != 2 || names[0] != "a" || names[1] != "c" {
		t.Errorf("copies on disk = %v, want [a c]", names)
	}
	if got := read(t, d, "big", 198, 2); got != "zz" || store.ranges.Load() != 1 {
		t.Errorf("big dataset: %q with %d range reads; want it read from the store", got, store.ranges.Load())
	}
}

func TestARangeOutsideTheDatasetIsInvalid(t *testing.T) {
	d := newCache(t, &memStore{data: map[string][]byte{"a": []byte("h\n")}}, 100)
	if _, err := d.OpenDatasetRange(context.Background(), "a", 1, 5); model.ErrorCode(err) != model.CodeInvalid {
		t.Errorf("err = %v, want invalid", err)
	}
}
