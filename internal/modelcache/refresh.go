package modelcache

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"gitlab.com/mlserve/mlserve/model"
)

// Watcher delivers the change notices of models (model.ModelEvents
// announces them). Watch calls changed with a model's name for each notice
// and resync whenever notices may have been missed (on every subscription,
// the first one and each one after a lost connection) until ctx is done,
// then returns nil; it returns an error only when it cannot go on. The
// callbacks do not block.
type Watcher interface {
	Watch(ctx context.Context, changed func(name string), resync func()) error
}

// Run keeps the cache up to date until ctx is done: it resolves the cached
// routes of a model again when a notice for it arrives, all of them after
// a resync and every Options.Refresh, and it swaps a route only once its
// new version is loaded. Run it once per cache.
func (c *Cache) Run(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	if c.o.Watcher != nil {
		wg.Go(func() { c.watch(ctx) })
	}
	tick := time.NewTicker(c.o.Refresh)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			c.refresh(ctx, c.names())
		case <-c.notices.wake:
			names, all := c.notices.take()
			if all {
				names = c.names()
			}
			c.refresh(ctx, names)
		}
	}
}

// watch runs the watcher, starting it again after it fails; meanwhile the
// timer keeps the cache up to date.
func (c *Cache) watch(ctx context.Context) {
	for {
		err := c.o.Watcher.Watch(ctx, c.notices.changed, c.notices.resync)
		if ctx.Err() != nil {
			return
		}
		c.logger.Warn("model change notices stopped; watching again", "err", err, "in", c.o.Refresh)
		select {
		case <-ctx.Done():
			return
		case <-time.After(c.o.Refresh):
		}
	}
}

// names returns the models the cache holds something of.
func (c *Cache) names() []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	seen := make(map[string]bool)
	var names []string
	add := func(name string) {
		if !seen[name] {
			seen[name] = true
			names = append(names, name)
		}
	}
	for k := range c.routes {
		add(k.name)
	}
	for k := range c.versions {
		add(k.name)
	}
	return names
}

// refresh refreshes the named models. It stops at the first sign that the
// store is down, keeping everything as it is: the timer tries again.
func (c *Cache) refresh(ctx context.Context, names []string) {
	for _, name := range names {
		err := c.refreshModel(ctx, name)
		if ctx.Err() != nil {
			return
		}
		if model.ErrorCode(err) == model.CodeUnavailable {
			c.logger.Warn("model refresh stopped: the store is unavailable; serving the cached versions", "err", err)
			return
		}
	}
}

// route is a cached route as a refresh found it.
type route struct {
	key   routeKey
	entry *entry
}

// refreshModel resolves the named model's cached routes again, then drops
// its cached versions the store no longer has. It returns the store's error
// when the store is unavailable, and logs the others.
func (c *Cache) refreshModel(ctx context.Context, name string) error {
	var routes []route
	var versions []*entry
	c.mu.RLock()
	for k, e := range c.routes {
		if k.name == name {
			routes = append(routes, route{k, e})
		}
	}
	for k, e := range c.versions {
		if k.name == name {
			versions = append(versions, e)
		}
	}
	c.mu.RUnlock()

	for _, r := range routes {
		if err := c.refreshRoute(ctx, r); model.ErrorCode(err) == model.CodeUnavailable || ctx.Err() != nil {
			return err
		}
	}
	for _, e := range versions {
		_, err := c.o.Versions.ResolveVersion(ctx, name, e.version.Version, "")
		switch model.ErrorCode(err) {
		case "":
		case model.CodeNotFound:
			c.dropVersion(e)
			c.logger.Info("model version deleted: unloaded", "model", name, "version", e.version.Version)
		case model.CodeUnavailable:
			return err
		default:
			if ctx.Err() != nil {
				return err
			}
			c.logger.Warn("model refresh: check version", "model", name, "version", e.version.Version, "err", err)
		}
	}
	return nil
}

// refreshRoute resolves r again and, when it now resolves to another
// version, loads that version fully before pointing r at it. A version that
// fails to load is refused: r keeps serving its version, and the next
// refresh tries again.
func (c *Cache) refreshRoute(ctx context.Context, r route) error {
	name, alias, from := r.key.name, r.key.alias, r.entry.version.Version
	mv, err := c.o.Versions.ResolveVersion(ctx, name, 0, alias)
	switch model.ErrorCode(err) {
	case "":
	case model.CodeNotFound:
		// The alias, or the whole model, is gone: requests get the
		// store's answer from now on.
		c.dropRoute(r.key, r.entry)
		c.logger.Info("model route gone", "model", name, "alias", alias, "was", from)
		return nil
	default:
		if model.ErrorCode(err) != model.CodeUnavailable && ctx.Err() == nil {
			c.logger.Warn("model refresh: resolve", "model", name, "alias", alias, "err", err)
		}
		return err
	}
	if mv.Version == from {
		return nil
	}
	e, err := c.loadVersion(ctx, versionKey{name, mv.Version}, mv)
	if err != nil {
		if ctx.Err() == nil {
			c.logger.Error("new model version refused; serving the old one", "model", name, "alias", alias,
				"version", from, "refused", mv.Version, "err", err)
		}
		return err
	}
	if c.installRoute(r.key, r.entry, e) {
		c.logger.Info("model swapped", "model", name, "alias", alias, "from", from, "to", mv.Version)
	}
	return nil
}

// notices collects the change notices for Run.
type notices struct {
	// seq counts notices, so a first resolution can tell whether one
	// arrived while it read the store.
	seq  atomic.Uint64
	wake chan struct{} // holds a token while something is pending

	mu    sync.Mutex
	names map[string]struct{}
	all   bool
}

func newNotices() *notices {
	return &notices{wake: make(chan struct{}, 1), names: make(map[string]struct{})}
}

// changed records a notice for the named model.
func (n *notices) changed(name string) {
	n.seq.Add(1)
	n.mu.Lock()
	n.names[name] = struct{}{}
	n.mu.Unlock()
	n.signal()
}

// resync records that notices may have been missed.
func (n *notices) resync() {
	n.seq.Add(1)
	n.mu.Lock()
	n.all = true
	n.mu.Unlock()
	n.signal()
}

func (n *notices) signal() {
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// take returns and clears what is pending.
func (n *notices) take() (names []string, all bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for name := range n.names {
		names = append(names, name)
	}
	clear(n.names)
	all, n.all = n.all, false
	return names, all
}
