package modelcache

import (
	"context"
	"sync"
	"testing"

	"gitlab.com/mlserve/mlserve/model"
)

func TestResolve(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for range 3 {
		e.addVersion(t, "iris", 10)
	}
	e.addVersion(t, "wine", 10)
	e.setAlias(t, "iris", "staging", 1)
	e.setAlias(t, "wine", model.AliasProduction, 1)
	c := e.newCache(1000)

	for _, tc := range []struct {
		name        string
		model       string
		version     int
		alias       string
		want        int
		wantErrCode string
	}{
		{"a bare name without production resolves to the latest version", "iris", 0, "", 3, ""},
		{"a bare name resolves to production when it exists", "wine", 0, "", 1, ""},
		{"an alias resolves to its version", "iris", 0, "staging", 1, ""},
		{"a version resolves to itself", "iris", 2, "", 2, ""},
		{"a version wins over an alias", "iris", 2, "staging", 2, ""},
		{"an unknown model is not found", "cars", 0, "", 0, model.CodeNotFound},
		{"an unknown alias is not found", "iris", 0, "production", 0, model.CodeNotFound},
		{"an unknown version is not found", "iris", 9, "", 0, model.CodeNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Twice: the second answer comes from the cache.
			for range 2 {
				got, err := resolve(t, c, tc.model, tc.version, tc.alias)
				wantCode(t, err, tc.wantErrCode)
				if got != tc.want {
					t.Fatalf("resolved version %d, want %d", got, tc.want)
				}
			}
		})
	}
	t.Run("each version was loaded once", func(t *testing.T) {
		for _, tag := range []string{"iris@1", "iris@2", "iris@3", "wine@1"} {
			if n := e.loader.count(tag); n != 1 {
				t.Errorf("%s loaded %d times", tag, n)
			}
		}
	})
	t.Run("a cached name resolves without the store", func(t *testing.T) {
		// The store answers nothing any more: only the cache can.
		if err := e.store.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		if v := mustResolve(t, c, "iris", 0, ""); v != 3 {
			t.Fatalf("resolved version %d, want 3", v)
		}
	})
}

// memStore is the smallest registry: one model, one version, whose
// artifact is always there. Other methods panic.
type memStore struct {
	model.VersionStore
	model.ArtifactStore
}

func (memStore) ResolveVersion(_ context.Context, name string, _ int, _ string) (*model.ModelVersion, error) {
	return &model.ModelVersion{Name: name, Version: 1}, nil
}

func (memStore) LoadArtifact(_ context.Context, v *model.ModelVersion) ([]byte, error) {
	return []byte(v.Name + "@1 10"), nil
}

// Not parallel, and on an in-memory store: AllocsPerRun counts every
// allocation of the process.
func TestResolveFromTheCacheAllocatesNothing(t *testing.T) {
	c := New(Options{Versions: memStore{}, Artifacts: memStore{}, Loader: &fakeLoader{}, MaxBytes: 100})
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		version int
		alias   string
	}{
		{"a bare name", 0, ""},
		{"an alias", 0, "staging"},
		{"a version", 1, ""},
	} {
		mustResolve(t, c, "iris", tc.version, tc.alias)
		if allocs := testing.AllocsPerRun(100, func() { _, _, _ = c.Resolve(ctx, "iris", tc.version, tc.alias) }); allocs != 0 {
			t.Errorf("resolving %s costs %v allocations, want 0", tc.name, allocs)
		}
	}
}

