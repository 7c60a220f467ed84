package api

import (
	"context"
	"slices"
	"strconv"
	"sync"

	"gitlab.com/mlserve/mlserve/model"
)

// fakeVersions is an in-memory model.VersionStore: versions by model name
// (in creation order) and aliases by model name, with the documented
// semantics: numbers count up per name and are never given twice,
// listings paginate with an opaque cursor, aliased versions cannot be
// deleted. Its zero value plus the two maps is ready to use.
type fakeVersions struct {
	mu       sync.Mutex
	versions map[string][]*model.ModelVersion
	aliases  map[string]map[string]int
	// highest is the highest number each name has had, deleted or not.
	highest map[string]int
	// err, when set, fails every call, as a store that is down would.
	err error
}

func (s *fakeVersions) setErr(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.err = err
}

// find returns version v of name, or CodeNotFound. Callers hold mu.
func (s *fakeVersions) find(name string, v int) (*model.ModelVersion, error) {
	for _, mv := range s.versions[name] {
		if mv.Version == v {
			return mv, nil
		}
	}
	return nil, model.Errorf(model.CodeNotFound, "model %q has no version %d", name, v)
}

// latest returns name's highest version, or nil. Callers hold mu.
func (s *fakeVersions) latest(name string) *model.ModelVersion {
	var latest *model.ModelVersion
	for _, mv := range s.versions[name] {
		if latest == nil || mv.Version > latest.Version {
			latest = mv
		}
	}
	return latest
}

func (s *fakeVersions) ResolveVersion(_ context.Context, name string, version int, alias string) (*model.ModelVersion, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return nil, s.err
	}
	switch {
	case version > 0:
		return s.find(name, version)
	case alias != "":
		v, ok := s.aliases[name][alias]
		if !ok {
			return nil, model.Errorf(model.CodeNotFound, "model %q has no alias %q", name, alias)
		}
		return s.find(name, v)
	}
	if v, ok := s.aliases[name][model.AliasProduction]; ok {
		return s.find(name, v)
	}
	if latest := s.latest(name); latest != nil {
		return latest, nil
	}
	return nil, model.Errorf(model.CodeNotFound, "unknown model %q", name)
}

func (s *fakeVersions) CreateVersion(_ context.Context, v *model.ModelVersion) (*model.ModelVersion, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return nil, s.err
	}
	for _, vs := range s.versions {
		for _, mv := range vs {
			if mv.JobID == v.JobID {
				return mv, nil
			}
		}
	}
	if s.versions == nil {
		s.versions = map[string][]*model.ModelVersion{}
	}
	if s.highest == nil {
		s.highest = map[string]int{}
	}
	c := *v
	c.Version = max(s.highest[v.Name], s.latestNumber(v.Name)) + 1
	s.highest[v.Name] = c.Version
	if c.CreatedAt.IsZero() {
		c.CreatedAt = testNow
	}
	s.versions[v.Name] = append(s.versions[v.Name], &c)
	return &c, nil
}

// latestNumber is name's highest version number, 0 when none. Callers
// hold mu.
func (s *fakeVersions) latestNumber(name string) int {
	if latest := s.latest(name); latest != nil {
		return latest.Version
	}
	return 0
}

func (s *fakeVersions) VersionByJob(_ context.Context, jobID string) (*model.ModelVersion, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return nil, s.err
	}
	for _, vs := range s.versions {
		for _, mv := range vs {
			if mv.JobID == jobID {
				return mv, nil
			}
		}
	}
	return nil, model.Errorf(model.CodeNotFound, "job %s created no version", jobID)
}

func (s *fakeVersions) ListVersions(_ context.Context, name string, limit int, cursor string) (*model.VersionPage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return nil, s.err
	}
	if len(s.versions[name]) == 0 {
		return nil, model.Errorf(model.CodeNotFound, "unknown model %q", name)
	}
	before := int(^uint(0) >> 1)
	if cursor != "" {
		n, err := strconv.Atoi(cursor)
		if err != nil {
			return nil, model.Invalid(map[string]string{"cursor": "not a cursor of this listing"})
		}
		before = n
	}
	vs := slices.Clone(s.versions[name])
	slices.SortFunc(vs, func(a, b *model.ModelVersion) int { return b.Version - a.Version })
	page := &model.VersionPage{}
	for _, mv := range vs {
		if mv.Version >= before {
			continue
		}
		if len(page.Versions) == pageLimit(limit) {
			page.NextCursor = strconv.Itoa(page.Versions[len(page.Versions)-1].Version)
			break
		}
		page.Versions = append(page.Versions, mv)
	}
	return page, nil
}

func (s *fakeVersions) DeleteVersion(_ context.Context, name string, version int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	if _, err := s.find(name, version); err != nil {
		return err
	}
	for alias, v := range s.aliases[name] {
		if v == version {
			return model.Errorf(model.CodeConflict, "version %d of model %q is aliased as %q", version, name, alias)
		}
	}
	if s.highest == nil {
		s.highest = map[string]int{}
	}
	s.highest[name] = max(s.highest[name], version)
	s.versions[name] = slices.DeleteFunc(s.versions[name], func(mv *model.ModelVersion) bool { return mv.Version == version })
	return nil
}

// summary is name's summary, or nil when it has no versions. Callers hold
// mu.
func (s *fakeVersions) summary(name string) *model.ModelSummary {
	latest := s.latest(name)
	if latest == nil {
		return nil
	}
	aliases := map[string]int{}
	for a, v := range s.aliases[name] {
		aliases[a] = v
	}
	return &model.ModelSummary{Name: name, LatestVersion: latest.Version, Aliases: aliases, UpdatedAt: testNow}
}

func (s *fakeVersions) Model(_ context.Context, name string) (*model.ModelSummary, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return nil, s.err
	}
	if m := s.summary(name); m != nil {
		return m, nil
	}
	return nil, model.Errorf(model.CodeNotFound, "unknown model %q", name)
}

func (s *fakeVersions) ListModels(_ context.Context, limit int, cursor string) (*model.ModelPage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return nil, s.err
	}
	var names []string
	for name := range s.versions {
		if s.summary(name) != nil && name > cursor {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	page := &model.ModelPage{}
	for _, name := range names {
		if len(page.Models) == pageLimit(limit) {
			page.NextCursor = page.Models[len(page.Models)-1].Name
			break
		}
		page.Models = append(page.Models, s.summary(name))
	}
	return page, nil
}

func (s *fakeVersions) SetAlias(_ context.Context, name, alias string, version int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	if _, err := s.find(name, version); err != nil {
		return err
	}
	if s.aliases == nil {
		s.aliases = map[string]map[string]int{}
	}
	if s.aliases[name] == nil {
		s.aliases[name] = map[string]int{}
	}
	s.aliases[name][alias] = version
	return nil
}

func (s *fakeVersions) DeleteAlias(_ context.Context, name, alias string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	if _, ok := s.aliases[name][alias]; !ok {
		return model.Errorf(model.CodeNotFound, "model %q has no alias %q", name, alias)
	}
	delete(s.aliases[name], alias)
	return nil
}

// pageLimit applies the fake stores' default and cap to limit.
func pageLimit(limit int) int {
	if limit <= 0 || limit > fakeMaxPage {
		return fakeMaxPage
	}
	return limit
}
