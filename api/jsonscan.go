package api

import (
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	"gitlab.com/mlserve/mlserve/model"
)

// maxSkipDepth bounds the nesting of a value the prediction decoders skip
// (a wrong-typed feature value, say). Nothing valid nests at all there, and
// the bound keeps a hostile body from recursing deeply.
const maxSkipDepth = 64

// jsonScanner reads one JSON document from memory for the prediction
// decoders, which decode a fixed shape and must name the row and the feature
// of every bad value without the reflection and per-value allocations of
// encoding/json. It implements the grammar of RFC 8259 exactly: anything
// else is a CodeMalformed error carrying the offset. It never panics.
type jsonScanner struct {
	data []byte
	pos  int
	// esc receives unescaped strings; reused across calls.
	esc []byte
}

// syntaxError is the malformed-body error at the scanner's position.
func (s *jsonScanner) syntaxError(what string) error {
	return model.Errorf(model.CodeMalformed, "malformed JSON at offset %d: %s", s.pos, what)
}

// ws skips whitespace.
func (s *jsonScanner) ws() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// peek skips whitespace and returns the next byte, or 0 at the end.
func (s *jsonScanner) peek() byte {
	s.ws()
	if s.pos < len(s.data) {
		return s.data[s.pos]
	}
	return 0
}

// expect skips whitespace and consumes c.
func (s *jsonScanner) expect(c byte) error {
	if s.peek() != c {
		if s.pos >= len(s.data) {
			return s.syntaxError("unexpected end of input, want " + strconv.QuoteRune(rune(c)))
		}
		return s.syntaxError("want " + strconv.QuoteRune(rune(c)) + ", got " + strconv.QuoteRune(rune(s.data[s.pos])))
	}
	s.pos++
	return nil
}

// next skips whitespace and, after a member or element, consumes ',' and
// reports true, or consumes end (']' or '}') and reports false.
func (s *jsonScanner) next(end byte) (bool, error) {
	switch s.peek() {
	case ',':
		s.pos++
		return true, nil
	case end:
		s.pos++
		return false, nil
	}
	return false, s.syntaxError("want ',' or " + strconv.QuoteRune(rune(end)))
}

// open consumes the opening bracket already peeked and reports whether the
// array or object is empty (its end consumed too).
func (s *jsonScanner) open(end byte) bool {
	s.pos++
	if s.peek() == end {
		s.pos++
		return true
	}
	return false
}

// end reports an error unless only whitespace is left.
func (s *jsonScanner) end() error {
	if s.peek() != 0 || s.pos < len(s.data) {
		return model.Errorf(model.CodeMalformed, "unexpected data after the JSON value at offset %d", s.pos)
	}
	return nil
}

// str reads a string at the current position (after whitespace) and returns
// its unescaped bytes. They alias the input or the scanner's escape buffer,
// so they are valid until the next call. Invalid UTF-8 is kept as is.
func (s *jsonScanner) str() ([]byte, error) {
	if s.peek() != '"' {
		return nil, s.syntaxError("want a string")
	}
	s.pos++
	start := s.pos
	for s.pos < len(s.data) {
		switch c := s.data[s.pos]; {
		case c == '"':
			s.pos++
			return s.data[start : s.pos-1], nil
		case c == '\\':
			return s.escaped(start)
		case c < 0x20:
			return nil, s.syntaxError("control character in string")
		}
		s.pos++
	}
	return nil, s.syntaxError("unterminated string")
}

// escaped continues str for a string that holds escapes, from the first
// backslash, unescaping into s.esc.
func (s *jsonScanner) escaped(start int) ([]byte, error) {
	out := append(s.esc[:0], s.data[start:s.pos]...)
	defer func() { s.esc = out[:0] }()
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		switch {
		case c == '"':
			s.pos++
			return out, nil
		case c < 0x20:
			return nil, s.syntaxError("control character in string")
		case c != '\\':
			out = append(out, c)
			s.pos++
			continue
		}
		if s.pos+1 >= len(s.data) {
			return nil, s.syntaxError("unterminated string")
		}
		e := s.data[s.pos+1]
		s.pos += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := s.hex4()
			if !ok {
				return nil, s.syntaxError(`bad \u escape`)
			}
			if utf16.IsSurrogate(r) {
				// A pair combines; a lone half becomes U+FFFD, as
				// encoding/json does.
				r2 := utf8.RuneError
				save := s.pos
				if s.pos+1 < len(s.data) && s.data[s.pos] == '\\' && s.data[s.pos+1] == 'u' {
					s.pos += 2
					if lo, ok := s.hex4(); ok {
						r2 = lo
					} else {
						return nil, s.syntaxError(`bad \u escape`)
					}
				}
				if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
					r = dec
				} else {
					r = utf8.RuneError
					s.pos = save // the second escape stands on its own
				}
			}
			out = utf8.AppendRune(out, r)
		default:
			return nil, s.syntaxError("bad escape in string")
		}
	}
	return nil, s.syntaxError("unterminated string")
}

