package api

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"gitlab.com/mlserve/mlserve/internal/config"
)

// serveSlow serves a handler that blocks until release is closed, and
// returns the address, the started signal, and Serve's result.
func serveSlow(tb testing.TB, ctx context.Context, release <-chan struct{}, shutdownTimeout time.Duration) (addr string, started <-chan struct{}, served <-chan error) {
	tb.Helper()
	start := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(start)
		select {
		case <-release:
			_, _ = io.WriteString(w, "done")
		case <-r.Context().Done(): // the server gave up on us
		}
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	srv := NewHTTPServer(config.HTTP{ReadHeaderTimeout: time.Minute, IdleTimeout: time.Minute}, h, slog.New(slog.DiscardHandler))
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, srv, ln, shutdownTimeout) }()
	return ln.Addr().String(), start, done
}

type response struct {
	status int
	body   string
	err    error
}

func get(url string) <-chan response {
	c := make(chan response, 1)
	go func() {
		resp, err := http.Get(url)
		if err != nil {
			c <- response{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		c <- response{status: resp.StatusCode, body: string(b), err: err}
	}()
	return c
}

// listenerClosed reports whether addr refuses connections: Shutdown closes
// the listener first, so this is the sign that shutdown has begun.
func listenerClosed(addr string) bool {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return true
	}
	c.Close()
	return false
}

func TestServeShutsDownGracefully(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	release := make(chan struct{})
	addr, started, served := serveSlow(t, ctx, release, time.Minute)

	res := get("http://" + addr + "/slow")
	<-started
	cancel()
	waitFor(t, "the listener to close", func() bool { return listenerClosed(addr) })
	select {
	case err := <-served:
		t.Fatalf("Serve returned (%v) while a request was in flight", err)
	default:
	}

	close(release)
	r := <-res
	if r.err != nil || r.status != http.StatusOK || r.body != "done" {
		t.Fatalf("in-flight request: status %d, body %q, err %v; want 200 done", r.status, r.body, r.err)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve = %v, want nil after a clean shutdown", err)
	}
}

func TestServeGivesUpAfterTheShutdownTimeout(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	release := make(chan struct{}) // never closed: the request outlives the timeout
	addr, started, served := serveSlow(t, ctx, release, 10*time.Millisecond)

	res := get("http://" + addr + "/stuck")
	<-started
	cancel()
	if err := <-served; !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Serve = %v, want the shutdown deadline exceeded", err)
	}
	if r := <-res; r.err == nil {
		t.Fatalf("the stuck request got an answer (%d) instead of a closed connection", r.status)
	}
}

func TestServeReportsAFailingListener(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	srv := NewHTTPServer(config.HTTP{}, http.NotFoundHandler(), slog.New(slog.DiscardHandler))
	if err := Serve(context.Background(), srv, ln, time.Second); err == nil {
		t.Fatal("Serve on a closed listener returned nil")
	}
}

func TestNewHTTPServerSetsEveryLimit(t *testing.T) {
	cfg := config.HTTP{Addr: ":8080", ReadHeaderTimeout: 1 * time.Second, ReadTimeout: 2 * time.Second, WriteTimeout: 3 * time.Second, IdleTimeout: 4 * time.Second}
	srv := NewHTTPServer(cfg, http.NotFoundHandler(), slog.New(slog.DiscardHandler))
	if srv.Addr != cfg.Addr || srv.ReadHeaderTimeout != cfg.ReadHeaderTimeout || srv.ReadTimeout != cfg.ReadTimeout ||
		srv.WriteTimeout != cfg.WriteTimeout || srv.IdleTimeout != cfg.IdleTimeout || srv.MaxHeaderBytes == 0 || srv.ErrorLog == nil {
		t.Fatalf("server settings %+v do not reflect %+v", srv, cfg)
	}
}
