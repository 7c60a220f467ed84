package embedded

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"

	"gitlab.com/mlserve/mlserve/internal/logx"
)

// ferretNew serializes ferretdb.New: it writes a FerretDB package-level
// variable (the version info's Package field), so two concurrent calls race.
// It is the one variable here that is not a constant, and it guards a global
// of FerretDB's, not of ours.
var ferretNew sync.Mutex

// StartMongo starts an embedded FerretDB that keeps its data in SQLite files
// under dataDir (created if missing; the data survives restarts; locked
// against a second process, see LockFile) and listens
// on a free loopback TCP port. It returns once the server accepts
// connections. The uri names no database.
//
// ctx bounds the start only: the server runs until stop is called. stop shuts
// it down and waits for it (calling it again is a no-op); disconnect clients
// first, or stop waits about three seconds for their connections to drain.
//
// FerretDB logs through logger at warn level and above only; a nil logger
// discards everything.
func StartMongo(ctx context.Context, dataDir string, logger *slog.Logger) (uri string, stop func(), err error) {
	dir, err := filepath.Abs(dataDir)
	if err != nil {
		return "", nil, fmt.Errorf("start mongo: data dir: %w", err)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", nil, fmt.Errorf("start mongo: data dir: %w", err)
	}
	unlock, err := lockDir(dir)
	if err != nil {
		return "", nil, fmt.Errorf("start mongo: %w", err)
	}

	ferretNew.Lock()
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: "127.0.0.1:0"},
		Logger:    quiet(logger),
		Handler:   "sqlite",
		SQLiteURL: "file:" + dir + "/?_pragma=synchronous(normal)",
	})
	ferretNew.Unlock()
	if err != nil {
		unlock()
		return "", nil, fmt.Errorf("start mongo: %w", err)
	}

	// Run must be running before MongoDBURI is safe to call (see its doc),
	// and it is what accepts connections.
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = f.Run(runCtx) // always nil; it returns when runCtx is canceled
	}()
	stop = sync.OnceFunc(func() {
		cancel()
		<-done
		unlock()
	})

	uri = f.MongoDBURI()
	if err := waitAccepting(ctx, uri); err != nil {
		stop()
		return "", nil, fmt.Errorf("start mongo: %w", err)
	}
	return uri, stop, nil
}

// waitAccepting dials the server until a TCP connection succeeds.
func waitAccepting(ctx context.Context, uri string) error {
	u, err := url.Parse(uri)
	if err != nil {
		return fmt.Errorf("parse uri %q: %w", uri, err)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var d net.Dialer
	for {
		conn, err := d.DialContext(ctx, "tcp", u.Host)
		if err == nil {
			return conn.Close()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for %s: %w", u.Host, errors.Join(ctx.Err(), err))
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// quiet returns the logger FerretDB gets: errors only, or nothing when
// logger is nil. Below that FerretDB logs every connection, and at warn a
// multi-line dump of every failed command, including the endSessions it does
// not support, which every client sends when it disconnects.
func quiet(logger *slog.Logger) *slog.Logger {
	if logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return logx.AtLeast(logger.With("component", "ferretdb"), slog.LevelError)
}
