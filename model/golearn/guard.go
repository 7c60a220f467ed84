package golearn

import (
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/sjwhitworth/golearn/base"

	"gitlab.com/mlserve/mlserve/model"
)

// golearnCall runs f, which calls into golearn, and turns a panic inside
// it into a CodeTrainFailed error: golearn panics on data it cannot handle
// (and on a cgo pointer check), and a panic must fail the job, not kill
// the process. what names the step for the message.
func golearnCall(what string, f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = panicError(what, r)
		}
	}()
	return f()
}

func panicError(what string, r any) *model.Error {
	msg := fmt.Sprint(r)
	if strings.Contains(msg, "cgo") && strings.Contains(msg, "Go pointer") {
		return model.Errorf(model.CodeTrainFailed,
			"%s: golearn's liblinear binding passes Go pointers to C, which needs GODEBUG=cgocheck=0 in the training process (%s)",
			what, msg)
	}
	return model.Errorf(model.CodeTrainFailed, "%s: golearn failed: %s", what, msg)
}

// quiet guards the one change to golearn's process-wide logger.
var quiet sync.Once

// silenceGolearn points golearn's package logger at io.Discard: liblinear
// logs its iterations through it, and it writes to stdout by default.
// golearn's logger is process-wide, so this is done once, by the first
// training, and never undone.
func silenceGolearn() {
	quiet.Do(func() { base.SetLoggerOut(io.Discard) })
}

// invalidf returns a CodeInvalid error: the data cannot train this model.
func invalidf(format string, args ...any) error {
	return model.Errorf(model.CodeInvalid, format, args...)
}
