package embedded

import (
	"fmt"

	"github.com/alicebob/miniredis/v2"
)

// StartRedis starts an in-memory Redis (miniredis) on a free loopback port
// and returns its address and a function that stops it. asynq runs on it,
// which is all mlserve-dev needs; its data is gone when it stops, so
// mlserve-dev re-enqueues live jobs at start.
func StartRedis() (addr string, stop func(), err error) {
	m, err := miniredis.Run()
	if err != nil {
		return "", nil, fmt.Errorf("start miniredis: %w", err)
	}
	return m.Addr(), m.Close, nil
}
