package scoring

import (
	"bytes"
	"unicode"
	"unicode/utf8"

	"gitlab.com/mlserve/mlserve/model"
)

// CSVHeader is the header line of a score job's output: the columns'
// names, quoted as Score quotes fields, and "\n".
func CSVHeader(cols []model.Column) []byte {
	var b []byte
	for i, c := range cols {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendField(b, []byte(c.Name))
	}
	return append(b, '\n')
}

// appendField appends a CSV field, quoted only when it must be for
// encoding/csv, or a reader that trims fields, to read it back as it is:
// when it holds a comma, a quote, '\r' or '\n', or starts or ends with
// white space. `\.` is quoted too, as encoding/csv's Writer does, since
// PostgreSQL's COPY reads it as the end of the data.
func appendField(b, field []byte) []byte {
	if !needsQuotes(field) {
		return append(b, field...)
	}
	return appendQuoted(b, field)
}

// appendQuoted appends field quoted, its quotes doubled.
func appendQuoted(b, field []byte) []byte {
	b = append(b, '"')
	for {
		i := bytes.IndexByte(field, '"')
		if i < 0 {
			break
		}
		b = append(b, field[:i+1]...)
		b = append(b, '"')
		field = field[i+1:]
	}
	b = append(b, field...)
	return append(b, '"')
}

func needsQuotes(field []byte) bool {
	if len(field) == 0 {
		return false
	}
	for _, c := range field {
		if c == ',' || c == '"' || c == '\r' || c == '\n' {
			return true
		}
	}
	if string(field) == `\.` {
		return true
	}
	first, _ := utf8.DecodeRune(field)
	last, _ := utf8.DecodeLastRune(field)
	return unicode.IsSpace(first) || unicode.IsSpace(last)
}
