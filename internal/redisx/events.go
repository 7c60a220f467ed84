package redisx

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"gitlab.com/mlserve/mlserve/model"
)

// ModelsChannel is the pub/sub channel of model change notices; a message
// is the name of the model that changed.
const ModelsChannel = "mlserve:models"

// Publisher announces model changes on ModelsChannel. It implements
// model.ModelEvents.
type Publisher struct {
	rdb *redis.Client
}

var _ model.ModelEvents = (*Publisher)(nil)

// NewPublisher returns a publisher over rdb.
func NewPublisher(rdb *redis.Client) *Publisher {
	return &Publisher{rdb: rdb}
}

// ModelChanged implements model.ModelEvents: it publishes name. Pub/sub
// delivers to the subscribers connected at that moment only; a replica
// that misses a notice catches up on its refresh timer.
func (p *Publisher) ModelChanged(ctx context.Context, name string) error {
	if err := p.rdb.Publish(ctx, ModelsChannel, name).Err(); err != nil {
		return fmt.Errorf("publish the change of model %q: %w", name, err)
	}
	return nil
}

// Subscriber receives model change notices from ModelsChannel. Its Watch
// implements modelcache.Watcher.
type Subscriber struct {
	rdb    *redis.Client
	logger *slog.Logger
	// health is how often an idle subscription is pinged; one silent for
	// three of these is taken for a dead connection.
	health time.Duration
}

// Subscriber defaults.
const (
	defaultHealth = 15 * time.Second
	// Reconnection attempts back off from minBackoff to maxBackoff.
	minBackoff = 50 * time.Millisecond
	maxBackoff = 2 * time.Second
)

// NewSubscriber returns a subscriber over rdb; logger may be nil.
func NewSubscriber(rdb *redis.Client, logger *slog.Logger) *Subscriber {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Subscriber{rdb: rdb, logger: logger, health: defaultHealth}
}

// Watch subscribes to ModelsChannel and calls changed with the payload of
// every message until ctx is done; it returns nil then. It calls resync on
// every subscription, the first and each one after the connection was
// lost (Redis restarted, the network failed), since messages published
// meanwhile are lost. While Redis is down it retries with backoff.
func (s *Subscriber) Watch(ctx context.Context, changed func(name string), resync func()) error {
	backoff := minBackoff
	for {
		subscribed, err := s.session(ctx, changed, resync)
		if ctx.Err() != nil {
			return nil
		}
		if subscribed {
			backoff = minBackoff
			s.logger.Warn("model notices: subscription lost; subscribing again", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// session runs one subscription until its connection fails or ctx is done.
// It reports whether it got as far as being subscribed.
func (s *Subscriber) session(ctx context.Context, changed func(string), resync func()) (subscribed bool, err error) {
	ps := s.rdb.Subscribe(ctx, ModelsChannel)
	defer ps.Close()
	// Receive does not watch ctx; closing the subscription ends it.
	defer context.AfterFunc(ctx, func() { _ = ps.Close() })()

	// The health check: a connection that dies silently (no reset, as
	// with a network partition) would block Receive forever.
	var lastHeard atomic.Int64
	lastHeard.Store(time.Now().UnixNano())
	done := make(chan struct{})
	defer close(done)
	go func() {
		tick := time.NewTicker(s.health)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			if time.Since(time.Unix(0, lastHeard.Load())) > 3*s.health {
				_ = ps.Close()
				return
			}
			_ = ps.Ping(ctx) // a failure shows in Receive
		}
	}()

	for {
		msg, err := ps.Receive(ctx)
		if err != nil {
			return subscribed, err
		}
		lastHeard.Store(time.Now().UnixNano())
		switch m := msg.(type) {
		case *redis.Subscription:
			if m.Kind == "subscribe" {
				subscribed = true
				s.logger.Debug("model notices: subscribed", "channel", m.Channel)
				resync()
			}
		case *redis.Message:
			changed(m.Payload)
		}
	}
}
