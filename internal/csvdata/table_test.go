package csvdata

import (
	"encoding/csv"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"gitlab.com/mlserve/mlserve/model"
)

func num(name string) model.Column { return model.Column{Name: name, Type: model.ColumnNumber} }
func str(name string) model.Column { return model.Column{Name: name, Type: model.ColumnString} }

// mustReadTable reads input through each of readers and returns the
// table, failing unless every way of reading gives the same one.
func mustReadTable(tb testing.TB, input string, columns ...model.Column) *Table {
	tb.Helper()
	var first *Table
	for _, rd := range readers {
		tab, err := ReadTable(rd.wrap(strings.NewReader(input)), columns)
		if err != nil {
			tb.Fatalf("ReadTable (%s): %v", rd.name, err)
		}
		if first == nil {
			first = tab
		} else if !reflect.DeepEqual(tab, first) {
			tb.Fatalf("ReadTable (%s) = %+v, but (%s) = %+v", rd.name, tab, readers[0].name, first)
		}
	}
	return first
}

func TestReadTable(t *testing.T) {
	t.Run("the asked columns come typed, in the asked order", func(t *testing.T) {
		tab := mustReadTable(t, "a,b,c\n1,x,2.5\n-3,y,4e1\n", str("b"), num("c"), num("a"))
		want := &Table{Rows: 2, Columns: []TableColumn{
			{Name: "b", Type: model.ColumnString, Strings: []string{"x", "y"}},
			{Name: "c", Type: model.ColumnNumber, Numbers: []float64{2.5, 40}},
			{Name: "a", Type: model.ColumnNumber, Numbers: []float64{1, -3}},
		}}
		if !reflect.DeepEqual(tab, want) {
			t.Errorf("ReadTable = %+v, want %+v", tab, want)
		}
	})
	t.Run("names and cells are trimmed as Inspect trims them", func(t *testing.T) {
		tab := mustReadTable(t, "\xef\xbb\xbf a , b\r\n 1 , x \r\n\r\n2,\" y\"\r\n", num("a"), str("b"))
		if got := tab.Column("a").Numbers; !reflect.DeepEqual(got, []float64{1, 2}) {
			t.Errorf("a = %v", got)
		}
		if got := tab.Column("b").Strings; !reflect.DeepEqual(got, []string{"x", "y"}) {
			t.Errorf("b = %q", got)
		}
	})
	t.Run("empty number cells read as NaN where missing values are allowed, and are refused elsewhere", func(t *testing.T) {
		input := "a,b\n1, \n,2\n"
		tab, err := ReadTableMissing(strings.NewReader(input), []model.Column{num("a"), num("b")}, []bool{true, true})
		if err != nil {
			t.Fatal(err)
		}
		a, b := tab.Column("a").Numbers, tab.Column("b").Numbers
		if a[0] != 1 || !math.IsNaN(a[1]) || !math.IsNaN(b[0]) || b[1] != 2 {
			t.Errorf("a = %v, b = %v", a, b)
		}
		_, err = ReadTableMissing(strings.NewReader(input), []model.Column{num("a"), num("b")}, []bool{true})
		if model.ErrorCode(err) != model.CodeInvalid || !strings.Contains(model.ErrorMessage(err), `line 2: column "b" is empty`) {
			t.Errorf("b without missing values: %v", err)
		}
	})
	t.Run("a number column may be read as strings, keeping the text", func(t *testing.T) {
		tab := mustReadTable(t, "a\n1\n1.0\n", str("a"))
		if got := tab.Column("a").Strings; !reflect.DeepEqual(got, []string{"1", "1.0"}) {
			t.Errorf("a = %q", got)
		}
	})
	t.Run("an empty string cell is kept as empty", func(t *testing.T) {
		tab := mustReadTable(t, "a,b\n1,\n2,z\n", str("b"))
		if got := tab.Column("b").Strings; !reflect.DeepEqual(got, []string{"", "z"}) {
			t.Errorf("b = %q", got)
		}
	})
	t.Run("no columns asked still counts the rows", func(t *testing.T) {
		if tab := mustReadTable(t, "a\n1\n2\n3\n"); tab.Rows != 3 || len(tab.Columns) != 0 {
			t.Errorf("ReadTable = %+v", tab)
		}
	})
	t.Run("Column finds nothing for a column not read", func(t *testing.T) {
		if c := mustReadTable(t, "a,b\n1,2\n", num("a")).Column("b"); c != nil {
			t.Errorf("Column(b) = %+v", c)
		}
	})
}

