package e2e

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gitlab.com/mlserve/mlserve/internal/testenv"
)

// proc is one mlserve process a test started.
type proc struct {
	role string // api or worker
	n    int    // 1 for the first process of its role in the cluster, and so on
	cmd  *exec.Cmd
	log  *logBuffer

	done chan struct{} // closed when the process has exited
	err  error         // what Wait returned; read it after done

	mu      sync.Mutex
	stopped bool // the test killed or stopped it, so its exit is expected
}

// startProc runs `mlserve role` with env and collects its output.
func startProc(tb testing.TB, role string, n int, env []string) *proc {
	tb.Helper()
	p := &proc{role: role, n: n, log: &logBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(binary, role)
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	p.cmd.SysProcAttr = sysProcAttr()
	if err := p.cmd.Start(); err != nil {
		tb.Fatalf("start mlserve %s: %v", role, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	return p
}

func (p *proc) String() string { return fmt.Sprintf("%s %d (pid %d)", p.role, p.n, p.cmd.Process.Pid) }

// exited reports whether the process has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// markStopped records that the test ends the process, and reports whether
// it was running.
func (p *proc) markStopped() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	was := !p.stopped
	p.stopped = true
	return was && !p.exited()
}

// kill ends the process with SIGKILL, as a crash or the OOM killer would,
// and waits until it is gone.
func (p *proc) kill(tb testing.TB) {
	tb.Helper()
	p.markStopped()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		tb.Fatalf("kill %s: %v", p, err)
	}
	<-p.done
}

// terminate sends SIGTERM, as Kubernetes does, and waits up to timeout for
// a graceful exit, then kills. It returns an error when the process did not
// exit by itself with status 0.
func (p *proc) terminate(timeout time.Duration) error {
	if !p.markStopped() {
		return nil
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		if p.err != nil {
			return fmt.Errorf("%s exited with %v after SIGTERM", p, p.err)
		}
		return nil
	case <-time.After(timeout):
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.done
		return fmt.Errorf("%s did not exit within %s of SIGTERM; killed", p, timeout)
	}
}

// unexpectedExit returns why the process ended when the test did not end
// it, or nil.
func (p *proc) unexpectedExit() error {
	p.mu.Lock()
	stopped := p.stopped
	p.mu.Unlock()
	if stopped || !p.exited() {
		return nil
	}
	return fmt.Errorf("%s exited by itself: %v", p, p.err)
}

// waitLog waits until the process's output matches re and returns the
// submatches of the first match; it fails the test when the process exits
// first or timeout passes.
func (p *proc) waitLog(tb testing.TB, re *regexp.Regexp, timeout time.Duration) []string {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if m := re.FindStringSubmatch(p.log.String()); m != nil {
			return m
		}
		if p.exited() {
			tb.Fatalf("%s exited (%v) before logging %s:\n%s", p, p.err, re, p.log.tail(logTail))
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s did not log %s within %s:\n%s", p, re, timeout, p.log.tail(logTail))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// logTail is how much of a process's output a failure shows.
const logTail = 256 << 10

// logBuffer collects a process's output, written from os/exec's copying
// goroutine and read by the test.
type logBuffer struct{ testenv.SyncBuffer }

// tail returns the last n bytes of the output, from a line start.
func (b *logBuffer) tail(n int) string {
	all := b.String()
	if len(all) <= n {
		return all
	}
	s := all[len(all)-n:]
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return fmt.Sprintf("[... %d earlier bytes]\n%s", len(all)-len(s), s)
}
