package api

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"gitlab.com/mlserve/mlserve/model"
)

// fakeDatasets is an in-memory model.DatasetStore keeping each dataset's
// raw bytes, with the documented semantics: CreateDataset keeps nothing
// unless inspect succeeds, listings are newest first with an opaque cursor,
// DeleteDataset refuses while a live job of jobs uses the dataset.
type fakeDatasets struct {
	mu    sync.Mutex
	docs  map[string]*model.Dataset
	files map[string][]byte
	order []string // ids in creation order
	seq   int
	now   func() time.Time
	jobs  *fakeJobs // for DeleteDataset's check; nil means no jobs
	// createErr, when set, fails CreateDataset after a successful
	// inspection, as a store going down mid-upload would.
	createErr error
}

// newFakeDatasets returns a store holding docs, each with an empty file.
func newFakeDatasets(now func() time.Time, jobs *fakeJobs, docs ...*model.Dataset) *fakeDatasets {
	s := &fakeDatasets{docs: map[string]*model.Dataset{}, files: map[string][]byte{}, now: now, jobs: jobs}
	for _, d := range docs {
		s.docs[d.ID], s.files[d.ID] = d, nil
		s.order = append(s.order, d.ID)
	}
	return s
}

func cloneDataset(d *model.Dataset) *model.Dataset {
	c := *d
	c.Columns = slices.Clone(d.Columns)
	return &c
}

func (s *fakeDatasets) Dataset(_ context.Context, id string) (*model.Dataset, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d, ok := s.docs[id]; ok {
		return cloneDataset(d), nil
	}
	return nil, model.Errorf(model.CodeNotFound, "unknown dataset %q", id)
}

func (s *fakeDatasets) ListDatasets(_ context.Context, limit int, cursor string) (*model.DatasetPage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if limit <= 0 || limit > fakeMaxPage {
		limit = fakeMaxPage
	}
	start := len(s.order) - 1
	if cursor != "" {
		i := slices.Index(s.order, cursor)
		if i < 0 {
			return nil, model.Invalid(map[string]string{"cursor": "not a cursor of this listing"})
		}
		start = i - 1
	}
	page := &model.DatasetPage{}
	for i := start; i >= 0; i-- {
		d, ok := s.docs[s.order[i]]
		if !ok {
			continue
		}
		if len(page.Datasets) == limit {
			page.NextCursor = page.Datasets[len(page.Datasets)-1].ID
			break
		}
		page.Datasets = append(page.Datasets, summarize(d))
	}
	return page, nil
}

// summarize is d as a listing shows it.
func summarize(d *model.Dataset) *model.DatasetSummary {
	return &model.DatasetSummary{ID: d.ID, Name: d.Name, Rows: d.Rows, ColumnCount: len(d.Columns),
		SizeBytes: d.SizeBytes, SHA256: d.SHA256, CreatedAt: d.CreatedAt}
}

func (s *fakeDatasets) CreateDataset(_ context.Context, name string, r io.Reader, inspect model.DatasetInspector) (*model.Dataset, error) {
	var file bytes.Buffer
	d, err := inspect(io.TeeReader(r, &file))
	if err != nil {
		return nil, fmt.Errorf("create dataset: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.createErr != nil {
		return nil, s.createErr
	}
	if d.SizeBytes != int64(file.Len()) {
		return nil, fmt.Errorf("create dataset: inspected %d bytes of %d", d.SizeBytes, file.Len())
	}
	s.seq++
	d.ID, d.Name, d.CreatedAt = fmt.Sprintf("%024x", 0xda7a0000+s.seq), name, s.now()
	s.docs[d.ID], s.files[d.ID] = cloneDataset(d), file.Bytes()
	s.order = append(s.order, d.ID)
	return d, nil
}

func (s *fakeDatasets) OpenDatasetCSV(_ context.Context, id string) (*model.Dataset, io.ReadCloser, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.docs[id]
	if !ok {
		return nil, nil, model.Errorf(model.CodeNotFound, "unknown dataset %q", id)
	}
	return cloneDataset(d), io.NopCloser(bytes.NewReader(s.files[id])), nil
}

func (s *fakeDatasets) OpenDatasetRange(_ context.Context, id string, offset, length int64) (io.ReadCloser, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.docs[id]; !ok {
		return nil, model.Errorf(model.CodeNotFound, "unknown dataset %q", id)
	}
	f := s.files[id]
	if offset < 0 || length < 0 || offset > int64(len(f))-length {
		return nil, model.Errorf(model.CodeInvalid, "range %d+%d is outside dataset %s's %d bytes", offset, length, id, len(f))
	}
	return io.NopCloser(bytes.NewReader(f[offset : offset+length])), nil
}

func (s *fakeDatasets) DeleteDataset(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if job := s.jobs.liveJobUsing(id); job != nil {
		return model.Errorf(model.CodeConflict, "dataset %s is used by %s job %s", id, job.Status, job.ID)
	}
	if _, ok := s.docs[id]; !ok {
		return model.Errorf(model.CodeNotFound, "unknown dataset %q", id)
	}
	delete(s.docs, id)
	delete(s.files, id)
	return nil
}

// stored returns the ids of the datasets held, oldest first.
func (s *fakeDatasets) stored() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for _, id := range s.order {
		if _, ok := s.docs[id]; ok {
			ids = append(ids, id)
		}
	}
	return ids
}

// file returns dataset id's raw bytes.
func (s *fakeDatasets) file(id string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.files[id]
}

func (s *fakeDatasets) setCreateErr(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.createErr = err
}

// liveJobUsing returns a queued or running job whose request names
// dataset, or nil; a nil store has no jobs.
func (s *fakeJobs) liveJobUsing(dataset string) *model.Job {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range s.order {
		if j, ok := s.jobs[id]; ok && !j.Status.Terminal() && j.Request.Dataset == dataset {
			return clone(j)
		}
	}
	return nil
}

// failingDatasets fails every call with err.
type failingDatasets struct{ err error }

func (f failingDatasets) Dataset(context.Context, string) (*model.Dataset, error) { return nil, f.err }

func (f failingDatasets) ListDatasets(context.Context, int, string) (*model.DatasetPage, error) {
	return nil, f.err
}

func (f failingDatasets) CreateDataset(context.Context, string, io.Reader, model.DatasetInspector) (*model.Dataset, error) {
	return nil, f.err
}

func (f failingDatasets) OpenDatasetCSV(context.Context, string) (*model.Dataset, io.ReadCloser, error) {
	return nil, nil, f.err
}

func (f failingDatasets) OpenDatasetRange(context.Context, string, int64, int64) (io.ReadCloser, error) {
	return nil, f.err
}

func (f failingDatasets) DeleteDataset(context.Context, string) error { return f.err }
