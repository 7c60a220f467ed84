package testenv

import (
	"bytes"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"
)

// FreePort returns a loopback TCP port that was free a moment ago. Someone
// else may take it before the caller binds it, so a caller that starts a
// server on it should be ready to pick another port and try again.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// SyncBuffer is a bytes.Buffer that many goroutines can share: a logger or
// a process's output copier writes to it while the test reads it. The zero
// value is an empty buffer ready to use; do not copy a SyncBuffer after
// first use.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p to the buffer.
func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far (since the last Reset).
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Reset empties the buffer.
func (b *SyncBuffer) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Reset()
}

// WaitFor polls cond every 20ms until it holds, and fails tb if it still
// does not after limit. what names the awaited condition in the failure
// message, which reads "gave up waiting for <what> after <limit>".
func WaitFor(tb testing.TB, limit time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("gave up waiting for %s after %s", what, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
