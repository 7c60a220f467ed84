package modelcache

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"gitlab.com/mlserve/mlserve/internal/config"
	"gitlab.com/mlserve/mlserve/internal/embedded"
	"gitlab.com/mlserve/mlserve/internal/redisx"
	"gitlab.com/mlserve/mlserve/internal/testenv"
	"gitlab.com/mlserve/mlserve/model"
)

var _ Watcher = (*redisx.Subscriber)(nil)

// The refresh timer is an hour unless a test wants it, so that what a test
// sees comes from what it tests.

func TestPromotion(t *testing.T) {
	t.Parallel()

	t.Run("a change notice over Redis makes a promoted version serve", func(t *testing.T) {
		t.Parallel()
		rdb := redis.NewClient(&redis.Options{Addr: testenv.Redis(t)})
		t.Cleanup(func() { _ = rdb.Close() })
		e := newEnv(t)
		e.addVersion(t, "iris", 10)
		e.addVersion(t, "iris", 10)
		e.setAlias(t, "iris", model.AliasProduction, 1)
		c := e.newCache(1000, func(o *Options) { o.Watcher = redisx.NewSubscriber(rdb, nil) })
		run(t, c)
		if v := mustResolve(t, c, "iris", 0, ""); v != 1 {
			t.Fatalf("serves version %d, want 1", v)
		}
		waitFor(t, "the cache subscribes", func() bool {
			return rdb.PubSubNumSub(context.Background(), redisx.ModelsChannel).Val()[redisx.ModelsChannel] == 1
		})

		e.setAlias(t, "iris", model.AliasProduction, 2)
		if err := redisx.NewPublisher(rdb).ModelChanged(context.Background(), "iris"); err != nil {
			t.Fatal(err)
		}
		waitServed(t, c, "iris", "", 2)

		// The resync that follows subscribing may have raced the first
		// move; this one only a notice can bring.
		e.setAlias(t, "iris", model.AliasProduction, 1) // roll back
		if err := redisx.NewPublisher(rdb).ModelChanged(context.Background(), "iris"); err != nil {
			t.Fatal(err)
		}
		waitServed(t, c, "iris", "", 1)
		if n := e.loader.count("iris@1"); n != 1 {
			t.Errorf("version 1 was loaded %d times; rolling back to a cached version loads nothing", n)
		}
	})

	t.Run("the refresh timer alone makes a promoted version serve", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.addVersion(t, "iris", 10)
		e.addVersion(t, "iris", 10)
		e.setAlias(t, "iris", "staging", 1)
		c := e.newCache(1000, func(o *Options) { o.Refresh = 50 * time.Millisecond })
		run(t, c)
		if v := mustResolve(t, c, "iris", 0, "staging"); v != 1 {
			t.Fatalf("serves version %d, want 1", v)
		}
		e.setAlias(t, "iris", "staging", 2)
		waitServed(t, c, "iris", "staging", 2)
	})

	t.Run("a new version reaches a bare name without production", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.addVersion(t, "iris", 10)
		c := e.newCache(1000, func(o *Options) { o.Refresh = 50 * time.Millisecond })
		run(t, c)
		mustResolve(t, c, "iris", 0, "")
		e.addVersion(t, "iris", 10)
		waitServed(t, c, "iris", "", 2)
	})
}

func TestBrokenVersionsAreRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		spoil func(t *testing.T, e *env) int
	}{
		{"an artifact that fails its sha256", func(t *testing.T, e *env) int {
			v := e.addVersion(t, "iris", 10)
			e.corruptArtifact(t, "iris", v)
			return v
		}},
		{"an artifact the loader cannot read", func(t *testing.T, e *env) int {
			return e.addBrokenVersion(t, "iris")
		}},
	} {
		t.Run(tc.name+" is refused and the old version keeps serving", func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.addVersion(t, "iris", 10)
			e.setAlias(t, "iris", model.AliasProduction, 1)
			broken := tc.spoil(t, e)
			c := e.newCache(1000, func(o *Options) { o.Refresh = 50 * time.Millisecond })
			run(t, c)
			mustResolve(t, c, "iris", 0, "")

			e.setAlias(t, "iris", model.AliasProduction, broken)
			// Twice refused: the refresh tries again, and still refuses.
			waitFor(t, "the broken version is refused twice", func() bool {
				return e.logs.count("new model version refused") >= 2
			})
			if v := mustResolve(t, c, "iris", 0, ""); v != 1 {
				t.Fatalf("serves version %d, want 1", v)
			}
			_, err := resolve(t, c, "iris", broken, "")
			wantCode(t, err, model.CodeCorrupt)

			good := e.addVersion(t, "iris", 10)
			e.setAlias(t, "iris", model.AliasProduction, good)
			waitServed(t, c, "iris", "", good)
		})
	}
}

