package scoring

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"

	"gitlab.com/mlserve/mlserve/internal/csvdata"
	"gitlab.com/mlserve/mlserve/model"
)

func TestWriteNDJSONWritesOneObjectPerRecord(t *testing.T) {
	cols := []model.Column{{Name: "x", Type: model.ColumnNumber}, {Name: `na"me`, Type: model.ColumnString}}
	tests := []struct {
		name, csv, want string
	}{
		{"numbers as they are", "1.50,a\n-0,b\n1e5,c\n0.5E-3,d\n",
			`{"x":1.50,"na\"me":"a"}` + "\n" + `{"x":-0,"na\"me":"b"}` + "\n" + `{"x":1e5,"na\"me":"c"}` + "\n" + `{"x":0.5E-3,"na\"me":"d"}` + "\n"},
		{"numbers JSON spells otherwise", "+5,a\n.5,b\n5.,c\n007,d\n 2 ,e\n",
			`{"x":5,"na\"me":"a"}` + "\n" + `{"x":0.5,"na\"me":"b"}` + "\n" + `{"x":5,"na\"me":"c"}` + "\n" + `{"x":7,"na\"me":"d"}` + "\n" + `{"x":2,"na\"me":"e"}` + "\n"},
		{"no number as null", ",a\n  ,b\nNaN,c\n+Inf,d\n-Inf,e\n",
			`{"x":null,"na\"me":"a"}` + "\n" + `{"x":null,"na\"me":"b"}` + "\n" + `{"x":null,"na\"me":"c"}` + "\n" + `{"x":null,"na\"me":"d"}` + "\n" + `{"x":null,"na\"me":"e"}` + "\n"},
		{"strings escaped", "1,\"a,\"\"b\"\"\nc\"\n1,\\\t\x01\n1,\xff\u2028\n1,\n",
			`{"x":1,"na\"me":"a,\"b\"\nc"}` + "\n" + `{"x":1,"na\"me":"\\\t\u0001"}` + "\n" + `{"x":1,"na\"me":"\ufffd\u2028"}` + "\n" + `{"x":1,"na\"me":""}` + "\n"},
		{"empty lines skipped", "\n1,a\r\n\r\n", `{"x":1,"na\"me":"a"}` + "\n"},
		{"nothing", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := WriteNDJSON(&out, strings.NewReader(tt.csv), cols); err != nil {
				t.Fatal(err)
			}
			if out.String() != tt.want {
				t.Fatalf("NDJSON\n%s\nwant\n%s", out.String(), tt.want)
			}
		})
	}
}

func TestWriteNDJSONRejectsWhatScoreDoesNotWrite(t *testing.T) {
	cols := []model.Column{{Name: "x", Type: model.ColumnNumber}, {Name: "y", Type: model.ColumnString}}
	tests := []struct {
		name, csv, part string
	}{
		{"a record with a field too few", "1,a\n2\n", "record 2: 1 fields, the output has 2 columns"},
		{"a number column's cell of text", "1,a\nabc,b\n", `record 2: column "x": "abc" is not a number`},
		{"a number too large", "1e400,a\n", `record 1: column "x": "1e400" is not a number`},
		{"a quote never closed", "1,\"a\n", "record 1: " + problemUnclosed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := WriteNDJSON(&out, strings.NewReader(tt.csv), cols)
			wantCode(t, err, model.CodeCorrupt, tt.part)
			for line := range strings.Lines(out.String()) {
				if !json.Valid([]byte(line)) {
					t.Fatalf("line %q written before the error is not JSON", line)
				}
			}
		})
	}
}

func TestWriteNDJSONReturnsTheWritersError(t *testing.T) {
	full := errors.New("disk full")
	err := WriteNDJSON(failingWriter{full}, strings.NewReader("1\n"), []model.Column{{Name: "x", Type: model.ColumnNumber}})
	if !errors.Is(err, full) {
		t.Fatalf("error %v, want %v", err, full)
	}
}

// TestWriteNDJSONOfScoredRows converts Score's output, input included, and
// finds in each object the values of the CSV.
func TestWriteNDJSONOfScoredRows(t *testing.T) {
	data := trickyIris(t)
	p := irisForest(t)
	l, err := NewLayout(inspect(t, data), p, true)
	if err != nil {
		t.Fatal(err)
	}
	scored := scoreRanges(t, data, 40, p, true)
	var out bytes.Buffer
	if err := WriteNDJSON(&out, bytes.NewReader(scored), l.Columns()); err != nil {
		t.Fatal(err)
	}
	checkNDJSON(t, out.Bytes(), readAll(t, scored), l.Columns())
}

