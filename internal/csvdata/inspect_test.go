package csvdata

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"reflect"
	"strings"
	"testing"

	"gitlab.com/mlserve/mlserve/model"
)

// mustInspect inspects input fed through each of readers and returns the
// summary, failing unless every way of reading gives the same one.
func mustInspect(tb testing.TB, input string, lim Limits) *Summary {
	tb.Helper()
	var first *Summary
	for _, rd := range readers {
		sum, err := Inspect(rd.wrap(strings.NewReader(input)), lim)
		if err != nil {
			tb.Fatalf("Inspect (%s): %v", rd.name, err)
		}
		if first == nil {
			first = sum
		} else if !reflect.DeepEqual(sum, first) {
			tb.Fatalf("Inspect (%s) = %+v, but (%s) = %+v", rd.name, sum, readers[0].name, first)
		}
	}
	return first
}

// namesAndTypes keeps only the name and type of each column, for tests
// about those (TestInspectCounts covers the counts).
func namesAndTypes(cols []model.Column) []model.Column {
	out := make([]model.Column, len(cols))
	for i, c := range cols {
		out[i] = model.Column{Name: c.Name, Type: c.Type}
	}
	return out
}

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func TestInspectInfersColumnTypes(t *testing.T) {
	tests := []struct {
		name   string
		values []string // the cells of column "x", one per row
		want   string
	}{
		{"integers are numbers", []string{"1", "42", "0", "1000000"}, model.ColumnNumber},
		{"decimals are numbers", []string{"1.5", "0.25", ".5", "5."}, model.ColumnNumber},
		{"exponents are numbers", []string{"1e3", "-2.5E-3", "6.02e+23"}, model.ColumnNumber},
		{"signed values are numbers", []string{"-1", "+4", "-0.5"}, model.ColumnNumber},
		{"spaces around a number are ignored", []string{" 3", "4 ", " 5.5 "}, model.ColumnNumber},
		{"quoted numbers are numbers", []string{`"3"`, `"4.5"`}, model.ColumnNumber},
		{"empty cells do not make a number column a string", []string{"1", "", "2", "  ", ""}, model.ColumnNumber},
		{"a column of only empty cells is empty", []string{"", " ", ""}, model.ColumnEmpty},
		{"one word among numbers makes a string", []string{"1", "2", "three", "4"}, model.ColumnString},
		{"a word in the first row makes a string", []string{"a", "1", "2"}, model.ColumnString},
		{"NaN is a string", []string{"1", "NaN"}, model.ColumnString},
		{"nan in any case is a string", []string{"nan"}, model.ColumnString},
		{"Inf is a string", []string{"1", "Inf"}, model.ColumnString},
		{"signed infinity is a string", []string{"-Infinity", "+inf"}, model.ColumnString},
		{"a value past float64's range is a string", []string{"1", "1e400"}, model.ColumnString},
		{"a hexadecimal float is a string", []string{"0x1p4"}, model.ColumnString},
		{"digits with underscores are a string", []string{"1_000"}, model.ColumnString},
		{"a decimal comma is a string", []string{`"1,5"`}, model.ColumnString},
		{"a lone sign is a string", []string{"-"}, model.ColumnString},
		{"a lone point is a string", []string{"."}, model.ColumnString},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			b.WriteString("id,x\n")
			for i, v := range tt.values {
				b.WriteString(strings.Repeat("i", i+1) + "," + v + "\n")
			}
			sum := mustInspect(t, b.String(), Limits{})
			want := []model.Column{{Name: "id", Type: model.ColumnString}, {Name: "x", Type: tt.want}}
			if !reflect.DeepEqual(namesAndTypes(sum.Columns), want) {
				t.Errorf("Columns = %+v, want %+v", sum.Columns, want)
			}
			if sum.Rows != int64(len(tt.values)) {
				t.Errorf("Rows = %d, want %d", sum.Rows, len(tt.values))
			}
		})
	}
}

