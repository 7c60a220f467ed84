package scoring

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"gitlab.com/mlserve/mlserve/model"
)

// records splits CSV bytes into records exactly as encoding/csv does with
// its default settings and FieldsPerRecord -1 (the way csvdata reads
// datasets): fields are separated by ','; a field that starts with a quote
// is quoted, may hold commas, newlines and "" (one quote), and must be
// followed by ',' or the end of its line; a quote anywhere else is an
// error; "\r\n" ends a line as "\n" does, also inside quoted fields, where
// it reads as "\n"; a '\r' just before the end of the input is dropped;
// empty lines ("\n", "\r\n") are not records.
//
// It is several times faster than encoding/csv, which copies every record
// into a new string: a record without quotes, the common case, is found
// with one bytes.IndexByte for its line end and one search for the next
// quote shared by every record before it, and its fields are slices of
// the read buffer. Only quoted fields are copied, to undo their escapes.
// It allocates nothing per record once its buffers have grown to the
// longest record.
type records struct {
	r     io.Reader
	split bool // fill fields; without it next only finds record ends

	buf      []byte
	pos, end int   // buf[pos:end] is read from r, not yet parsed
	base     int64 // input offset of buf[0]
	eof      bool  // r has nothing more
	// quote is the index of the first '"' in buf at or after the
	// position it was last searched from (end when there is none), or
	// -1 after a refill. Searches only move forward between refills, so
	// one search serves every record up to the next quote.
	quote int

	// fields are the last record's fields: slices of buf or of scratch,
	// valid until the next call of next.
	fields  [][]byte
	scratch []byte
	n       int64 // records read so far
}

// newRecords returns a reader of r's records with a buffer of size bytes
// to start with; it grows to hold the longest record. With split, each
// record's fields are in fields after next.
func newRecords(r io.Reader, size int, split bool) *records {
	return &records{r: r, split: split, buf: make([]byte, max(size, 1)), quote: -1}
}

// Syntax problems, named as encoding/csv's ErrQuote and ErrBareQuote are.
const (
	problemUnclosed  = "a quoted field is never closed"
	problemStray     = `a closing quote is followed by more text; a quote inside a quoted field must be doubled ("")`
	problemBareQuote = "a quote appears inside an unquoted field"
)

// next reads the next record. It returns false, nil at the end of the
// input; a *model.Error with CodeCorrupt naming the record (1-based) for a
// syntax error, which a stored dataset never has, since Inspect checked
// it; and r's own errors wrapped.
func (r *records) next() (bool, error) {
	for {
		end, problem := r.parse()
		if problem != "" {
			return false, model.Errorf(model.CodeCorrupt, "record %d: %s", r.n+1, problem)
		}
		if end >= 0 {
			r.pos = end
			r.n++
			return true, nil
		}
		if r.eof {
			return false, nil
		}
		if err := r.fill(); err != nil {
			return false, err
		}
	}
}

// offset is the input offset just past the last record read: past its
// line end, or the end of the input.
func (r *records) offset() int64 { return r.base + int64(r.pos) }

// skipPrefix consumes p when the input starts with it.
func (r *records) skipPrefix(p []byte) error {
	for r.end < len(p) && !r.eof {
		if err := r.fill(); err != nil {
			return err
		}
	}
	if bytes.HasPrefix(r.buf[:r.end], p) {
		r.pos = len(p)
	}
	return nil
}

// parse finds the record at r.pos after any empty lines, which it
// consumes. It returns the record's end, -1 when the buffer does not hold
// all of it (or no record is left at the end of the input), or a syntax
// problem.
func (r *records) parse() (int, string) {
	buf := r.buf[:r.end]
	s := r.pos
	for s < len(buf) {
		if buf[s] == '\n' {
			s++
			continue
		}
		if buf[s] == '\r' {
			if s+1 < len(buf) && buf[s+1] == '\n' {
				s += 2
				continue
			}
			if s+1 == len(buf) {
				if !r.eof {
					break // "\r\n" or not: the next read tells
				}
				s++ // the '\r' before the end is dropped
				continue
			}
		}
		break
	}
	r.pos = s
	if s == len(buf) || (buf[s] == '\r' && s+1 == len(buf)) {
		return -1, ""
	}
	r.fields = r.fields[:0]
	lineEnd, end := len(buf), len(buf)
	if nl := bytes.IndexByte(buf[s:], '\n'); nl >= 0 {
		lineEnd, end = s+nl, s+nl+1
	} else if !r.eof {
		return -1, ""
	}
	if r.nextQuote(s) >= lineEnd {
		if r.split {
			r.splitLine(buf[s:lineEnd])
		}
		return end, ""
	}
	return r.parseQuoted(s)
}

// nextQuote returns the index of the first '"' in buf at or after i, or
// r.end. i must not be less than in the previous call since the last fill.
func (r *records) nextQuote(i int) int {
	if r.quote < i {
		r.quote = r.end
		if q := bytes.IndexByte(r.buf[i:r.end], '"'); q >= 0 {
			r.quote = i + q
		}
	}
	return r.quote
}

