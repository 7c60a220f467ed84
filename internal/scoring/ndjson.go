package scoring

import (
	"bytes"
	"fmt"
	"io"
	"strconv"

	"gitlab.com/mlserve/mlserve/internal/csvdata"
	"gitlab.com/mlserve/mlserve/internal/jsonx"
	"gitlab.com/mlserve/mlserve/model"
)

// ndjsonFlush is how much NDJSON WriteNDJSON gathers before a Write.
const ndjsonFlush = 64 << 10

// WriteNDJSON converts output CSV lines as Score writes them (no header) to
// NDJSON: one JSON object per record, on one line, with cols's names as
// keys in cols's order. A number column's cell is written as a JSON
// number: as it is when it is one, else formatted with 'g', -1 by
// strconv.AppendFloat ("+5" as 5, ".5" as 0.5); an empty or blank cell,
// and NaN and ±Inf as Score writes them, as null. A string column's cell is
// written as a JSON string, invalid UTF-8 replaced by U+FFFD as
// encoding/json does.
//
// It streams, in memory bounded by the longest record. Errors: a
// *model.Error with CodeCorrupt naming the record (1-based) for a record
// with other than len(cols) fields, a number column's cell that is not a
// number by csvdata.ParseNumber, or a CSV syntax error; the errors of r and
// w, wrapped. What was converted before an error has been written.
func WriteNDJSON(w io.Writer, r io.Reader, cols []model.Column) error {
	keys := make([][]byte, len(cols))
	for i, c := range cols {
		sep := byte(',')
		if i == 0 {
			sep = '{'
		}
		keys[i] = append(jsonx.AppendString([]byte{sep}, c.Name), ':')
	}
	rec := newRecords(r, scoreBuffer, true)
	b := make([]byte, 0, ndjsonFlush+4<<10)
	for {
		ok, err := rec.next()
		if err != nil {
			return flushThen(w, b, err)
		}
		if !ok {
			break
		}
		if len(rec.fields) != len(cols) {
			return flushThen(w, b, model.Errorf(model.CodeCorrupt, "record %d: %d fields, the output has %d columns", rec.n, len(rec.fields), len(cols)))
		}
		mark := len(b)
		for i, v := range rec.fields {
			b = append(b, keys[i]...)
			if cols[i].Type != model.ColumnNumber {
				b = jsonx.AppendString(b, transient(v))
				continue
			}
			if b, ok = appendJSONNumber(b, v); !ok {
				err := model.Errorf(model.CodeCorrupt, "record %d: column %q: %q is not a number", rec.n, cols[i].Name, truncate(v))
				return flushThen(w, b[:mark], err)
			}
		}
		b = append(b, '}', '\n')
		if len(b) >= ndjsonFlush {
			if _, err := w.Write(b); err != nil {
				return fmt.Errorf("write ndjson: %w", err)
			}
			b = b[:0]
		}
	}
	return flushThen(w, b, nil)
}

// flushThen writes b and returns err, or the write's error.
func flushThen(w io.Writer, b []byte, err error) error {
	if len(b) == 0 {
		return err
	}
	if _, werr := w.Write(b); werr != nil {
		return fmt.Errorf("write ndjson: %w", werr)
	}
	return err
}

// appendJSONNumber appends a number cell as a JSON number or null; false
// when it is not a number.
func appendJSONNumber(b, v []byte) ([]byte, bool) {
	v = bytes.TrimSpace(v)
	switch string(v) {
	case "", "NaN", "+Inf", "-Inf":
		return append(b, "null"...), true
	}
	x, ok := csvdata.ParseNumber(transient(v))
	switch {
	case !ok:
		return b, false
	case isJSONNumber(v):
		return append(b, v...), true
	}
	return strconv.AppendFloat(b, x, 'g', -1, 64), true
}

// isJSONNumber reports whether s is a number by JSON's grammar (RFC 8259):
// no sign but '-', no leading zero, digits on both sides of a point.
func isJSONNumber(s []byte) bool {
	i := 0
	digits := func() int {
		from := i
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
		return i - from
	}
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}