func TestSingleFlight(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		version int
		callers func(c *Cache) int
	}{
		{"100 concurrent first requests for a bare name load it once", 0,
			func(c *Cache) int { return c.resolve.callers(routeKey{"iris", ""}) }},
		{"100 concurrent first requests for a version load it once", 2,
			func(c *Cache) int { return c.loads.callers(versionKey{"iris", 2}) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.addVersion(t, "iris", 10)
			e.addVersion(t, "iris", 10)
			e.loader.gate = make(chan struct{})
			c := e.newCache(1000)

			const n = 100
			var wg sync.WaitGroup
			errs := make(chan error, n)
			for range n {
				wg.Go(func() {
					mv, p, err := c.Resolve(context.Background(), "iris", tc.version, "")
					if err == nil {
						err = matches(mv, p)
					}
					if err == nil && mv.Version != 2 {
						err = model.Errorf(model.CodeInternal, "resolved version %d, want 2", mv.Version)
					}
					errs <- err
				})
			}
			// Every request waits on the one load, which the gate holds.
			waitFor(t, "100 callers share the load", func() bool { return tc.callers(c) == n })
			close(e.loader.gate)
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			if got := e.loader.count("iris@2"); got != 1 {
				t.Fatalf("loaded %d times, want once", got)
			}
		})
	}

	t.Run("a request that gives up does not fail the load the others wait for", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.addVersion(t, "iris", 10)
		e.loader.gate = make(chan struct{})
		c := e.newCache(1000)

		ctx, cancel := context.WithCancel(context.Background())
		first := make(chan error, 1)
		go func() {
			_, _, err := c.Resolve(ctx, "iris", 1, "")
			first <- err
		}()
		waitFor(t, "the first request loads", func() bool { return e.loader.count("iris@1") == 1 })
		cancel()
		if err := <-first; err != context.Canceled {
			t.Fatalf("the request that gave up got %v, want context.Canceled", err)
		}
		close(e.loader.gate)
		if v := mustResolve(t, c, "iris", 1, ""); v != 1 || e.loader.count("iris@1") != 1 {
			t.Fatalf("resolved %d after %d loads, want version 1 after one load", v, e.loader.count("iris@1"))
		}
	})
}

func TestEviction(t *testing.T) {
	t.Parallel()

	t.Run("the least recently used versions go when a load passes the budget", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		for range 4 {
			e.addVersion(t, "iris", 100)
		}
		c := e.newCache(250)
		mustResolve(t, c, "iris", 1, "")
		mustResolve(t, c, "iris", 2, "")
		mustResolve(t, c, "iris", 1, "") // 2 is now the least recently used
		mustResolve(t, c, "iris", 3, "") // 300 bytes: 2 goes
		mustResolve(t, c, "iris", 1, "")
		mustResolve(t, c, "iris", 3, "")
		if e.loader.count("iris@1") != 1 || e.loader.count("iris@3") != 1 {
			t.Fatalf("recently used versions were loaded again: %v", e.loader.loads)
		}
		mustResolve(t, c, "iris", 2, "") // 1 goes
		if e.loader.count("iris@2") != 2 {
			t.Fatalf("the evicted version was loaded %d times, want twice", e.loader.count("iris@2"))
		}
		mustResolve(t, c, "iris", 1, "")
		if e.loader.count("iris@1") != 2 {
			t.Fatalf("version 1 was loaded %d times, want twice (evicted by 2)", e.loader.count("iris@1"))
		}
		if c.used > 250 || len(c.versions) != 2 {
			t.Fatalf("the cache holds %d bytes in %d versions, want at most 250 in 2", c.used, len(c.versions))
		}
	})

	t.Run("a version an alias resolves to is evicted too, and reloads on its next use", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.addVersion(t, "iris", 100)
		e.addVersion(t, "wine", 100)
		c := e.newCache(150)
		mustResolve(t, c, "iris", 0, "")
		mustResolve(t, c, "wine", 0, "")
		if _, ok := c.routes[routeKey{"iris", ""}]; ok {
			t.Fatal("the route to an evicted version stays")
		}
		if v := mustResolve(t, c, "iris", 0, ""); v != 1 || e.loader.count("iris@1") != 2 {
			t.Fatalf("resolved %d after %d loads, want 1 after 2", v, e.loader.count("iris@1"))
		}
	})

	t.Run("a version larger than the whole budget is refused, once", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.addVersion(t, "iris", 100)
		e.addVersion(t, "iris", 1000)
		c := e.newCache(500)
		mustResolve(t, c, "iris", 1, "")
		for range 3 {
			_, err := resolve(t, c, "iris", 2, "")
			wantCode(t, err, model.CodeUnavailable)
		}
		if e.loader.count("iris@2") != 1 {
			t.Fatalf("the refused version was loaded %d times, want once", e.loader.count("iris@2"))
		}
		if v := mustResolve(t, c, "iris", 1, ""); v != 1 || e.loader.count("iris@1") != 1 {
			t.Fatal("refusing a version evicted another")
		}
	})
}
