package logx

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// gate is a writer that blocks every Write until opened.
type gate struct {
	open chan struct{}
	buf  syncBuffer
}

func (g *gate) Write(p []byte) (int, error) {
	<-g.open
	return g.buf.Write(p)
}

func TestAsyncWritesEveryLineOnClose(t *testing.T) {
	var out syncBuffer
	a := NewAsync(&out)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 250 {
				a.WriteLine(fmt.Appendf(nil, "line %d-%d\n", g, i), false)
			}
		})
	}
	wg.Wait()
	a.Close()
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 1000 || a.Dropped() != 0 {
		t.Fatalf("%d lines written, %d dropped; want 1000 and 0", len(lines), a.Dropped())
	}
	seen := map[string]bool{}
	for _, l := range lines {
		seen[l] = true
	}
	if len(seen) != 1000 || !seen["line 3-249"] {
		t.Fatalf("lines are not the ones taken: %d distinct", len(seen))
	}
	a.WriteLine([]byte("after close\n"), false)
	if !strings.HasSuffix(out.String(), "after close\n") {
		t.Fatal("a line after Close was not written")
	}
}

func TestAsyncFlushWritesWhatWaits(t *testing.T) {
	var out syncBuffer
	a := NewAsync(&out)
	defer a.Close()
	a.WriteLine([]byte("one\n"), false)
	a.Flush()
	if out.String() != "one\n" {
		t.Fatalf("after Flush: %q", out.String())
	}
}

func TestAsyncDropsUnderPressureButKeepsErrors(t *testing.T) {
	g := &gate{open: make(chan struct{})}
	const limit = 1000
	a := newAsync(g, limit)
	line := []byte(strings.Repeat("x", 99) + "\n") // 100 bytes
	// The first line is taken by the writer, which then blocks in Write;
	// the next ten fill the buffer to its limit.
	a.WriteLine(line, true)
	waitWriting(t, a)
	for range 10 {
		a.WriteLine(line, false)
	}
	for range 5 {
		a.WriteLine(line, false) // no room: dropped, without blocking
	}
	if a.Dropped() != 5 {
		t.Fatalf("dropped %d, want 5", a.Dropped())
	}
	kept := []byte("error line\n")
	a.WriteLine(kept, true) // past the limit, within twice it: taken
	if a.Dropped() != 5 {
		t.Fatalf("a line to keep was dropped: %d dropped", a.Dropped())
	}
	close(g.open)
	a.Close()
	got := g.buf.String()
	if n := strings.Count(got, "\n"); n != 12 || !strings.HasSuffix(got, "error line\n") {
		t.Fatalf("%d lines written, want 12 ending with the error line", n)
	}
}

func TestAsyncKeptLineWaitsForRoomPastTwiceTheLimit(t *testing.T) {
	g := &gate{open: make(chan struct{})}
	a := newAsync(g, 100)
	a.WriteLine([]byte("first\n"), true)
	waitWriting(t, a)
	big := append(bytes.Repeat([]byte("y"), 199), '\n') // 200 bytes: at twice the limit
	a.WriteLine(big, true)
	taken := make(chan struct{})
	go func() {
		a.WriteLine([]byte("last\n"), true) // waits: no room
		close(taken)
	}()
	time.Sleep(20 * time.Millisecond) // time for it to be taken, were it not waiting
	select {
	case <-taken:
		t.Fatal("a kept line past twice the limit did not wait")
	default:
	}
	close(g.open)
	<-taken
	a.Close()
	if got := g.buf.String(); !strings.HasPrefix(got, "first\n") || !strings.HasSuffix(got, "last\n") || a.Dropped() != 0 {
		t.Fatalf("written %q, %d dropped", got, a.Dropped())
	}
}

func TestAsyncCountsLinesLostToAFailedWrite(t *testing.T) {
	a := NewAsync(failing{})
	a.WriteLine([]byte("a\n"), false)
	a.WriteLine([]byte("b\n"), false)
	a.Close()
	if a.Dropped() != 2 {
		t.Fatalf("dropped %d, want 2", a.Dropped())
	}
}

type failing struct{}

func (failing) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// waitWriting waits until a's goroutine is in a Write.
func waitWriting(tb testing.TB, a *Async) {
	tb.Helper()
	for {
		a.mu.Lock()
		w := a.writing
		a.mu.Unlock()
		if w {
			return
		}
		runtime.Gosched()
	}
}