// hex4 reads the four hex digits of a \u escape.
func (s *jsonScanner) hex4() (rune, bool) {
	if s.pos+4 > len(s.data) {
		return 0, false
	}
	var r rune
	for _, c := range s.data[s.pos : s.pos+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	s.pos += 4
	return r, true
}

// number reads a number token and returns its value, which is ±Inf when the
// number is out of float64's range (JSON itself has no NaN or Inf).
func (s *jsonScanner) number() (float64, error) {
	s.ws()
	start := s.pos
	if s.pos < len(s.data) && s.data[s.pos] == '-' {
		s.pos++
	}
	switch {
	case s.pos < len(s.data) && s.data[s.pos] == '0':
		s.pos++
	case s.digits() == 0:
		return 0, s.syntaxError("bad number")
	}
	if s.pos < len(s.data) && s.data[s.pos] == '.' {
		s.pos++
		if s.digits() == 0 {
			return 0, s.syntaxError("bad number")
		}
	}
	if s.pos < len(s.data) && (s.data[s.pos] == 'e' || s.data[s.pos] == 'E') {
		s.pos++
		if s.pos < len(s.data) && (s.data[s.pos] == '+' || s.data[s.pos] == '-') {
			s.pos++
		}
		if s.digits() == 0 {
			return 0, s.syntaxError("bad number")
		}
	}
	tok := s.data[start:s.pos]
	// The token is valid JSON, hence valid for ParseFloat, whose only
	// possible error is ErrRange, with ±Inf or 0. ParseFloat keeps no
	// reference to its argument (its errors clone it), so the string may
	// alias the body without a copy.
	v, _ := strconv.ParseFloat(unsafe.String(unsafe.SliceData(tok), len(tok)), 64)
	return v, nil
}

// digits consumes a run of decimal digits and returns its length.
func (s *jsonScanner) digits() int {
	start := s.pos
	for s.pos < len(s.data) && '0' <= s.data[s.pos] && s.data[s.pos] <= '9' {
		s.pos++
	}
	return s.pos - start
}

// literal consumes true, false or null.
func (s *jsonScanner) literal(lit string) error {
	if len(s.data)-s.pos < len(lit) || string(s.data[s.pos:s.pos+len(lit)]) != lit {
		return s.syntaxError("invalid literal")
	}
	s.pos += len(lit)
	return nil
}

// skip consumes one value of any kind, checking its syntax.
func (s *jsonScanner) skip(depth int) error {
	if depth > maxSkipDepth {
		return s.syntaxError("value nested too deeply")
	}
	switch s.peek() {
	case '"':
		_, err := s.str()
		return err
	case '{':
		if s.open('}') {
			return nil
		}
		for {
			if _, err := s.str(); err != nil {
				return err
			}
			if err := s.expect(':'); err != nil {
				return err
			}
			if err := s.skip(depth + 1); err != nil {
				return err
			}
			more, err := s.next('}')
			if err != nil || !more {
				return err
			}
		}
	case '[':
		if s.open(']') {
			return nil
		}
		for {
			if err := s.skip(depth + 1); err != nil {
				return err
			}
			more, err := s.next(']')
			if err != nil || !more {
				return err
			}
		}
	case 't':
		return s.literal("true")
	case 'f':
		return s.literal("false")
	case 'n':
		return s.literal("null")
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		_, err := s.number()
		return err
	}
	if s.pos >= len(s.data) {
		return s.syntaxError("unexpected end of input")
	}
	return s.syntaxError("invalid character " + strconv.QuoteRune(rune(s.data[s.pos])))
}

// kindAt names the JSON kind of the value at the current position, for
// type errors: "a string", "a number", ...
func (s *jsonScanner) kindAt() string {
	switch s.peek() {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// isNumberStart reports whether c starts a number token.
func isNumberStart(c byte) bool {
	return c == '-' || ('0' <= c && c <= '9')
}