// checkNDJSON fails the test unless ndjson holds one JSON object per line
// for each record, with cols's names as keys in order and the records'
// values: numbers as csvdata.ParseNumber reads them or null, strings as
// they are (invalid UTF-8 replaced).
func checkNDJSON(t *testing.T, ndjson []byte, records [][]string, cols []model.Column) {
	t.Helper()
	lines := strings.SplitAfter(string(ndjson), "\n")
	if last := lines[len(lines)-1]; last != "" {
		t.Fatalf("the output ends in %q, not a line end", last)
	}
	lines = lines[:len(lines)-1]
	if len(lines) != len(records) {
		t.Fatalf("%d lines for %d records", len(lines), len(records))
	}
	for i, line := range lines {
		if !json.Valid([]byte(line)) {
			t.Fatalf("line %d, %q, is not JSON", i+1, line)
		}
		dec := json.NewDecoder(strings.NewReader(line))
		dec.UseNumber()
		if tok, _ := dec.Token(); tok != json.Delim('{') {
			t.Fatalf("line %d, %q, is not an object", i+1, line)
		}
		for j, c := range cols {
			key, err := dec.Token()
			if err != nil || key != c.Name {
				t.Fatalf("line %d: key %d is %v (%v), want %q", i+1, j+1, key, err, c.Name)
			}
			var v any
			if err := dec.Decode(&v); err != nil {
				t.Fatal(err)
			}
			cell := records[i][j]
			if c.Type != model.ColumnNumber {
				// Each byte of invalid UTF-8 reads as U+FFFD.
				if want := string([]rune(cell)); v != want {
					t.Fatalf("line %d: %q is %#v, want %q", i+1, c.Name, v, want)
				}
				continue
			}
			want, ok := csvdata.ParseNumber(cell)
			if !ok {
				if v != nil {
					t.Fatalf("line %d: %q is %#v for %q, want null", i+1, c.Name, v, cell)
				}
				continue
			}
			n, isNumber := v.(json.Number)
			got, err := strconv.ParseFloat(string(n), 64)
			if !isNumber || err != nil || got != want {
				t.Fatalf("line %d: %q is %#v for %q, want %v", i+1, c.Name, v, cell, want)
			}
		}
		if tok, err := dec.Token(); tok != json.Delim('}') || err != nil {
			t.Fatalf("line %d: more than %d keys", i+1, len(cols))
		}
	}
}

func FuzzWriteNDJSON(f *testing.F) {
	f.Add([]byte("1,a\n.5,\"b,\"\"c\"\"\"\n,\n"), uint8(1))
	f.Add([]byte("NaN,+Inf\n-0,1e5\n"), uint8(3))
	f.Add([]byte("\xff\x01,\"\u2028\r\n\"\n"), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, types uint8) {
		read := readEncodingCSV(data)
		if read.err != nil || len(read.records) == 0 {
			return
		}
		cols := make([]model.Column, len(read.records[0]))
		for i := range cols {
			cols[i] = model.Column{Name: "c" + strconv.Itoa(i), Type: model.ColumnString}
			if types>>(i%8)&1 == 1 {
				cols[i].Type = model.ColumnNumber
			}
		}
		var out bytes.Buffer
		err := WriteNDJSON(&out, bytes.NewReader(data), cols)
		records := read.records
		for i, rec := range records {
			if !convertible(rec, cols) {
				records = records[:i]
				break
			}
		}
		if (err == nil) != (len(records) == len(read.records)) {
			t.Fatalf("error %v, with %d of %d records convertible", err, len(records), len(read.records))
		}
		if err != nil && model.ErrorCode(err) != model.CodeCorrupt {
			t.Fatalf("error %v, want code %s", err, model.CodeCorrupt)
		}
		checkNDJSON(t, out.Bytes(), records, cols)
	})
}

// convertible reports whether WriteNDJSON converts rec: it has a field
// per column, and each number column's field is a number or null.
func convertible(rec []string, cols []model.Column) bool {
	if len(rec) != len(cols) {
		return false
	}
	for i, cell := range rec {
		if _, ok := csvdata.ParseNumber(cell); cols[i].Type == model.ColumnNumber && !ok {
			switch strings.TrimSpace(cell) {
			case "", "NaN", "+Inf", "-Inf":
			default:
				return false
			}
		}
	}
	return true
}
