package csvdata

import (
	"bufio"
	"encoding/csv"
	"errors"
	"io"
	"math"
	"strings"
	"unicode/utf8"

	"gitlab.com/mlserve/mlserve/model"
)

// Table holds some columns of a dataset CSV, typed, in memory: what a
// trainer fits on and a scorer predicts from.
type Table struct {
	// Columns are in the order ReadTable was asked for them.
	Columns []TableColumn
	Rows    int
}

// TableColumn is one column of a Table. A number column fills Numbers, a
// string column Strings, each with one value per row.
type TableColumn struct {
	Name    string
	Type    string // model.ColumnNumber or model.ColumnString
	Numbers []float64
	Strings []string
}

// Column returns the column with the given name, or nil.
func (t *Table) Column(name string) *TableColumn {
	for i := range t.Columns {
		if t.Columns[i].Name == name {
			return &t.Columns[i]
		}
	}
	return nil
}

// internLimit caps the distinct values a string column shares storage for:
// category columns repeat a few values many times, free text would only
// grow the map.
const internLimit = 1 << 16

// ReadTable reads a dataset CSV, as Inspect accepts it, and keeps the
// given columns, found by header name (trimmed, as Inspect names them)
// and typed as given: every cell of a model.ColumnNumber column must be a
// number by ParseNumber, the one definition Inspect typed the column by;
// the cells of a model.ColumnString column are kept trimmed, empty ones as
// "". Other columns are checked for shape only.
//
// Errors: a *model.Error with code model.CodeInvalid whose message starts
// with the line it is about ("line 7: column \"x\": \"abc\" is not a
// number"), for a column the header lacks, a malformed CSV or a bad cell;
// an error of r itself, wrapped.
func ReadTable(r io.Reader, columns []model.Column) (*Table, error) {
	return ReadTableMissing(r, columns, nil)
}

// ReadTableMissing is ReadTable where an empty cell of number column i is
// read as NaN when missing[i] (missing may be shorter than columns, or nil).
func ReadTableMissing(r io.Reader, columns []model.Column, missing []bool) (*Table, error) {
	src := newSource(r, 0)
	br := bufio.NewReaderSize(src, bufferSize)
	bom, err := skipBOM(br)
	if err != nil {
		return nil, readFailure(err, src, 0)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	record, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, invalidf(1, "the file has no header")
	}
	if err != nil {
		return nil, readFailure(err, src, bom)
	}
	headerLine, _ := cr.FieldPos(0)
	header, err := readHeader(record, cr, Limits{})
	if err != nil {
		return nil, err
	}
	at, err := locate(columns, header, headerLine)
	if err != nil {
		return nil, err
	}
	afterHeader := headerEnd(record, cr) + 1

	t := &Table{Columns: make([]TableColumn, len(columns))}
	interned := make([]map[string]string, len(columns))
	for i, c := range columns {
		t.Columns[i] = TableColumn{Name: c.Name, Type: c.Type}
		interned[i] = map[string]string{}
	}
	for {
		record, err = cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, readFailure(err, src, bom)
		}
		if len(record) != len(header) {
			line, _ := cr.FieldPos(0)
			return nil, invalidf(line, "%s, the header has %d", plural(len(record), "field"), len(header))
		}
		for i := range t.Columns {
			c := &t.Columns[i]
			v := strings.TrimSpace(record[at[i]])
			if c.Type == model.ColumnString {
				c.Strings = append(c.Strings, intern(interned[i], v))
				continue
			}
			f, ok := ParseNumber(v)
			if !ok && v == "" && i < len(missing) && missing[i] {
				f, ok = math.NaN(), true
			}
			if !ok {
				line, _ := cr.FieldPos(at[i])
				if v == "" {
					return nil, invalidf(line, "column %q is empty; a number is needed", c.Name)
				}
				return nil, invalidf(line, "column %q: %q is not a number", c.Name, truncate(v))
			}
			c.Numbers = append(c.Numbers, f)
		}
		t.Rows++
	}
	if t.Rows == 0 {
		return nil, invalidf(afterHeader, "no data rows after the header")
	}
	return t, nil
}

// locate returns where each wanted column is in the header.
func locate(columns []model.Column, header []model.Column, headerLine int) ([]int, error) {
	index := make(map[string]int, len(header))
	for i, c := range header {
		index[c.Name] = i
	}
	at := make([]int, len(columns))
	seen := make(map[string]bool, len(columns))
	for i, c := range columns {
		j, ok := index[c.Name]
		switch {
		case !ok:
			return nil, invalidf(headerLine, "the header has no column %q", c.Name)
		case seen[c.Name]:
			return nil, model.Errorf(model.CodeInvalid, "column %q is asked for twice", c.Name)
		case c.Type != model.ColumnNumber && c.Type != model.ColumnString:
			return nil, model.Errorf(model.CodeInvalid, "column %q has unknown type %q", c.Name, c.Type)
		}
		seen[c.Name] = true
		at[i] = j
	}
	return at, nil
}

// intern returns v from seen, storing a copy of v (which shares the
// record's memory) the first time, so repeated values share one string.
func intern(seen map[string]string, v string) string {
	if s, ok := seen[v]; ok {
		return s
	}
	s := strings.Clone(v)
	if len(seen) < internLimit {
		seen[s] = s
	}
	return s
}

// truncate shortens a cell quoted in a message.
func truncate(v string) string {
	const limit = 40
	if len(v) <= limit {
		return v
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(v[cut]) {
		cut--
	}
	return v[:cut] + "…"
}
