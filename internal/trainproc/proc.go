package trainproc

import (
	"context"
	"os/exec"
	"sync"
	"time"
)

// pollInterval is how often the watchdog reads the child's resident memory.
const pollInterval = 150 * time.Millisecond

// killReason is why the parent killed the child.
type killReason int

const (
	notKilled    killReason = iota
	killCanceled            // the caller's ctx is done
	killMemory              // over Options.MemoryLimit
	killInput               // reading the dataset failed: the child must not train on part of it
	killProtocol            // the child broke the protocol
)

// proc is a started child: it kills it (with anything it started) at most
// once and never after it has been reaped, so a recycled pid is safe.
type proc struct {
	cmd    *exec.Cmd
	pid    int
	exited chan struct{} // closed once the child has exited

	mu     sync.Mutex
	gone   bool // the child exited: no more signals
	reason killReason
}

func newProc(cmd *exec.Cmd) *proc {
	return &proc{cmd: cmd, pid: cmd.Process.Pid, exited: make(chan struct{})}
}

// kill SIGKILLs the child's process group unless it has exited; the first
// reason given is the one kept.
func (p *proc) kill(r killReason) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.gone {
		return
	}
	if p.reason == notKilled {
		p.reason = r
	}
	killGroup(p.cmd.Process)
}

func (p *proc) killReason() killReason {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.reason
}

// supervise kills the child when ctx is done or, with limit > 0, when its
// resident memory goes over limit bytes. It returns when the child exits.
func (p *proc) supervise(ctx context.Context, limit int64) {
	var tick <-chan time.Time
	if limit > 0 {
		t := time.NewTicker(pollInterval)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-p.exited:
			return
		case <-ctx.Done():
			p.kill(killCanceled)
			return
		case <-tick:
			if rss, err := readRSS(p.pid); err == nil && rss > limit {
				p.kill(killMemory)
				return
			}
		}
	}
}

// wait waits for the child to exit, kills what is left of its process
// group while the child's pid still names it (the child is not reaped yet),
// then reaps the child and waits for its output to drain.
func (p *proc) wait() error {
	if waitExited(p.pid) == nil {
		p.mu.Lock()
		killGroup(p.cmd.Process)
		p.gone = true
		p.mu.Unlock()
	}
	err := p.cmd.Wait()
	p.mu.Lock()
	p.gone = true
	p.mu.Unlock()
	close(p.exited)
	return err
}
