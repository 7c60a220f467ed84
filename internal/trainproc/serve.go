package trainproc

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sync"
	"syscall"

	"gitlab.com/mlserve/mlserve/model"
)

// IsChild reports whether this process is a training child started by a
// Runner. A main calls it before anything else:
//
//	if trainproc.IsChild() {
//		os.Exit(trainproc.ServeChild(learners.NewTrainer()))
//	}
func IsChild() bool {
	return os.Getenv(childEnv) == "1"
}

// ServeChild is the whole life of a training child: it reads the spec,
// runs t.Train on the dataset from stdin, forwards progress, and sends the
// result or the error to the parent. A panic in t.Train becomes a
// CodeTrainFailed error; stdout stays the training library's to print on.
// The child exits as soon as its parent dies. It returns the process's
// exit code: 0 once the parent has the result or the error, 2 when the
// protocol itself failed.
func ServeChild(t model.Trainer) int {
	os.Unsetenv(childEnv) // not inherited by anything the trainer starts
	specFile := os.NewFile(specFD, "trainproc-spec")
	results := os.NewFile(resultsFD, "trainproc-results")
	if specFile == nil || results == nil {
		fmt.Fprintln(os.Stderr, "trainproc: no protocol pipes: this process was not started by trainproc.Runner")
		return 2
	}
	// Inherited without close-on-exec: anything the trainer starts would
	// hold them too, and the parent would never see their EOF.
	syscall.CloseOnExec(specFD)
	syscall.CloseOnExec(resultsFD)
	var spec model.TrainSpec
	if err := json.NewDecoder(specFile).Decode(&spec); err != nil {
		fmt.Fprintf(os.Stderr, "trainproc: read the training spec: %v\n", err)
		return 2
	}
	go func() {
		// The parent writes nothing more but holds the pipe open while it
		// lives: EOF means it died, and nobody wants this training.
		_, _ = io.Copy(io.Discard, specFile)
		fmt.Fprintln(os.Stderr, "trainproc: the parent process is gone")
		os.Exit(2)
	}()

	w := &messageWriter{w: bufio.NewWriterSize(results, 64<<10)}
	res, err := train(t, spec, w.progress)
	if err != nil {
		err = w.final(message{Error: newChildError(err)}, nil)
	} else {
		err = w.final(resultMessage(res), res.Artifact)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "trainproc: send the outcome: %v\n", err)
		return 2
	}
	return 0
}

// train runs t.Train, turning a panic into a CodeTrainFailed error and
// logging its stack on stderr for the parent's debug log.
func train(t model.Trainer, spec model.TrainSpec, progress func(model.Progress)) (res *model.TrainResult, err error) {
	defer func() {
		if v := recover(); v != nil {
			fmt.Fprintf(os.Stderr, "trainproc: training panicked: %v\n%s", v, debug.Stack())
			res, err = nil, model.Errorf(model.CodeTrainFailed, "the training library panicked: %v", v)
		}
	}()
	res, err = t.Train(context.Background(), spec, os.Stdin, progress)
	if err == nil && res == nil {
		err = errors.New("the trainer returned neither a result nor an error")
	}
	return res, err
}

// messageWriter writes the child's messages; progress may come from any
// goroutine and is dropped once the final message is written.
type messageWriter struct {
	mu   sync.Mutex
	w    *bufio.Writer
	done bool
}

func (m *messageWriter) progress(p model.Progress) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.done {
		_ = writeMessage(m.w, message{Progress: &p}, nil) // a dead parent shows on the lifeline
	}
}

func (m *messageWriter) final(msg message, artifact []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.done = true
	return writeMessage(m.w, msg, artifact)
}
