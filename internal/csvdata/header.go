package csvdata

import (
	"encoding/csv"
	"strings"
	"unicode/utf8"

	"gitlab.com/mlserve/mlserve/model"
)

// readHeader checks the header record and returns its columns, untyped.
// Names are trimmed of surrounding white space, and must then be non-empty,
// valid UTF-8 (they end up in JSON and BSON) and unique.
func readHeader(record []string, cr *csv.Reader, maxColumns int) ([]model.Column, error) {
	if maxColumns > 0 && len(record) > maxColumns {
		line, _ := cr.FieldPos(0)
		return nil, invalidf(line, "the header has %d columns, the limit is %d", len(record), maxColumns)
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
		if j, dup := index[name]; dup {
			return nil, invalidf(line, "duplicate column name %q (columns %d and %d)", name, j+1, i+1)
		}
		index[name] = i
		// record shares one string per record; a clone keeps only the name.
		cols[i] = model.Column{Name: strings.Clone(name)}
	}
	return cols, nil
}

// headerEnd returns the line the header record ends on, which is later
// than where it starts when its last field is quoted and spans lines.
func headerEnd(record []string, cr *csv.Reader) int {
	last := len(record) - 1
	line, _ := cr.FieldPos(last)
	return line + strings.Count(record[last], "\n")
}
