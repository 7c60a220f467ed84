package csvdata

import (
	"encoding/csv"
	"strings"
	"unicode/utf8"

	"gitlab.com/mlserve/mlserve/model"
)

// readHeader checks the header record and returns its columns, untyped.
// Names are trimmed of surrounding white space, and must then be non-empty,
// valid UTF-8 (they end up in JSON and BSON), at most lim.MaxNameBytes long
// and unique. A name holding a carriage return means the file has CR-only
// line endings, which encoding/csv does not split lines on.
func readHeader(record []string, cr *csv.Reader, lim Limits) ([]model.Column, error) {
	line, _ := cr.FieldPos(0)
	if fieldWithCR(record) {
		return nil, crOnly(line)
	}
	if lim.MaxColumns > 0 && len(record) > lim.MaxColumns {
		return nil, invalidf(line, "the header has %d columns, the limit is %d", len(record), lim.MaxColumns)
	}
	cols := make([]model.Column, len(record))
	index := make(map[string]int, len(record))
	for i, raw := range record {
		line, _ := cr.FieldPos(i)
		if !utf8.ValidString(raw) {
			return nil, invalidf(line, "the name of column %d is not valid UTF-8; save the file as UTF-8", i+1)
		}
		name := strings.TrimSpace(raw)
		if name == "" {
			return nil, invalidf(line, "column %d has an empty name", i+1)
		}
		if lim.MaxNameBytes > 0 && len(name) > lim.MaxNameBytes {
			return nil, invalidf(line, "the name of column %d is %d bytes long, the limit is %d bytes", i+1, len(name), lim.MaxNameBytes)
		}
		if j, dup := index[name]; dup {
			return nil, invalidf(line, "duplicate column name %q (columns %d and %d)", name, j+1, i+1)
		}
		index[name] = i
		// record shares one string per record; a clone keeps only the name.
		cols[i] = model.Column{Name: strings.Clone(name)}
	}
	return cols, nil
}

// fieldWithCR reports whether a field holds a carriage return.
// encoding/csv drops a CR before a LF, also inside quotes, so any CR left
// is one no LF follows.
func fieldWithCR(record []string) bool {
	for _, f := range record {
		if strings.IndexByte(f, '\r') >= 0 {
			return true
		}
	}
	return false
}

// crOnly is the error for a file with CR-only (classic Mac OS) line
// endings, whose header, starting on line, holds a lone CR.
func crOnly(line int) *model.Error {
	return invalidf(line, "the header holds a carriage return (CR) that no line feed follows: "+
		"CR-only line endings (classic Mac OS) are not supported; save the file with LF or CRLF line endings")
}

// headerTooLong is the error for a header record over maxBytes; loneCR
// says whether a CR without a LF was seen in it, the likely cause.
func headerTooLong(loneCR bool, maxBytes int64) *model.Error {
	if loneCR {
		return crOnly(1)
	}
	return invalidf(1, "the header is longer than the limit of %s", formatBytes(maxBytes))
}

// headerEnd returns the line the header record ends on, which is later
// than where it starts when its last field is quoted and spans lines.
func headerEnd(record []string, cr *csv.Reader) int {
	last := len(record) - 1
	line, _ := cr.FieldPos(last)
	return line + strings.Count(record[last], "\n")
}
