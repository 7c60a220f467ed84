package modelcache

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
)

// flights runs one load per key at a time and shares its result with every
// caller that asks for the key while it runs.
type flights[K comparable] struct {
	mu    sync.Mutex
	calls map[K]*flight
}

type flight struct {
	done chan struct{}
	e    *entry
	err  error
	// callers counts the do calls sharing the flight (under the group's
	// mu), so a test can tell that they did.
	callers int
}

// do returns the result of load for key, starting it unless a load of key
// is running already. The load runs in its own goroutine with ctx's values
// but not its cancellation, so it finishes (and its result is cached) even
// when the callers give up; a caller whose ctx ends returns ctx's error.
func (g *flights[K]) do(ctx context.Context, key K, load func(context.Context) (*entry, error)) (*entry, error) {
	g.mu.Lock()
	f, ok := g.calls[key]
	if !ok {
		if g.calls == nil {
			g.calls = make(map[K]*flight)
		}
		f = &flight{done: make(chan struct{})}
		g.calls[key] = f
		go g.run(context.WithoutCancel(ctx), key, f, load)
	}
	f.callers++
	g.mu.Unlock()
	select {
	case <-f.done:
		return f.e, f.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (g *flights[K]) run(ctx context.Context, key K, f *flight, load func(context.Context) (*entry, error)) {
	defer func() {
		// Nothing above this goroutine would recover a panic of the
		// loader, and the process must outlive a bad artifact.
		if p := recover(); p != nil {
			f.e, f.err = nil, fmt.Errorf("loading the model panicked: %v\n%s", p, debug.Stack())
		}
		g.mu.Lock()
		delete(g.calls, key)
		g.mu.Unlock()
		close(f.done)
	}()
	f.e, f.err = load(ctx)
}
