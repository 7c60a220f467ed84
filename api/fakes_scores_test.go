package api

import (
	"context"
	"io"
	"slices"
	"sync"
	"time"

	"gitlab.com/mlserve/mlserve/model"
)

// fakeScores is the part of model.ScoreStore the API uses (Parts,
// OpenPartOutput, and DeleteParts through the job store) over parts and
// output files a test puts in. The methods only workers call belong to the
// nil embedded interface: calling one panics, which the test would notice.
type fakeScores struct {
	model.ScoreStore
	mu    sync.Mutex
	parts map[string][]*model.ScorePart // by job id, in the order Parts returns them
	files map[string][]byte             // output file id → bytes
	// slow delays each output file's first read, as a slow store would.
	slow time.Duration
	// open counts the output files opened and not closed yet.
	open int
}

func newFakeScores() *fakeScores {
	return &fakeScores{parts: map[string][]*model.ScorePart{}, files: map[string][]byte{}}
}

// add stores part index of job jobID, done, with output as its file, and
// returns it.
func (s *fakeScores) add(jobID string, index int, output string) *model.ScorePart {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := &model.ScorePart{ID: model.PartID(jobID, index), JobID: jobID, Index: index, Status: model.PartDone,
		Output: model.PartID(jobID, index) + ".0badc0de", OutputBytes: int64(len(output))}
	s.parts[jobID] = append(s.parts[jobID], p)
	s.files[p.Output] = []byte(output)
	return p
}

// edit changes the stored parts of jobID.
func (s *fakeScores) edit(jobID string, f func(parts []*model.ScorePart) []*model.ScorePart) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.parts[jobID] = f(s.parts[jobID])
}

// removeFile deletes an output file, as a store that lost it would.
func (s *fakeScores) removeFile(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.files, id)
}

// held reports how many parts and files the store holds and how many files
// are open.
func (s *fakeScores) held() (parts, files, open int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ps := range s.parts {
		parts += len(ps)
	}
	return parts, len(s.files), s.open
}

func (s *fakeScores) Parts(_ context.Context, jobID string) ([]*model.ScorePart, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	parts := make([]*model.ScorePart, 0, len(s.parts[jobID]))
	for _, p := range s.parts[jobID] {
		c := *p
		parts = append(parts, &c)
	}
	return parts, nil
}

func (s *fakeScores) DeleteParts(_ context.Context, jobID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.parts[jobID] {
		delete(s.files, p.Output)
	}
	delete(s.parts, jobID)
	return nil
}

func (s *fakeScores) OpenPartOutput(_ context.Context, p *model.ScorePart) (io.ReadCloser, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.files[p.Output]
	if !ok {
		return nil, model.Errorf(model.CodeNotFound, "no output file %s", p.Output)
	}
	s.open++
	return &fakeOutput{store: s, data: slices.Clone(b), delay: s.slow}, nil
}

// fakeOutput reads an output file, after a delay on its first read.
type fakeOutput struct {
	store  *fakeScores
	data   []byte
	delay  time.Duration
	closed bool
}

func (o *fakeOutput) Read(p []byte) (int, error) {
	if o.delay > 0 {
		time.Sleep(o.delay)
		o.delay = 0
	}
	if len(o.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p, o.data)
	o.data = o.data[n:]
	return n, nil
}

func (o *fakeOutput) Close() error {
	o.store.mu.Lock()
	defer o.store.mu.Unlock()
	if !o.closed {
		o.closed = true
		o.store.open--
	}
	return nil
}
