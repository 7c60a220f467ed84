package trainproc

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
)

const (
	// tailBytes is how much of the child's output is kept to explain a
	// crash.
	tailBytes = 64 << 10
	// logLineBytes bounds one logged line; liblinear and KNN print short
	// lines, anything longer is cut.
	logLineBytes = 4 << 10
	// summaryLines and summaryBytes bound the output quoted in an error.
	summaryLines = 5
	summaryBytes = 1 << 10
)

// outputLog is the child's stdout and stderr: it logs each line at debug
// level with the job's context and keeps the last tailBytes. Safe for
// concurrent use.
type outputLog struct {
	ctx    context.Context
	logger *slog.Logger

	mu      sync.Mutex
	pid     int
	tail    []byte // the last tailBytes, compacted once it doubles
	partial []byte // the current line, up to logLineBytes
	cut     bool   // the current line was longer than logLineBytes
}

func newOutputLog(ctx context.Context, logger *slog.Logger) *outputLog {
	return &outputLog{ctx: ctx, logger: logger}
}

// Write implements io.Writer; it never fails.
func (o *outputLog) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.tail = append(o.tail, p...)
	if len(o.tail) > 2*tailBytes {
		o.tail = o.tail[:copy(o.tail, o.tail[len(o.tail)-tailBytes:])]
	}
	if !o.logger.Enabled(o.ctx, slog.LevelDebug) {
		return len(p), nil
	}
	for rest := p; len(rest) > 0; {
		line, more, complete := bytes.Cut(rest, []byte{'\n'})
		room := max(logLineBytes-len(o.partial), 0)
		if len(line) > room {
			line, o.cut = line[:room], true
		}
		o.partial = append(o.partial, line...)
		if !complete {
			break
		}
		o.flushLocked()
		rest = more
	}
	return len(p), nil
}

// setPID names the process in the log lines.
func (o *outputLog) setPID(pid int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.pid = pid
}

// flush logs a last line that had no newline.
func (o *outputLog) flush() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.partial) > 0 || o.cut {
		o.flushLocked()
	}
}

func (o *outputLog) flushLocked() {
	attrs := []any{"pid", o.pid, "line", string(o.partial)}
	if o.cut {
		attrs = append(attrs, "truncated", true)
	}
	o.logger.DebugContext(o.ctx, "training process output", attrs...)
	o.partial, o.cut = o.partial[:0], false
}

// String returns the kept tail of the output.
func (o *outputLog) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return string(o.tail[max(len(o.tail)-tailBytes, 0):])
}

// summary is the part of the output worth quoting in an error: when the
// Go runtime crashed, its lines from the reason up to the first stack (a crash's last lines are stack frames, not its
// reason); else the last summaryLines lines. Lines are joined with " | "
// and cut to summaryBytes.
func (o *outputLog) summary() string {
	all := strings.Split(o.String(), "\n")
	crash := -1
	for i, l := range all {
		if crashStart(l) {
			crash = i
		}
	}
	lines := all
	if crash >= 0 {
		lines = all[crash:]
		for i, l := range lines {
			if strings.HasPrefix(l, "goroutine ") || strings.HasPrefix(l, "runtime stack:") {
				lines = lines[:i]
				break
			}
		}
	}
	var kept []string
	for _, l := range lines {
		if l = strings.TrimSpace(l); l != "" {
			kept = append(kept, l)
		}
	}
	if crash >= 0 {
		kept = kept[:min(len(kept), summaryLines)]
	} else {
		kept = kept[max(len(kept)-summaryLines, 0):]
	}
	s := strings.Join(kept, " | ")
	if len(s) > summaryBytes {
		s = strings.ToValidUTF8(s[:summaryBytes], "") + "…"
	}
	return s
}

// crashStart tells whether a line starts the Go runtime's report of a
// crash: "panic: ...", "fatal error: ...", or "SIGSEGV: ..." for a signal
// in C code.
func crashStart(l string) bool {
	if strings.HasPrefix(l, "panic: ") || strings.HasPrefix(l, "fatal error: ") {
		return true
	}
	name, _, ok := strings.Cut(l, ": ")
	return ok && len(name) > 3 && strings.HasPrefix(name, "SIG") && strings.ToUpper(name) == name && !strings.ContainsAny(name, " \t")
}
