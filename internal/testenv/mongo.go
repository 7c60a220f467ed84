package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"
	"time"

	"gitlab.com/mlserve/mlserve/internal/config"
	"gitlab.com/mlserve/mlserve/internal/embedded"
)

// Mongo starts an embedded FerretDB for tb, keeping its files in
// tb.TempDir(), and returns a config that points at it over TCP with a
// database of its own. The server stops at cleanup.
//
// A server per test is cheap (FerretDB starts in a few milliseconds), so
// tests share nothing. Close clients in a cleanup registered after calling
// Mongo (cleanups run last first), or stopping the server waits about three
// seconds for their connections to drain.
func Mongo(tb testing.TB) config.Mongo {
	tb.Helper()
	var random [6]byte
	_, _ = rand.Read(random[:]) // never fails since Go 1.24
	uri, stop, err := embedded.StartMongo(context.Background(), tb.TempDir(), nil)
	if err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	tb.Cleanup(stop)
	return config.Mongo{
		URI:      uri,
		Database: "test_" + hex.EncodeToString(random[:]),
		Timeout:  10 * time.Second,
	}
}