func TestStoreDown(t *testing.T) {
	t.Parallel()
	uri, stop, err := embedded.StartMongo(context.Background(), t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	e := newEnvOn(t, config.Mongo{URI: uri, Database: "test", Timeout: 10 * time.Second})
	e.addVersion(t, "iris", 10)
	e.addVersion(t, "iris", 10)
	e.setAlias(t, "iris", "staging", 2)
	// The cache's own store gives up quickly once the server is gone.
	store := openStore(t, config.Mongo{URI: uri, Database: "test", Timeout: time.Second})
	c := e.newCache(1000, func(o *Options) {
		o.Versions, o.Artifacts = store, store
		o.Refresh = 50 * time.Millisecond
	})
	run(t, c)
	mustResolve(t, c, "iris", 0, "")
	mustResolve(t, c, "iris", 1, "")

	_ = e.store.Close(context.Background())
	stop()

	t.Run("cached names and versions keep serving", func(t *testing.T) {
		if v := mustResolve(t, c, "iris", 0, ""); v != 2 {
			t.Fatalf("serves version %d, want 2", v)
		}
		mustResolve(t, c, "iris", 1, "")
	})
	t.Run("what is not cached is unavailable", func(t *testing.T) {
		_, err := resolve(t, c, "iris", 0, "staging")
		wantCode(t, err, model.CodeUnavailable)
		_, err = resolve(t, c, "wine", 0, "")
		wantCode(t, err, model.CodeUnavailable)
	})
	t.Run("a refresh during the outage keeps what is cached", func(t *testing.T) {
		waitFor(t, "a refresh meets the outage", func() bool {
			return e.logs.count("the store is unavailable") >= 2
		})
		if v := mustResolve(t, c, "iris", 0, ""); v != 2 {
			t.Fatalf("serves version %d, want 2", v)
		}
	})
}

func TestDeletions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for range 3 {
		e.addVersion(t, "iris", 10)
	}
	e.setAlias(t, "iris", "staging", 1)
	c := e.newCache(1000, func(o *Options) { o.Refresh = 50 * time.Millisecond })
	run(t, c)
	mustResolve(t, c, "iris", 0, "")
	mustResolve(t, c, "iris", 0, "staging")
	ctx := context.Background()

	t.Run("a deleted alias is not found once refreshed", func(t *testing.T) {
		if err := e.store.DeleteAlias(ctx, "iris", "staging"); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the alias is gone", func() bool {
			_, err := resolve(t, c, "iris", 0, "staging")
			return model.ErrorCode(err) == model.CodeNotFound
		})
	})
	t.Run("deleting the latest version moves a bare name back and unloads it", func(t *testing.T) {
		if err := e.store.DeleteVersion(ctx, "iris", 3); err != nil {
			t.Fatal(err)
		}
		waitServed(t, c, "iris", "", 2)
		waitFor(t, "version 3 is unloaded", func() bool {
			_, err := resolve(t, c, "iris", 3, "")
			return model.ErrorCode(err) == model.CodeNotFound
		})
	})
}

// TestSwapUnderLoad promotes, rolls back and tries a corrupt version while
// requests run: none fails, and each gets the predictor of the version it
// is told it got.
func TestSwapUnderLoad(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for range 3 {
		e.addVersion(t, "iris", 10)
	}
	corrupt := e.addVersion(t, "iris", 10)
	e.corruptArtifact(t, "iris", corrupt)
	e.setAlias(t, "iris", model.AliasProduction, 1)
	c := e.newCache(1000, func(o *Options) { o.Refresh = 20 * time.Millisecond })
	run(t, c)
	mustResolve(t, c, "iris", 0, "")

	var (
		stop     atomic.Bool
		requests atomic.Int64
		wg       sync.WaitGroup
		mu       sync.Mutex
		failures []error
	)
	for range 4 {
		wg.Go(func() {
			for !stop.Load() {
				mv, p, err := c.Resolve(context.Background(), "iris", 0, "")
				if err == nil {
					err = matches(mv, p)
				}
				requests.Add(1)
				if err != nil {
					mu.Lock()
					failures = append(failures, err)
					mu.Unlock()
				}
			}
		})
	}
	for _, v := range []int{2, 1, 3} {
		e.setAlias(t, "iris", model.AliasProduction, v)
		waitServed(t, c, "iris", "", v)
	}
	e.setAlias(t, "iris", model.AliasProduction, corrupt)
	waitFor(t, "the corrupt version is refused", func() bool { return e.logs.count("new model version refused") >= 1 })
	stop.Store(true)
	wg.Wait()

	if len(failures) > 0 {
		t.Fatalf("%d of %d requests failed; the first: %v", len(failures), requests.Load(), failures[0])
	}
	if v := mustResolve(t, c, "iris", 0, ""); v != 3 {
		t.Fatalf("serves version %d after the corrupt promotion, want 3", v)
	}
	t.Logf("%d requests, none failed", requests.Load())
}
