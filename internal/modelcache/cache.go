package modelcache

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"gitlab.com/mlserve/mlserve/model"
)

// DefaultRefresh is how often Run resolves the cached routes again when
// Options.Refresh is zero.
const DefaultRefresh = 5 * time.Second

// Options configure a Cache. Versions, Artifacts, Loader and MaxBytes are
// required.
type Options struct {
	Versions  model.VersionStore
	Artifacts model.ArtifactStore
	Loader    model.PredictorLoader
	// MaxBytes bounds the sum of the cached predictors' SizeBytes
	// (cache.bytes).
	MaxBytes int64
	// Refresh is how often Run resolves every cached route again
	// (cache.refresh); zero means DefaultRefresh.
	Refresh time.Duration
	// Watcher, when set, tells Run of model changes as they happen;
	// without it the timer alone picks them up.
	Watcher Watcher
	// Loads, when set, is told of every load of a version: its artifact
	// read and predictor built, or the error that stopped it.
	Loads LoadObserver
	// Logger may be nil to discard logs.
	Logger *slog.Logger
}

// LoadObserver is told how each load went (metrics.Models is one).
type LoadObserver interface {
	Loaded(d time.Duration, err error)
}

// Cache is the API's cache of loaded model versions. It implements
// model.Models and is safe for concurrent use; Run keeps it up to date.
type Cache struct {
	o      Options
	logger *slog.Logger

	mu sync.RWMutex
	// versions are the loaded versions; used is the sum of their sizes.
	versions map[versionKey]*entry
	used     int64
	// routes point an alias or a bare name at a loaded version: always
	// one in versions (evicting a version drops its routes).
	routes map[routeKey]*entry
	// tooLarge remembers the versions refused for their size.
	tooLarge map[versionKey]int64

	// clock orders uses for the LRU.
	clock atomic.Int64

	loads   flights[versionKey]
	resolve flights[routeKey]

	notices *notices
}

var _ model.Models = (*Cache)(nil)

// Stats returns how many versions are loaded and the bytes they take.
func (c *Cache) Stats() (versions int, bytes int64) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.versions), c.used
}

// versionKey names a loaded version.
type versionKey struct {
	name    string
	version int
}

// routeKey names what a request without a version asks for: an alias, or
// with alias "" the bare name (production, else the latest).
type routeKey struct {
	name  string
	alias string
}

// entry is one loaded version. Everything but used is immutable.
type entry struct {
	version *model.ModelVersion
	pred    model.Predictor
	size    int64
	used    atomic.Int64 // the clock at its last use
}

func (e *entry) key() versionKey { return versionKey{e.version.Name, e.version.Version} }

// New returns an empty cache; call Run to keep it up to date.
func New(o Options) *Cache {
	if o.Refresh <= 0 {
		o.Refresh = DefaultRefresh
	}
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Cache{
		o:        o,
		logger:   logger,
		versions: make(map[versionKey]*entry),
		routes:   make(map[routeKey]*entry),
		tooLarge: make(map[versionKey]int64),
		notices:  newNotices(),
	}
}

// Resolve implements model.Models. A cached route or version answers
// without a store query and without allocating; the rest resolves through
// the store and loads the version. The returned version is shared: callers
// must not modify it.
func (c *Cache) Resolve(ctx context.Context, name string, version int, alias string) (*model.ModelVersion, model.Predictor, error) {
	var e *entry
	c.mu.RLock()
	if version > 0 {
		e = c.versions[versionKey{name, version}]
	} else {
		e = c.routes[routeKey{name, alias}]
	}
	c.mu.RUnlock()
	if e == nil {
		var err error
		if version > 0 {
			e, err = c.loadVersion(ctx, versionKey{name, version}, nil)
		} else {
			e, err = c.resolveRoute(ctx, routeKey{name, alias})
		}
		if err != nil {
			return nil, nil, err
		}
	}
	c.touch(e)
	return e.version, e.pred, nil
}

// touch marks e as just used, for the LRU.
func (c *Cache) touch(e *entry) {
	e.used.Store(c.clock.Add(1))
}

// resolveRoute resolves an uncached route through the store, loads its
// version and caches both, once for any number of concurrent callers.
func (c *Cache) resolveRoute(ctx context.Context, k routeKey) (*entry, error) {
	return c.resolve.do(ctx, k, func(ctx context.Context) (*entry, error) {
		// A notice that arrives while the store is read may be about a
		// change this read missed: then the route is refreshed once more.
		seen := c.notices.seq.Load()
		mv, err := c.o.Versions.ResolveVersion(ctx, k.name, 0, k.alias)
		if err != nil {
			return nil, err
		}
		e, err := c.loadVersion(ctx, versionKey{k.name, mv.Version}, mv)
		if err != nil {
			return nil, err
		}
		c.installRoute(k, nil, e)
		if c.notices.seq.Load() != seen {
			c.notices.changed(k.name)
		}
		return e, nil
	})
}

// installRoute points k at e, unless k changed since the caller read old
// (another writer got there first) or e was evicted meanwhile (the next
// request resolves k again). A route that was evicted counts as unchanged.
func (c *Cache) installRoute(k routeKey, old, e *entry) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.versions[e.key()] != e {
		return false
	}
	if cur := c.routes[k]; cur != nil && cur != old {
		return false
	}
	c.routes[k] = e
	return true
}

// dropRoute removes k if it still points at e.
func (c *Cache) dropRoute(k routeKey, e *entry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.routes[k] == e {
		delete(c.routes, k)
	}
}
