package embedded_test

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"

	"gitlab.com/mlserve/mlserve/internal/embedded"
)

func TestStartRedisServesUntilStopped(t *testing.T) {
	addr, stop, err := embedded.StartRedis()
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer rdb.Close()
	ctx := context.Background()
	if err := rdb.Ping(ctx).Err(); err != nil {
		t.Fatalf("ping while running: %v", err)
	}
	stop()
	if err := rdb.Ping(ctx).Err(); err == nil {
		t.Error("ping succeeded after stop")
	}
}