// splitLine adds the fields of the quote-free rest of a line, without its
// '\n', dropping the '\r' of a "\r\n" (or before the end of the input).
func (r *records) splitLine(line []byte) {
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	r.splitFields(line)
}

// splitFields adds the comma-separated fields of b.
func (r *records) splitFields(b []byte) {
	for {
		i := bytes.IndexByte(b, ',')
		if i < 0 {
			r.fields = append(r.fields, b)
			return
		}
		r.fields = append(r.fields, b[:i])
		b = b[i+1:]
	}
}

// parseQuoted parses, field by field, a record starting at s that has a
// quote in its first line; see parse.
func (r *records) parseQuoted(s int) (int, string) {
	buf := r.buf[:r.end]
	r.scratch = r.scratch[:0]
	i := s
	for {
		if i < len(buf) && buf[i] == '"' {
			next, end, problem := r.quoted(buf, i)
			if next < 0 {
				return end, problem
			}
			i = next
			continue
		}
		// Unquoted fields up to the next quote or the line's end.
		lineEnd, end := len(buf), len(buf)
		if nl := bytes.IndexByte(buf[i:], '\n'); nl >= 0 {
			lineEnd, end = i+nl, i+nl+1
		} else if !r.eof {
			return -1, ""
		}
		q := bytes.IndexByte(buf[i:lineEnd], '"')
		if q < 0 {
			if r.split {
				r.splitLine(buf[i:lineEnd])
			}
			return end, ""
		}
		q += i // > i: buf[i] is not a quote
		if buf[q-1] != ',' {
			return -1, problemBareQuote
		}
		if r.split {
			r.splitFields(buf[i : q-1])
		}
		i = q
	}
}

// quoted parses the quoted field opening at buf[i]. When the record goes
// on, it returns where its next field starts; else next is -1 and end and
// problem are parse's results.
func (r *records) quoted(buf []byte, i int) (next, end int, problem string) {
	start := len(r.scratch)
	j := i + 1
	for {
		k := bytes.IndexByte(buf[j:], '"')
		if k < 0 {
			if r.eof {
				return -1, -1, problemUnclosed
			}
			return -1, -1, ""
		}
		c := j + k // a closing quote or the first of ""
		if r.split {
			r.scratch = appendFolded(r.scratch, buf[j:c])
		}
		after := byte(0)
		if c+1 < len(buf) {
			after = buf[c+1]
		} else if !r.eof {
			return -1, -1, ""
		}
		switch {
		case after == '"':
			if r.split {
				r.scratch = append(r.scratch, '"')
			}
			j = c + 2
			continue
		case after == ',':
			r.addQuoted(start)
			return c + 2, 0, ""
		case c+1 == len(buf) || after == '\n':
			r.addQuoted(start)
			return -1, min(c+2, len(buf)), ""
		case after == '\r' && c+2 == len(buf):
			if !r.eof {
				return -1, -1, ""
			}
			r.addQuoted(start)
			return -1, len(buf), ""
		case after == '\r' && buf[c+2] == '\n':
			r.addQuoted(start)
			return -1, c + 3, ""
		}
		return -1, -1, problemStray
	}
}

// addQuoted adds the quoted field unescaped into scratch[start:].
func (r *records) addQuoted(start int) {
	if r.split {
		r.fields = append(r.fields, r.scratch[start:len(r.scratch):len(r.scratch)])
	}
}

// appendFolded appends src with every "\r\n" read as "\n", as encoding/csv
// reads line ends inside a quoted field.
func appendFolded(dst, src []byte) []byte {
	for {
		i := bytes.Index(src, []byte("\r\n"))
		if i < 0 {
			return append(dst, src...)
		}
		dst = append(append(dst, src[:i]...), '\n')
		src = src[i+2:]
	}
}

// fill moves the unread bytes to the front of the buffer, grows it when
// they fill most of it (a long record), and reads until it is full or the
// input ends.
func (r *records) fill() error {
	if r.pos > 0 {
		r.end = copy(r.buf, r.buf[r.pos:r.end])
		r.base += int64(r.pos)
		r.pos = 0
	}
	if free := len(r.buf) - r.end; free == 0 || free < len(r.buf)/4 {
		grown := make([]byte, 2*len(r.buf))
		copy(grown, r.buf[:r.end])
		r.buf = grown
	}
	r.quote = -1
	for empty := 0; r.end < len(r.buf); {
		n, err := r.r.Read(r.buf[r.end:])
		r.end += n
		switch {
		case errors.Is(err, io.EOF):
			r.eof = true
			return nil
		case err != nil:
			return fmt.Errorf("read csv: %w", err)
		case n > 0:
			empty = 0
		default:
			// A reader that keeps returning nothing and no error breaks
			// the io.Reader contract; give up as bufio does.
			if empty++; empty == 100 {
				return fmt.Errorf("read csv: %w", io.ErrNoProgress)
			}
		}
	}
	return nil
}
