package csvdata

import (
	"bytes"
	"crypto/sha256"
	"hash"
	"io"
)

// errTooLarge is what source returns once the input passes Limits.MaxBytes.
// Inspect turns it into a model.CodeTooLarge error.
type errTooLarge struct{}

func (errTooLarge) Error() string { return "csv input over the size limit" }

// source is the bottom of Inspect's read stack, under the buffering and the
// BOM check, so it sees every byte of the caller's reader exactly once: it
// hashes and counts them, stops reading one byte past MaxBytes, and records
// where the input ended (see lineTail).
type source struct {
	r        io.Reader
	sha      hash.Hash
	size     int64
	max      int64 // 0: no limit
	tooLarge bool
	eof      bool
	tail     lineTail

	// While the header is read (headerStop > 0): where reading stops, the
	// header limit it follows from, whether it stopped, and whether a CR
	// without a LF went by (see lineEndings).
	headerStop    int64
	headerMax     int64
	headerTooLong bool
	loneCR        lineEndings
}

// errHeaderTooLong is what source returns once the header is certainly
// longer than its limit. Inspect turns it into a model.CodeInvalid error.
type errHeaderTooLong struct{}

func (errHeaderTooLong) Error() string { return "csv header over the size limit" }

// limitHeader makes Read fail once the header, after a byte-order mark of
// bom bytes, is certainly longer than maxBytes: when maxBytes plus one
// buffer have been read, since the buffer above reads at most bufferSize
// bytes ahead of the record encoding/csv is in. Inspect then checks the
// exact length of a header read whole.
func (s *source) limitHeader(bom, maxBytes int64) {
	s.headerStop, s.headerMax = bom+maxBytes+bufferSize, maxBytes
}

// headerRead ends the header's limit.
func (s *source) headerRead() { s.headerStop = 0 }

func newSource(r io.Reader, maxBytes int64) *source {
	return &source{r: r, sha: sha256.New(), max: maxBytes}
}

// Read reads at most one byte past the limit from the underlying reader,
// so a caller that tees the same reader into storage never stores more
// than MaxBytes+1 bytes of an oversized upload.
func (s *source) Read(p []byte) (int, error) {
	if s.tooLarge {
		return 0, errTooLarge{}
	}
	if s.headerTooLong {
		return 0, errHeaderTooLong{}
	}
	if s.max > 0 {
		if rest := s.max - s.size + 1; int64(len(p)) > rest {
			p = p[:rest]
		}
	}
	n, err := s.r.Read(p)
	if n > 0 {
		s.sha.Write(p[:n]) // a hash.Hash never returns an error
		s.size += int64(n)
		s.tail.observe(p[:n])
		if s.headerStop > 0 {
			s.loneCR.observe(p[:n])
		}
	}
	if s.max > 0 && s.size > s.max {
		s.tooLarge = true
		return n, errTooLarge{}
	}
	if s.headerStop > 0 && s.size > s.headerStop {
		s.headerTooLong = true
		return n, errHeaderTooLong{}
	}
	if err == io.EOF {
		s.eof = true
	}
	return n, err
}

// lineTail follows the line structure of the input cheaply (one
// bytes.Count and two LastIndexByte per read) so that, once the input has
// ended, Inspect knows the number and length of its last line. That is the
// only way to tell apart the two problems encoding/csv reports as the same
// csv.ErrQuote: a quoted field still open at the end of the input (the
// error then points past the end of the last line) and a stray character
// after a closing quote (the error points at that quote, inside the line).
type lineTail struct {
	newlines   int64
	cur        int64 // bytes after the last '\n'
	curEndsCR  bool  // the last of those bytes is '\r'
	prev       int64 // bytes of the line the last '\n' ends, without the '\n'
	prevEndsCR bool
}

func (t *lineTail) observe(p []byte) {
	i := bytes.LastIndexByte(p, '\n')
	if i < 0 {
		t.cur += int64(len(p))
		t.curEndsCR = p[len(p)-1] == '\r'
		return
	}
	t.newlines += int64(bytes.Count(p, []byte{'\n'}))
	if j := bytes.LastIndexByte(p[:i], '\n'); j >= 0 {
		t.prev = int64(i - j - 1)
		t.prevEndsCR = i-j > 1 && p[i-1] == '\r'
	} else {
		t.prev = t.cur + int64(i)
		if i > 0 {
			t.prevEndsCR = p[i-1] == '\r'
		} else {
			t.prevEndsCR = t.cur > 0 && t.curEndsCR
		}
	}
	t.cur = int64(len(p) - i - 1)
	t.curEndsCR = t.cur > 0 && p[len(p)-1] == '\r'
}

// lastLine returns the 1-based number of the last line encoding/csv sees
// as non-empty and that line's length as encoding/csv measures it: without
// its "\n" or "\r\n", without a '\r' just before the end of input (which
// encoding/csv drops), and without a byte-order mark of bom bytes on line 1.
func (t *lineTail) lastLine(bom int) (line, length int64) {
	if t.cur > 1 || (t.cur == 1 && !t.curEndsCR) {
		line, length = t.newlines+1, t.cur
		if t.curEndsCR {
			length--
		}
	} else {
		line, length = t.newlines, t.prev
		if t.prevEndsCR {
			length--
		}
	}
	if line == 1 {
		length -= int64(bom)
	}
	return line, length
}

// lineEndings watches for a carriage return that no line feed follows, the
// mark of CR-only line endings, across reads.
type lineEndings struct {
	seen    bool
	pending bool // the last byte observed is a CR
}

func (e *lineEndings) observe(p []byte) {
	for len(p) > 0 && !e.seen {
		if e.pending {
			e.pending = false
			e.seen = p[0] != '\n'
			continue
		}
		i := bytes.IndexByte(p, '\r')
		if i < 0 {
			return
		}
		e.pending, p = true, p[i+1:]
	}
}
