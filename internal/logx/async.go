package logx

import (
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of an Async writer.
const (
	// asyncLimit is what may wait to be written before lines that may be
	// dropped are: about four thousand access-log lines.
	asyncLimit = 1 << 20
	// asyncFlushAt wakes the writer early once this much waits.
	asyncFlushAt = 32 << 10
	// asyncFlushEvery bounds how long a line waits to be written.
	asyncFlushEvery = 200 * time.Millisecond
)

// Async is a buffered asynchronous writer of whole lines, for a log written
// on every request: a caller only copies its line into memory, and one
// goroutine writes what accumulated in a single Write, at most every
// 200 ms or when 32 KiB wait (sooner for a line that must be kept).
//
// It never blocks a caller on the destination: when 1 MiB waits
// (the destination is slow or stuck), a line that may be dropped is
// dropped and counted (Dropped). A line that must be kept (an error) is
// taken up to twice that, and only beyond it waits for room. Lines are
// written in the order they were taken. Close writes what waits.
type Async struct {
	w     io.Writer
	limit int

	mu      sync.Mutex
	room    *sync.Cond // signalled after each write: room, or all written
	buf     []byte     // lines waiting
	lines   int        // how many
	spare   []byte     // the buffer being written, reused
	writing bool
	closed  bool

	wake    chan struct{} // cap 1: the writer has something to do
	timer   *time.Timer   // wakes the writer asyncFlushEvery after a first line
	done    chan struct{}
	dropped atomic.Uint64
}

// NewAsync returns an Async writing to w and starts its goroutine; Close
// stops it.
func NewAsync(w io.Writer) *Async {
	return newAsync(w, asyncLimit)
}

func newAsync(w io.Writer, limit int) *Async {
	a := &Async{w: w, limit: limit, wake: make(chan struct{}, 1), done: make(chan struct{})}
	a.room = sync.NewCond(&a.mu)
	a.timer = time.AfterFunc(time.Hour, a.kick)
	a.timer.Stop()
	go a.run()
	return a
}

// WriteLine takes one line (p, ending in a newline; it is copied, so p may
// be reused at once). keep says it must not be dropped. After Close it is
// written at once.
func (a *Async) WriteLine(p []byte, keep bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.buf)+len(p) > a.limit && !a.closed {
		if !keep {
			a.dropped.Add(1)
			return
		}
		for len(a.buf) > 0 && len(a.buf)+len(p) > 2*a.limit && !a.closed {
			a.kick()
			a.room.Wait()
		}
	}
	if a.closed {
		a.direct(p)
		return
	}
	if len(a.buf) == 0 {
		a.timer.Reset(asyncFlushEvery)
	}
	a.buf = append(a.buf, p...)
	a.lines++
	if keep || len(a.buf) >= asyncFlushAt {
		a.kick()
	}
}

// direct writes p once the goroutine is done, a.mu held: after Close,
// the caller's lock orders the writes.
func (a *Async) direct(p []byte) {
	a.mu.Unlock()
	<-a.done
	a.mu.Lock()
	if _, err := a.w.Write(p); err != nil {
		a.dropped.Add(1)
	}
}

// Dropped is how many lines were dropped so far: not taken because too
// much waited, or lost to a failed write.
func (a *Async) Dropped() uint64 { return a.dropped.Load() }

// Flush returns once every line taken before it is written.
func (a *Async) Flush() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for (len(a.buf) > 0 || a.writing) && !a.closed {
		a.kick()
		a.room.Wait()
	}
}

// Close writes every line waiting and stops the goroutine. Lines taken
// afterwards are written directly.
func (a *Async) Close() {
	a.mu.Lock()
	a.closed = true
	a.room.Broadcast()
	a.mu.Unlock()
	a.kick()
	<-a.done
	a.timer.Stop()
}

// kick wakes the writer, without waiting.
func (a *Async) kick() {
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

// run writes what waits each time it is woken, until Close.
func (a *Async) run() {
	defer close(a.done)
	for range a.wake {
		a.mu.Lock()
		for len(a.buf) > 0 {
			b, n := a.buf, a.lines
			a.buf, a.lines, a.spare, a.writing = a.spare[:0], 0, nil, true
			a.mu.Unlock()
			if _, err := a.w.Write(b); err != nil {
				a.dropped.Add(uint64(n))
			}
			a.mu.Lock()
			a.spare, a.writing = b[:0], false
			a.room.Broadcast()
		}
		closed := a.closed
		a.room.Broadcast()
		a.mu.Unlock()
		if closed {
			return
		}
	}
}
