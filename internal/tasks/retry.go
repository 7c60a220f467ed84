package tasks

import (
	"math/rand/v2"
	"time"

	"github.com/hibiken/asynq"
)

// Retry backoff bounds: the first retry comes after 1-2s, each later one
// after about twice as long, never more than 5 minutes.
const (
	retryBase = 2 * time.Second
	retryMax  = 5 * time.Minute
)

// RetryDelay is the asynq.RetryDelayFunc of the worker: exponential backoff
// with jitter, capped. n is how many times the task was retried already.
// The delay is uniformly random in [d/2, d] with d = min(2s·2^n, 5min), so
// tasks that failed together (say, while MongoDB was down) do not all come
// back at the same instant.
func RetryDelay(n int, _ error, _ *asynq.Task) time.Duration {
	d := retryMax
	if n >= 0 && n < 16 { // 2s·2^16 is far past the cap; avoid overflow
		d = min(retryBase<<n, retryMax)
	}
	return d/2 + rand.N(d/2+1)
}
