package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"gitlab.com/mlserve/mlserve/internal/config"
)

// maxHeaderBytes bounds request headers; API clients send a few hundred
// bytes, and Go's default of 1 MiB only invites abuse.
const maxHeaderBytes = 64 << 10

// NewHTTPServer returns an http.Server for h with cfg's timeouts, a header
// size limit, and net/http's own error log (TLS handshakes, bad requests)
// routed through logger at warn level. Served by Serve, its own answers to
// requests it cannot read (431, 400, 501) are problem+json too (see
// problemConn).
func NewHTTPServer(cfg config.HTTP, h http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Addr:              cfg.Addr,
		Handler:           markHandled(h),
		ConnState:         markUnhandled,
		ConnContext:       withConn,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}

// Serve serves srv on ln (each connection wrapped in a problemConn) until
// ctx is done, then shuts srv down gracefully: the listener closes at once,
// idle connections are closed, and in-flight requests get up to
// shutdownTimeout to finish. It returns nil after a clean shutdown, the
// serving error if serving stopped on its own, or the shutdown error
// (connections still busy at the deadline are then closed).
func Serve(ctx context.Context, srv *http.Server, ln net.Listener, shutdownTimeout time.Duration) error {
	served := make(chan error, 1)
	go func() { served <- srv.Serve(problemListener{ln}) }()

	select {
	case err := <-served:
		return fmt.Errorf("serve http: %w", err)
	case <-ctx.Done():
	}

	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		_ = srv.Close()
		<-served
		return fmt.Errorf("shut down http server within %s: %w", shutdownTimeout, err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve http: %w", err)
	}
	return nil
}
