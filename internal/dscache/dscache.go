// Package dscache keeps local copies of datasets for a worker, so that the
// parts of a score job, and the trainings on a dataset, read their rows
// from local disk rather than from the store.
//
// With MongoDB a part's rows are one indexed range query away and no copy
// is needed (worker.dataset_cache 0). The embedded FerretDB of mlserve-dev
// answers every GridFS chunk query by decoding the whole bucket, so reading
// N parts' ranges, or training N models on one dataset, costs N scans of
// every dataset stored; one copy per worker costs one.
package dscache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"gitlab.com/mlserve/mlserve/model"
)

// Datasets is a model.DatasetStore whose OpenDatasetCSV and
// OpenDatasetRange read a local copy of the dataset, made from the store on
// first use and checked against the dataset's sha256. Datasets never change,
// so a copy never goes stale. Copies take at most maxBytes of disk; the
// least recently used ones not being read are removed to make room, and a
// dataset larger than maxBytes is read from the store.
type Datasets struct {
	model.DatasetStore
	dir      string
	maxBytes int64
	logger   *slog.Logger

	mu     sync.Mutex
	copies map[string]*copyFile
	used   int64  // bytes of the complete copies
	clock  uint64 // orders uses, for the LRU
}

// downloadTimeout bounds making one copy.
const downloadTimeout = time.Hour

// copyFile is one dataset's local copy, complete when ready is closed and
// err is nil.
type copyFile struct {
	path    string
	size    int64
	ready   chan struct{}
	err     error
	readers int
	lastUse uint64
}

// New returns a cache of copies of store's datasets in a new directory
// under dir (os.TempDir() when ""). Close removes it.
func New(store model.DatasetStore, dir string, maxBytes int64, logger *slog.Logger) (*Datasets, error) {
	d, err := os.MkdirTemp(dir, "mlserve-datasets-")
	if err != nil {
		return nil, fmt.Errorf("dataset cache: %w", err)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Datasets{DatasetStore: store, dir: d, maxBytes: maxBytes, logger: logger, copies: map[string]*copyFile{}}, nil
}

// Close removes every copy. Readers still open keep working on Linux (the
// files are unlinked, not truncated).
func (d *Datasets) Close() error {
	return os.RemoveAll(d.dir)
}

// OpenDatasetCSV implements model.DatasetStore from the local copy.
func (d *Datasets) OpenDatasetCSV(ctx context.Context, id string) (*model.Dataset, io.ReadCloser, error) {
	ds, err := d.Dataset(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	r, err := d.open(ctx, ds, 0, ds.SizeBytes)
	if err != nil {
		return nil, nil, err
	}
	return ds, r, nil
}

// OpenDatasetRange implements model.DatasetStore from the local copy.
func (d *Datasets) OpenDatasetRange(ctx context.Context, id string, offset, length int64) (io.ReadCloser, error) {
	ds, err := d.Dataset(ctx, id)
	if err != nil {
		return nil, err
	}
	if offset < 0 || length < 0 || offset+length > ds.SizeBytes {
		return nil, model.Errorf(model.CodeInvalid, "range [%d, %d) is outside dataset %s of %d bytes", offset, offset+length, id, ds.SizeBytes)
	}
	return d.open(ctx, ds, offset, length)
}

// open returns a reader of a range of ds's copy, making the copy first.
func (d *Datasets) open(ctx context.Context, ds *model.Dataset, offset, length int64) (io.ReadCloser, error) {
	if ds.SizeBytes > d.maxBytes {
		return d.DatasetStore.OpenDatasetRange(ctx, ds.ID, offset, length)
	}
	c, err := d.acquire(ctx, ds)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(c.path)
	if err != nil {
		d.release(c)
		return nil, fmt.Errorf("open the copy of dataset %s: %w", ds.ID, err)
	}
	return &copyReader{SectionReader: io.NewSectionReader(f, offset, length), f: f, done: func() { d.release(c) }}, nil
}

// acquire returns ds's complete copy, counted as read until release, making
// it when there is none. Concurrent callers share one download.
func (d *Datasets) acquire(ctx context.Context, ds *model.Dataset) (*copyFile, error) {
	d.mu.Lock()
	c, ok := d.copies[ds.ID]
	if !ok {
		c = &copyFile{path: filepath.Join(d.dir, ds.ID), size: ds.SizeBytes, ready: make(chan struct{})}
		d.copies[ds.ID] = c
		// The download is shared, so no one caller's cancellation stops it.
		go d.fill(ds, c)
	}
	c.readers++
	d.mu.Unlock()
	select {
	case <-c.ready:
	case <-ctx.Done():
		d.release(c)
		return nil, context.Cause(ctx)
	}
	if c.err != nil {
		d.release(c)
		return nil, c.err
	}
	return c, nil
}

// fill downloads ds into c and makes room for it. A failed copy is
// forgotten, so the next use tries again.
func (d *Datasets) fill(ds *model.Dataset, c *copyFile) {
	ctx, cancel := context.WithTimeout(context.Background(), downloadTimeout)
	c.err = download(ctx, d.DatasetStore, ds, c.path)
	cancel()
	d.mu.Lock()
	defer d.mu.Unlock()
	if c.err != nil {
		delete(d.copies, ds.ID)
		_ = os.Remove(c.path)
	} else {
		d.used += c.size
		d.evictLocked()
	}
	close(c.ready)
}

// download copies the dataset's raw bytes to path, checking them against
// the dataset's size and sha256.
func download(ctx context.Context, store model.DatasetStore, ds *model.Dataset, path string) error {
	_, r, err := store.OpenDatasetCSV(ctx, ds.ID)
	if err != nil {
		return err
	}
	defer r.Close()
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("copy dataset %s: %w", ds.ID, err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	switch {
	case err != nil:
		return fmt.Errorf("copy dataset %s: %w", ds.ID, err)
	case n != ds.SizeBytes || hex.EncodeToString(h.Sum(nil)) != ds.SHA256:
		return model.Errorf(model.CodeCorrupt, "dataset %s does not match its size and sha256", ds.ID)
	}
	return nil
}

// release ends one read of c.
func (d *Datasets) release(c *copyFile) {
	d.mu.Lock()
	defer d.mu.Unlock()
	c.readers--
	d.clock++
	c.lastUse = d.clock
	d.evictLocked()
}

// evictLocked removes least recently used copies nobody reads until the
// complete ones fit in maxBytes.
func (d *Datasets) evictLocked() {
	for d.used > d.maxBytes {
		var oldest *copyFile
		var oldestID string
		for id, c := range d.copies {
			if c.readers > 0 || !isClosed(c.ready) || c.err != nil {
				continue
			}
			if oldest == nil || c.lastUse < oldest.lastUse {
				oldest, oldestID = c, id
			}
		}
		if oldest == nil {
			return // every copy is in use; they go when released
		}
		delete(d.copies, oldestID)
		d.used -= oldest.size
		if err := os.Remove(oldest.path); err != nil {
			d.logger.Warn("remove a dataset copy", "dataset", oldestID, "err", err)
		}
	}
}

func isClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// copyReader reads a section of a copy and ends the read at Close.
type copyReader struct {
	*io.SectionReader
	f    *os.File
	once sync.Once
	done func()
}

func (r *copyReader) Close() error {
	err := r.f.Close()
	r.once.Do(r.done)
	return err
}
