package testenv

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
)

// RedisServer is a real redis-server process that a test owns. It keeps no
// data on disk, so a restart starts empty, like a Redis without persistence.
type RedisServer struct {
	// Addr is host:port; it stays the same across Stop and Start, so clients
	// reconnect to the restarted server.
	Addr string

	tb  testing.TB
	bin string
	dir string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has exited
}

// redisStartAttempts bounds the retries when a free port is taken by
// someone else between picking it and redis-server binding it.
const redisStartAttempts = 5

// Redis starts a real redis-server for tb and returns its address. See
// StartRedis.
func Redis(tb testing.TB) string {
	tb.Helper()
	return StartRedis(tb).Addr
}

// StartRedis starts a real redis-server on a free loopback port, without
// persistence, and stops it at cleanup. The test is skipped when
// redis-server is not installed, unless MLSERVE_TEST_REQUIRE_REAL=1 makes
// that a failure (CI sets it so real-dependency tests cannot vanish).
func StartRedis(tb testing.TB) *RedisServer {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("MLSERVE_TEST_REQUIRE_REAL") == "1" {
			tb.Fatalf("testenv: redis-server not installed and MLSERVE_TEST_REQUIRE_REAL=1: %v", err)
		}
		tb.Skip("redis-server not installed")
	}
	s := &RedisServer{tb: tb, bin: bin, dir: tb.TempDir()}
	tb.Cleanup(s.Stop)
	var errs []error
	for range redisStartAttempts {
		port, err := FreePort()
		if err != nil {
			tb.Fatalf("testenv: %v", err)
		}
		s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		if err := s.start(); err != nil {
			errs = append(errs, err)
			continue
		}
		return s
	}
	tb.Fatalf("testenv: start redis-server: %v", errors.Join(errs...))
	return nil
}

// Stop kills the server (SIGKILL, as a crash would) and waits for it to
// exit. Stopping a stopped server does nothing.
func (s *RedisServer) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.exited
	s.cmd = nil
}

// Start restarts a stopped server on the same address, empty. It fails the
// test if the server cannot start; starting a running server does nothing.
func (s *RedisServer) Start() {
	s.tb.Helper()
	var err error
	// The port was ours a moment ago, but the kernel may take a little while
	// to let go of it; retry briefly.
	for range redisStartAttempts {
		if err = s.start(); err == nil {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	s.tb.Fatalf("testenv: restart redis-server on %s: %v", s.Addr, err)
}

// start runs redis-server on s.Addr and waits until it answers PING.
func (s *RedisServer) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return nil
	}
	_, port, _ := net.SplitHostPort(s.Addr)
	cmd := exec.Command(s.bin,
		"--port", port, "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--daemonize", "no",
		"--dir", s.dir, "--loglevel", "warning",
	)
	out := &SyncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("run %s: %w", s.bin, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	if err := waitForPing(s.Addr, exited, 10*time.Second); err != nil {
		_ = cmd.Process.Kill()
		<-exited
		return fmt.Errorf("%w; its output: %q", err, out.String())
	}
	s.cmd, s.exited = cmd, exited
	return nil
}

// waitForPing polls addr with PING until it answers PONG, the process
// exits (typically: the port is taken) or the timeout passes.
func waitForPing(addr string, exited <-chan struct{}, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		select {
		case <-exited:
			return errors.New("redis-server exited")
		default:
		}
		if ping(addr) == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("redis-server on %s did not answer PING within %s", addr, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ping sends one PING in the Redis protocol and expects +PONG.
func ping(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("*1\r\n$4\r\nPING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if strings.TrimSpace(line) != "+PONG" {
		return fmt.Errorf("PING answered %q", line)
	}
	return nil
}

// MiniRedis starts an in-process miniredis for tb and returns its address.
// It is fast and always available but is not Redis: use it where a test
// only needs something that speaks the protocol, and Redis otherwise.
func MiniRedis(tb testing.TB) string {
	tb.Helper()
	return miniredis.RunT(tb).Addr()
}
