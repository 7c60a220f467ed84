package trainproc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"

	"gitlab.com/mlserve/mlserve/model"
)

// child is a started training process, seen from the parent: the process
// and the parent's ends of its pipes.
type child struct {
	*proc
	out      *outputLog
	specW    *os.File // the spec, then held open as the child's lifeline
	stdinW   *os.File // the dataset
	resultsR *os.File // the child's messages
}

// start starts the child with its pipes connected.
func (r *Runner) start(ctx context.Context) (*child, error) {
	var files []*os.File // every pipe end, closed on failure
	pipe := func() (rd, wr *os.File, err error) {
		if rd, wr, err = os.Pipe(); err == nil {
			files = append(files, rd, wr)
		}
		return rd, wr, err
	}
	closeAll := func() {
		for _, f := range files {
			f.Close()
		}
	}
	specR, specW, err1 := pipe()
	stdinR, stdinW, err2 := pipe()
	resultsR, resultsW, err3 := pipe()
	if err := errors.Join(err1, err2, err3); err != nil {
		closeAll()
		return nil, fmt.Errorf("make the training process's pipes: %w", err)
	}

	out := newOutputLog(ctx, r.o.Logger)
	cmd := exec.Command(r.o.Executable, childArg)
	cmd.Env = r.env()
	cmd.Stdin = stdinR
	cmd.Stdout, cmd.Stderr = out, out // one pipe: the lines keep their order
	cmd.ExtraFiles = []*os.File{specR, resultsW}
	cmd.SysProcAttr = sysProcAttr()
	cmd.WaitDelay = waitDelay
	if err := cmd.Start(); err != nil {
		closeAll()
		return nil, fmt.Errorf("start the training process: %w", err)
	}
	// The child has its ends; the parent holding them would hide EOFs.
	specR.Close()
	stdinR.Close()
	resultsW.Close()
	out.setPID(cmd.Process.Pid)
	r.o.Logger.DebugContext(ctx, "training process started", "pid", cmd.Process.Pid, "memory_limit", r.o.MemoryLimit)
	return &child{proc: newProc(cmd), out: out, specW: specW, stdinW: stdinW, resultsR: resultsR}, nil
}

// closeParentEnds closes the parent's pipe ends; some may be closed
// already.
func (c *child) closeParentEnds() {
	c.specW.Close()
	c.stdinW.Close()
	c.resultsR.Close()
}

// detach bounds the wait for the pipes once the child is reaped: what is
// still unread is there at once, and a process that escaped the group with
// a pipe end must not hold Train forever.
func (c *child) detach() {
	deadline := time.Now().Add(waitDelay)
	_ = c.resultsR.SetReadDeadline(deadline)
	_ = c.stdinW.SetWriteDeadline(deadline)
}

// feed sends the spec, then streams data to the child's stdin and closes
// it. It returns data's read error after killing the child, which must not
// train on part of a dataset. A failed write only means the child stopped
// reading (it finished early or died): its exit says why.
func (c *child) feed(spec []byte, data io.Reader) error {
	defer c.stdinW.Close()
	if _, err := c.specW.Write(spec); err != nil {
		return nil
	}
	src := &errReader{r: data}
	_, _ = io.Copy(c.stdinW, src)
	if src.err != nil {
		c.kill(killInput)
		return src.err
	}
	return nil
}

// readResults reads the child's messages. A child that breaks the
// protocol is killed, as nothing it sends can be trusted any more; so is
// one whose progress callback panicked, the panic kept for Train to raise
// on the caller's goroutine.
func (c *child) readResults(progress func(model.Progress), maxArtifact int64) (out outcome) {
	defer func() {
		if v := recover(); v != nil {
			c.kill(killProtocol)
			out = outcome{panicked: v}
		}
	}()
	out = readMessages(c.resultsR, progress, maxArtifact)
	if out.err != nil {
		c.kill(killProtocol)
	}
	return out
}

// errReader records the first read error other than io.EOF, which io.Copy
// does not tell apart from a write error.
type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF && e.err == nil {
		e.err = err
	}
	return n, err
}
