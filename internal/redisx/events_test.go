package redisx

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"gitlab.com/mlserve/mlserve/internal/testenv"
)

// watch runs s until the test ends and returns what it delivers: names on
// one channel, a token per resync on the other.
func watch(tb testing.TB, s *Subscriber) (names <-chan string, resyncs <-chan struct{}) {
	tb.Helper()
	ch := make(chan string, 100)
	rs := make(chan struct{}, 100)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- s.Watch(ctx,
			func(name string) { ch <- name },
			func() { rs <- struct{}{} })
	}()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("watch ended with %v, want nil", err)
		}
	})
	return ch, rs
}

// receive returns the next value from ch, failing tb after a generous
// bound.
func receive[T any](tb testing.TB, ch <-chan T, what string) T {
	tb.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(30 * time.Second):
		tb.Fatalf("gave up waiting for %s", what)
		var zero T
		return zero
	}
}

func newClient(tb testing.TB, addr string) *redis.Client {
	tb.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	tb.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

func TestModelNotices(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("a published change reaches every subscriber, after a resync", func(t *testing.T) {
		t.Parallel()
		rdb := newClient(t, testenv.Redis(t))
		names1, resyncs1 := watch(t, NewSubscriber(rdb, nil))
		names2, resyncs2 := watch(t, NewSubscriber(rdb, nil))
		receive(t, resyncs1, "the first subscription")
		receive(t, resyncs2, "the second subscription")
		pub := NewPublisher(rdb)
		for _, name := range []string{"iris", "wine"} {
			if err := pub.ModelChanged(ctx, name); err != nil {
				t.Fatal(err)
			}
		}
		for _, names := range []<-chan string{names1, names2} {
			for _, want := range []string{"iris", "wine"} {
				if got := receive(t, names, want); got != want {
					t.Fatalf("received %q, want %q", got, want)
				}
			}
		}
	})

	t.Run("after Redis restarts the subscriber resyncs and hears later changes", func(t *testing.T) {
		t.Parallel()
		srv := testenv.StartRedis(t)
		rdb := newClient(t, srv.Addr)
		names, resyncs := watch(t, NewSubscriber(rdb, nil))
		receive(t, resyncs, "the subscription")

		srv.Stop()
		if err := NewPublisher(rdb).ModelChanged(ctx, "lost"); err == nil {
			t.Fatal("publishing while Redis is down succeeded")
		}
		srv.Start()
		receive(t, resyncs, "the subscription after the restart")
		if err := NewPublisher(rdb).ModelChanged(ctx, "iris"); err != nil {
			t.Fatal(err)
		}
		if got := receive(t, names, "iris"); got != "iris" {
			t.Fatalf("received %q, want iris", got)
		}
	})

	t.Run("a subscription that goes silent is replaced", func(t *testing.T) {
		t.Parallel()
		rdb := newClient(t, testenv.Redis(t))
		s := NewSubscriber(rdb, nil)
		s.health = 50 * time.Millisecond
		_, resyncs := watch(t, s)
		receive(t, resyncs, "the subscription")
		// CLIENT PAUSE holds every client's commands, pings included,
		// without closing a connection: only the health check notices.
		if err := rdb.Do(ctx, "CLIENT", "PAUSE", "1000", "ALL").Err(); err != nil {
			t.Fatal(err)
		}
		receive(t, resyncs, "the subscription after the silence")
	})
}