func TestInspectSummarizes(t *testing.T) {
	numberAndString := []model.Column{{Name: "a", Type: model.ColumnNumber}, {Name: "b", Type: model.ColumnString}}
	tests := []struct {
		name    string
		input   string
		lim     Limits
		columns []model.Column
		rows    int64
	}{
		{name: "a plain file is summarized", input: "a,b\n1,x\n2,y\n",
			columns: numberAndString, rows: 2},
		{name: "a byte-order mark is not part of the first name",
			input: "\xef\xbb\xbfa,b\n1,x\n", columns: numberAndString, rows: 1},
		{name: "a byte-order mark before a quoted first name is not part of it",
			input: "\xef\xbb\xbf\"a\",b\n1,x\n", columns: numberAndString, rows: 1},
		{name: "CRLF line endings work", input: "a,b\r\n1,x\r\n2,y\r\n",
			columns: numberAndString, rows: 2},
		{name: "a last line without a newline counts", input: "a,b\n1,x\n2,y",
			columns: numberAndString, rows: 2},
		{name: "trailing empty lines are ignored", input: "a,b\n1,x\n\n\r\n",
			columns: numberAndString, rows: 1},
		{name: "blank lines between rows are ignored", input: "a,b\n1,x\n\n2,y\n",
			columns: numberAndString, rows: 2},
		{name: "column names are trimmed of spaces", input: " a ,\tb\n1,x\n",
			columns: numberAndString, rows: 1},
		{name: "a quoted field may span lines", input: "a,b\n1,\"x\ny\"\n2,\"z\r\nw\"\n",
			columns: numberAndString, rows: 2},
		{name: "a file of exactly the size limit is accepted", input: "a,b\n1,x\n", lim: Limits{MaxBytes: 8},
			columns: numberAndString, rows: 1},
		{name: "a header of exactly the column limit is accepted", input: "a,b\n1,x\n", lim: Limits{MaxColumns: 2},
			columns: numberAndString, rows: 1},
		{name: "a single column works", input: "a\n1\n2\n",
			columns: []model.Column{{Name: "a", Type: model.ColumnNumber}}, rows: 2},
		{name: "a non-ASCII name is kept", input: "größe,b\n1,x\n",
			columns: []model.Column{{Name: "größe", Type: model.ColumnNumber}, {Name: "b", Type: model.ColumnString}}, rows: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sum := mustInspect(t, tt.input, tt.lim)
			if !reflect.DeepEqual(namesAndTypes(sum.Columns), tt.columns) {
				t.Errorf("Columns = %+v, want %+v", sum.Columns, tt.columns)
			}
			if sum.Rows != tt.rows {
				t.Errorf("Rows = %d, want %d", sum.Rows, tt.rows)
			}
			if sum.SizeBytes != int64(len(tt.input)) {
				t.Errorf("SizeBytes = %d, want %d", sum.SizeBytes, len(tt.input))
			}
			if want := sha256Hex([]byte(tt.input)); sum.SHA256 != want {
				t.Errorf("SHA256 = %s, want %s", sum.SHA256, want)
			}
		})
	}
}

func TestInspectReadsEveryByteOnce(t *testing.T) {
	t.Run("a tee on the reader receives the whole file, so the stored copy matches the sha256", func(t *testing.T) {
		input := "\xef\xbb\xbfa,b\r\n" + strings.Repeat("1.5,\"x\ny\"\r\n", 20_000) + "\n\n"
		var stored bytes.Buffer
		sum, err := Inspect(io.TeeReader(strings.NewReader(input), &stored), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if stored.String() != input {
			t.Fatalf("the tee received %d bytes, want the %d of the input", stored.Len(), len(input))
		}
		if want := sha256Hex(stored.Bytes()); sum.SHA256 != want {
			t.Errorf("SHA256 = %s, want %s (sha256 of the stored copy)", sum.SHA256, want)
		}
		if sum.SizeBytes != int64(len(input)) || sum.Rows != 20_000 {
			t.Errorf("SizeBytes, Rows = %d, %d, want %d, 20000", sum.SizeBytes, sum.Rows, len(input))
		}
	})
}
