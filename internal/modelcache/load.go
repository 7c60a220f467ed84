package modelcache

import (
	"context"
	"fmt"
	"time"

	"gitlab.com/mlserve/mlserve/model"
)

// loadVersion returns version k, loading it unless it is cached: its
// document (mv when the caller has it already), its artifact (checked
// against the document's sha256 by the store), then its predictor. Loading
// is single-flight per version.
func (c *Cache) loadVersion(ctx context.Context, k versionKey, mv *model.ModelVersion) (*entry, error) {
	if e, err := c.cached(k); e != nil || err != nil {
		return e, err
	}
	return c.loads.do(ctx, k, func(ctx context.Context) (*entry, error) {
		// A load that ended just before this one started may have cached
		// it.
		if e, err := c.cached(k); e != nil || err != nil {
			return e, err
		}
		if mv == nil {
			var err error
			if mv, err = c.o.Versions.ResolveVersion(ctx, k.name, k.version, ""); err != nil {
				return nil, err
			}
		}
		start := time.Now()
		e, err := c.load(ctx, k, mv)
		if c.o.Loads != nil && ctx.Err() == nil {
			c.o.Loads.Loaded(time.Since(start), err)
		}
		return e, err
	})
}

// load reads version k's artifact, builds its predictor and caches it.
func (c *Cache) load(ctx context.Context, k versionKey, mv *model.ModelVersion) (*entry, error) {
	art, err := c.o.Artifacts.LoadArtifact(ctx, mv)
	if err != nil {
		return nil, fmt.Errorf("load version %d of model %q: %w", k.version, k.name, err)
	}
	pred, err := c.o.Loader.LoadPredictor(art)
	if err != nil {
		return nil, fmt.Errorf("load version %d of model %q: %w", k.version, k.name, err)
	}
	return c.admit(&entry{version: mv, pred: pred, size: pred.SizeBytes()})
}

// cached returns version k when it is loaded, and CodeUnavailable when it was
// refused for its size.
func (c *Cache) cached(k versionKey) (*entry, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if size, ok := c.tooLarge[k]; ok {
		return nil, tooLarge(k, size, c.o.MaxBytes)
	}
	return c.versions[k], nil
}

func tooLarge(k versionKey, size, limit int64) error {
	return model.Errorf(model.CodeUnavailable, "version %d of model %q needs %d bytes loaded, more than the model cache's %d (cache.bytes)",
		k.version, k.name, size, limit)
}

// admit caches e, evicting the least recently used versions until the
// cache fits its budget again, and returns it. When its version is cached
// already, it returns that one instead, so a version has one predictor.
// It logs after unlocking: requests wait on the lock.
func (c *Cache) admit(e *entry) (*entry, error) {
	k := e.key()
	c.mu.Lock()
	if cur := c.versions[k]; cur != nil {
		c.mu.Unlock()
		return cur, nil
	}
	if e.size > c.o.MaxBytes {
		c.tooLarge[k] = e.size
		c.mu.Unlock()
		c.logger.Error("model refused: larger than the cache", "model", k.name, "version", k.version,
			"bytes", e.size, "cache_bytes", c.o.MaxBytes)
		return nil, tooLarge(k, e.size, c.o.MaxBytes)
	}
	c.versions[k] = e
	c.used += e.size
	e.used.Store(c.clock.Add(1))
	var evicted []*entry
	for c.used > c.o.MaxBytes {
		victim := c.leastRecentlyUsedLocked(e)
		c.dropVersionLocked(victim)
		evicted = append(evicted, victim)
	}
	c.mu.Unlock()
	c.logger.Info("model loaded", "model", k.name, "version", k.version, "bytes", e.size)
	for _, v := range evicted {
		c.logger.Info("model evicted", "model", v.version.Name, "version", v.version.Version,
			"bytes", v.size, "cache_bytes", c.o.MaxBytes)
	}
	return e, nil
}

// leastRecentlyUsedLocked returns the cached version used longest ago
// other than keep. A scan is fine: there are tens of versions, and it runs
// only when a version is loaded. The cache holds more than keep when this
// is called, since keep alone fits.
func (c *Cache) leastRecentlyUsedLocked(keep *entry) *entry {
	var victim *entry
	var oldest int64
	for _, e := range c.versions {
		if e == keep {
			continue
		}
		if used := e.used.Load(); victim == nil || used < oldest {
			victim, oldest = e, used
		}
	}
	return victim
}

// dropVersion removes e from the cache, if it is still there, with the
// routes that point at it.
func (c *Cache) dropVersion(e *entry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.versions[e.key()] == e {
		c.dropVersionLocked(e)
	}
}

func (c *Cache) dropVersionLocked(e *entry) {
	delete(c.versions, e.key())
	c.used -= e.size
	for k, r := range c.routes {
		if r == e {
			delete(c.routes, k)
		}
	}
}