func TestReadTableMatchesAPlainReadOfIris(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "testdata", "iris.csv"))
	if err != nil {
		t.Fatal(err)
	}
	tab := mustReadTable(t, string(raw), num("Petal width"), str("Species"))
	records, err := csv.NewReader(strings.NewReader(string(raw))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if tab.Rows != len(records)-1 {
		t.Fatalf("Rows = %d, want %d", tab.Rows, len(records)-1)
	}
	for i, rec := range records[1:] {
		w, _ := strconv.ParseFloat(strings.TrimSpace(rec[3]), 64)
		if tab.Columns[0].Numbers[i] != w || tab.Columns[1].Strings[i] != strings.TrimSpace(rec[4]) {
			t.Fatalf("row %d = %v, %q; the file has %q", i, tab.Columns[0].Numbers[i], tab.Columns[1].Strings[i], rec)
		}
	}
}

func TestReadTableRejects(t *testing.T) {
	tests := []struct {
		name    string
		input   string
		columns []model.Column
		want    string // the message, or its start
	}{
		{"an empty file", "", nil, "line 1: the file has no header"},
		{"a column the header lacks", "\na,b\n1,2\n", []model.Column{num("c")}, `line 2: the header has no column "c"`},
		{"a word in a number column", "a,b\n1,2\n3,x\n", []model.Column{num("a"), num("b")}, `line 3: column "b": "x" is not a number`},
		{"NaN in a number column", "a\nNaN\n", []model.Column{num("a")}, `line 2: column "a": "NaN" is not a number`},
		{"an empty number cell", "a,b\n1,2\n,3\n", []model.Column{num("a")}, `line 3: column "a" is empty; a number is needed`},
		{"a long bad cell, quoted short", "a\n" + strings.Repeat("é", 50) + "\n", []model.Column{num("a")},
			`line 2: column "a": "` + strings.Repeat("é", 20) + `…" is not a number`},
		{"a row of the wrong width", "a,b\n1,2\n3\n", []model.Column{num("a")}, "line 3: 1 field, the header has 2"},
		{"a header without rows", "a,b\n", []model.Column{num("a")}, "line 2: no data rows after the header"},
		{"an unclosed quote", "a\n\"1\n", []model.Column{num("a")}, "line 2: a quoted field starting here is never closed"},
		{"a duplicate header name", "a,a\n1,2\n", nil, `line 1: duplicate column name "a"`},
		{"a column asked for twice", "a\n1\n", []model.Column{num("a"), str("a")}, `column "a" is asked for twice`},
		{"a column of no known type", "a\n1\n", []model.Column{{Name: "a", Type: "date"}}, `column "a" has unknown type "date"`},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is rejected", func(t *testing.T) {
			tab, err := ReadTable(strings.NewReader(tt.input), tt.columns)
			var e *model.Error
			if !errors.As(err, &e) || e.Code != model.CodeInvalid {
				t.Fatalf("ReadTable = %+v, %v; want a CodeInvalid *model.Error", tab, err)
			}
			if !strings.HasPrefix(e.Message, tt.want) {
				t.Errorf("message %q, want it to start with %q", e.Message, tt.want)
			}
		})
	}
	t.Run("an error of the reader is returned wrapped, not as the file's fault", func(t *testing.T) {
		boom := errors.New("connection reset")
		_, err := ReadTable(iotest.ErrReader(boom), []model.Column{num("a")})
		if !errors.Is(err, boom) || model.ErrorCode(err) != model.CodeInternal {
			t.Errorf("error = %v, want %v wrapped", err, boom)
		}
	})
}
