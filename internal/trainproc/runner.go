package trainproc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"syscall"
	"time"

	"gitlab.com/mlserve/mlserve/model"
)

// childArg is the child's only argument. mains hand a child to ServeChild
// before reading arguments; one that does not (a wiring mistake) fails on
// an unknown command instead of starting a server.
const childArg = "train-child"

// waitDelay bounds how long a dead child's output pipe may stay open (held
// by something that escaped its process group) before Train gives up on it.
const waitDelay = 5 * time.Second

// maxArtifactNoLimit bounds an artifact when Options.MemoryLimit is 0.
const maxArtifactNoLimit = 4 << 30

// Options configures a Runner.
type Options struct {
	// Executable is the binary to run as the child; empty means
	// os.Executable(). Its main must call IsChild and ServeChild first.
	Executable string
	// MemoryLimit is the most resident memory in bytes the child may use
	// (jobs.train_memory): the child gets GOMEMLIMIT at 90% of it and is
	// killed over it. 0 means no limit.
	MemoryLimit int64
	// Threads bounds the threads the child's training keeps busy: its
	// GOMAXPROCS (jobs.train_threads). 0 leaves Go's default, every core
	// the process may use.
	Threads int
	// Env holds extra "KEY=value" entries for the child, overriding the
	// parent's environment. The child's own GODEBUG settings are merged
	// into the resulting GODEBUG.
	Env []string
	// Logger receives the child's output at debug level; nil discards.
	Logger *slog.Logger
}

// Runner is a model.Trainer that trains in a child process. It is safe for
// concurrent use: each Train runs its own child.
type Runner struct {
	o      Options
	exeErr error
}

var _ model.Trainer = (*Runner)(nil)

// NewRunner returns a Runner. An error finding the executable is reported
// by Train.
func NewRunner(o Options) *Runner {
	r := &Runner{o: o}
	if r.o.Executable == "" {
		r.o.Executable, r.exeErr = os.Executable()
	}
	if r.o.Logger == nil {
		r.o.Logger = slog.New(slog.DiscardHandler)
	}
	return r
}

// Train implements model.Trainer: it runs t.Train of the child's
// ServeChild with spec and streams data to it. It calls progress as the
// child reports, from another goroutine, one call at a time and never after
// Train returns; a panic in progress is re-raised by Train. Besides the
// trainer's own errors, it returns:
//   - an error wrapping ctx.Err() and context.Cause(ctx) once ctx is done,
//     the child killed and reaped;
//   - CodeTooLarge when the child's resident memory went over MemoryLimit;
//   - CodeTrainFailed when the child died without a result (a crash, a
//     signal, a panic in another goroutine), with its exit status and the
//     end of its output;
//   - data's read error: a partly read dataset never trains a model.
//
// Train returns only once it is done reading data, so the caller may
// inspect or close data afterwards.
func (r *Runner) Train(ctx context.Context, spec model.TrainSpec, data io.Reader, progress func(model.Progress)) (*model.TrainResult, error) {
	if r.exeErr != nil {
		return nil, fmt.Errorf("find the binary to train in: %w", r.exeErr)
	}
	if ctx.Err() != nil {
		return nil, stopped(ctx)
	}
	specJSON, err := json.Marshal(spec)
	if err != nil {
		return nil, fmt.Errorf("encode the training spec: %w", err)
	}
	p, err := r.start(ctx)
	if err != nil {
		return nil, err
	}
	defer p.closeParentEnds()
	go p.supervise(ctx, r.o.MemoryLimit)
	fed := make(chan error, 1)
	go func() { fed <- p.feed(specJSON, data) }()
	read := make(chan outcome, 1)
	go func() { read <- p.readResults(progress, r.maxArtifact()) }()

	waitErr := p.wait()
	p.out.flush()
	p.specW.Close() // the child is gone; its lifeline is no longer needed
	p.detach()
	out := <-read
	feedErr := <-fed
	r.o.Logger.DebugContext(ctx, "training process exited", "pid", p.pid, "status", p.cmd.ProcessState.String())
	if out.panicked != nil {
		panic(out.panicked)
	}
	return r.decide(ctx, p, out, feedErr, waitErr)
}

// decide turns how the child ended into Train's result.
func (r *Runner) decide(ctx context.Context, p *child, out outcome, feedErr, waitErr error) (*model.TrainResult, error) {
	switch p.killReason() {
	case killCanceled:
		return nil, stopped(ctx)
	case killMemory:
		return nil, model.Errorf(model.CodeTooLarge, "training used more than %d MiB (jobs.train_memory)", r.o.MemoryLimit>>20)
	}
	if feedErr != nil {
		return nil, fmt.Errorf("read the dataset: %w", feedErr)
	}
	if out.result != nil {
		if waitErr != nil {
			r.o.Logger.WarnContext(ctx, "training process failed after sending its result", "pid", p.pid, "err", waitErr)
		}
		return out.result, nil
	}
	if ctx.Err() != nil {
		return nil, stopped(ctx)
	}
	if out.childErr != nil {
		return nil, out.childErr
	}
	output := ""
	if s := p.out.summary(); s != "" {
		output = ": " + s
	}
	if out.err != nil {
		return nil, fmt.Errorf("training process broke the protocol: %w%s", out.err, output)
	}
	return nil, exitError(p.cmd.ProcessState, waitErr, output)
}

// exitError explains a child that exited without a result.
func exitError(ps *os.ProcessState, waitErr error, output string) error {
	if ps == nil {
		return fmt.Errorf("wait for the training process: %w%s", waitErr, output)
	}
	ws, _ := ps.Sys().(syscall.WaitStatus)
	switch {
	case ws.Signaled() && ws.Signal() == syscall.SIGKILL:
		return model.Errorf(model.CodeTrainFailed, "training process was killed (SIGKILL, perhaps by the system for lack of memory)%s", output)
	case ws.Signaled():
		return model.Errorf(model.CodeTrainFailed, "training process was killed by signal %s%s", ws.Signal(), output)
	case ps.ExitCode() == 0:
		// Not the training's fault: the binary does not serve as a child.
		return fmt.Errorf("training process exited without a result; does main call trainproc.ServeChild first?%s", output)
	default:
		return model.Errorf(model.CodeTrainFailed, "training process exited with status %d%s", ps.ExitCode(), output)
	}
}

// stopped is Train's error once ctx is done.
func stopped(ctx context.Context) error {
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, ctx.Err()) {
		return fmt.Errorf("training stopped: %w: %w", ctx.Err(), cause)
	}
	return fmt.Errorf("training stopped: %w", ctx.Err())
}

func (r *Runner) maxArtifact() int64 {
	if r.o.MemoryLimit > 0 {
		return r.o.MemoryLimit
	}
	return maxArtifactNoLimit
}

func (r *Runner) env() []string {
	return buildEnv(append(os.Environ(), r.o.Env...), r.o.MemoryLimit, r.o.Threads)
}
