package scoring

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"slices"
	"testing"
	"testing/iotest"

	"gitlab.com/mlserve/mlserve/model"
)

// csvRead is what encoding/csv, set as csvdata sets it, reads of data: its
// records, the input offset after each, and its error.
type csvRead struct {
	records [][]string
	ends    []int64
	err     error
}

func readEncodingCSV(data []byte) csvRead {
	var res csvRead
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return res
		}
		if err != nil {
			res.err = err
			return res
		}
		res.records = append(res.records, rec)
		res.ends = append(res.ends, cr.InputOffset())
	}
}

// readRecords is what records reads of r, with fields or without.
func readRecords(r io.Reader, size int, split bool) (csvRead, error) {
	var res csvRead
	rec := newRecords(r, size, split)
	for {
		ok, err := rec.next()
		if err != nil {
			res.err = err
			return res, nil
		}
		if !ok {
			return res, nil
		}
		if split {
			fields := make([]string, len(rec.fields))
			for i, f := range rec.fields {
				fields[i] = string(f)
			}
			res.records = append(res.records, fields)
		}
		res.ends = append(res.ends, rec.offset())
	}
}

// checkRecords fails the test unless records reads data as encoding/csv
// does: the same records, ending at the same offsets, and an error exactly
// when encoding/csv has one, after the same records.
func checkRecords(t *testing.T, data []byte, size int) {
	t.Helper()
	want := readEncodingCSV(data)
	for _, split := range []bool{true, false} {
		for _, oneByte := range []bool{false, true} {
			var r io.Reader = bytes.NewReader(data)
			if oneByte {
				r = iotest.OneByteReader(r)
			}
			got, _ := readRecords(r, size, split)
			if (got.err != nil) != (want.err != nil) {
				t.Fatalf("%q (buffer %d, split %v): error %v, encoding/csv's %v", data, size, split, got.err, want.err)
			}
			if !slices.Equal(got.ends, want.ends) {
				t.Fatalf("%q (buffer %d, split %v): records end at %v, encoding/csv's at %v", data, size, split, got.ends, want.ends)
			}
			if split && !slices.EqualFunc(got.records, want.records, slices.Equal) {
				t.Fatalf("%q (buffer %d): records %q, encoding/csv's %q", data, size, got.records, want.records)
			}
			if got.err != nil && model.ErrorCode(got.err) != model.CodeCorrupt {
				t.Fatalf("%q: error %v, want code %s", data, got.err, model.CodeCorrupt)
			}
		}
	}
}

// recordCases are inputs at the edges of the CSV grammar.
var recordCases = []string{
	"",
	"\n",
	"\r\n",
	"\r",
	"\r\r",
	"\n\r\n\n",
	"a",
	"a\n",
	"a\r",
	"a\r\n",
	"a\r\r\n",
	"a\rb\n",
	"a,b,c\n1,2,3\n",
	"a,b,c\r\n1,2,3\r\n",
	"a,b\n\n\r\n1,2\n\n",
	",\n,,\n",
	"a,b\n1,2",
	"a,b\n1,2\r",
	`"a","b"` + "\n" + `"1",2` + "\n",
	`"a,b",c` + "\n",
	`"a""b",c` + "\n",
	`"""",""` + "\n",
	`""` + "\n",
	`"a` + "\n" + `b",c` + "\n",
	`"a` + "\r\n" + `b",c` + "\r\n",
	`"a` + "\r\r\n" + `b"` + "\n",
	`"a` + "\r" + `b"` + "\n",
	`"a` + "\r",
	`"a"` + "\r",
	`"a"`,
	`x,"a"`,
	`x,"a"` + "\r\n",
	`x,"a",`,
	`x,"a",y` + "\n",
	`x,,"a",,"b"` + "\n",
	"\n\n" + `"a` + "\n\n" + `b"` + "\n\n",
	`a"b` + "\n",
	`a,b"` + "\n",
	`"a"b` + "\n",
	`"a" ` + "\n",
	`"a"` + "\r" + "x\n",
	`"a` + "\n",
	`"a""`,
	" \"a\"\n",
	"\xef\xbb\xbf\"a\"\n",
	"a,\x00,\"\xff\"\n",
	`"a"` + "\r\r\n",
}

func TestRecordsReadAsEncodingCSVDoes(t *testing.T) {
	for _, c := range recordCases {
		for _, size := range []int{1, 2, 3, 5, 16, 4096} {
			checkRecords(t, []byte(c), size)
		}
	}
}

func TestRecordsNameTheRecordOfASyntaxError(t *testing.T) {
	tests := []struct {
		name, data, want string
	}{
		{"a quote never closed", "a\nb\n\"c\nd", "record 3: " + problemUnclosed},
		{"a quote inside an unquoted field", "a\nb\"\n", "record 2: " + problemBareQuote},
		{"text after a closing quote", "\"a\"b,c\n", "record 1: " + problemStray},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := readRecords(bytes.NewReader([]byte(tt.data)), 4096, true)
			if model.ErrorCode(got.err) != model.CodeCorrupt || model.ErrorMessage(got.err) != tt.want {
				t.Fatalf("error %v, want %s %q", got.err, model.CodeCorrupt, tt.want)
			}
		})
	}
}

func TestRecordsReturnTheReadersError(t *testing.T) {
	boom := errors.New("boom")
	got, _ := readRecords(io.MultiReader(bytes.NewReader([]byte("a,b\n1,2\n3")), iotest.ErrReader(boom)), 4, true)
	if !errors.Is(got.err, boom) || len(got.records) != 2 {
		t.Fatalf("records %q, error %v; want 2 records and %v", got.records, got.err, boom)
	}
}

func FuzzRecords(f *testing.F) {
	for _, c := range recordCases {
		f.Add([]byte(c), uint16(3))
	}
	f.Fuzz(func(t *testing.T, data []byte, size uint16) {
		checkRecords(t, data, int(size%512)+1)
	})
}
