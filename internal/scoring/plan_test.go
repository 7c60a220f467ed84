package scoring

import (
	"bytes"
	"errors"
	"slices"
	"testing"
	"testing/iotest"

	"gitlab.com/mlserve/mlserve/model"
)

// wantRanges is the plan of data by encoding/csv's record offsets: the
// header is the first record (after a byte-order mark), and range k runs
// from the end of record k*partRows to the end of record (k+1)*partRows.
func wantRanges(t *testing.T, data []byte, partRows int64) ([]Range, error) {
	t.Helper()
	bom := int64(0)
	if bytes.HasPrefix(data, utf8BOM) {
		bom = int64(len(utf8BOM))
	}
	read := readEncodingCSV(data[bom:])
	if read.err != nil {
		return nil, read.err
	}
	ranges := []Range{}
	if len(read.ends) == 0 {
		return ranges, nil
	}
	ends := read.ends
	for first := int64(0); first < int64(len(ends)-1); first += partRows {
		last := min(first+partRows, int64(len(ends)-1))
		ranges = append(ranges, Range{
			Offset: bom + ends[first], Length: ends[last] - ends[first],
			FirstRow: first, Rows: last - first,
		})
	}
	return ranges, nil
}

// checkPlan fails the test unless plan agrees with wantRanges, for every
// buffer size given.
func checkPlan(t *testing.T, data []byte, partRows int64, sizes ...int) {
	t.Helper()
	want, wantErr := wantRanges(t, data, partRows)
	for _, size := range sizes {
		got, err := plan(iotest.HalfReader(bytes.NewReader(data)), partRows, size)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("plan(%q, %d), buffer %d: error %v, encoding/csv's %v", data, partRows, size, err, wantErr)
		}
		if err != nil {
			if model.ErrorCode(err) != model.CodeCorrupt {
				t.Fatalf("plan(%q): error %v, want code %s", data, err, model.CodeCorrupt)
			}
			continue
		}
		if !slices.Equal(got, want) {
			t.Fatalf("plan(%q, %d), buffer %d:\n got %+v\nwant %+v", data, partRows, size, got, want)
		}
		var rows int64
		for _, r := range got {
			rows += r.Rows
		}
		if records := len(readEncodingCSV(bytes.TrimPrefix(data, utf8BOM)).records); rows != int64(max(records-1, 0)) {
			t.Fatalf("plan(%q): %d rows in the ranges, encoding/csv reads %d records (a header and data)", data, rows, records)
		}
	}
}

func TestPlanSplitsRecordsWhereEncodingCSVDoes(t *testing.T) {
	extra := []string{
		"h\n1\n2\n3\n4\n5\n6\n7\n",
		"h\n1\n2\n3\n4\n5\n6\n7",
		"h\n\n1\n\n2\n\r\n3\n4\n\n",
		"\xef\xbb\xbfh\n1\n2\n",
		"\xef\xbb\xbf\"h,1\",x\n1,\"a\nb\"\n2,\"\"\"\"\n3,c",
		"\xef\xbb",
		"h,\"i\r\nj\"\r\n\"1\r\n\",2\r\n3,\"4\"\r\n",
	}
	for _, c := range append(slices.Clone(recordCases), extra...) {
		for _, partRows := range []int64{1, 2, 3, 100} {
			checkPlan(t, []byte(c), partRows, 1, 3, 64, planBuffer)
		}
	}
}

func TestPlanOfIris(t *testing.T) {
	data := testFile(t, "iris.csv")
	got, err := Plan(bytes.NewReader(data), 40)
	if err != nil {
		t.Fatal(err)
	}
	rows := []int64{40, 40, 40, 30}
	if len(got) != len(rows) {
		t.Fatalf("%d ranges, want %d: %+v", len(got), len(rows), got)
	}
	for i, r := range got {
		if r.Rows != rows[i] || r.FirstRow != int64(40*i) {
			t.Errorf("range %d: %+v, want %d rows from row %d", i, r, rows[i], 40*i)
		}
	}
	checkPlan(t, data, 40, 7, planBuffer)
}

func TestPlanRejectsAPartOfNoRows(t *testing.T) {
	_, err := Plan(bytes.NewReader([]byte("h\n1\n")), 0)
	if model.ErrorCode(err) != model.CodeInvalid {
		t.Fatalf("error %v, want code %s", err, model.CodeInvalid)
	}
}

func TestPlanCallsAFileEndingInAQuoteCorrupt(t *testing.T) {
	_, err := Plan(bytes.NewReader([]byte("h,i\n1,2\n3,\"4\n5,6\n")), 10)
	if model.ErrorCode(err) != model.CodeCorrupt || model.ErrorMessage(err) != "record 3: "+problemUnclosed {
		t.Fatalf("error %v, want code %s for record 3", err, model.CodeCorrupt)
	}
}

func TestPlanReturnsTheReadersError(t *testing.T) {
	boom := errors.New("boom")
	_, err := Plan(iotest.ErrReader(boom), 10)
	if !errors.Is(err, boom) {
		t.Fatalf("error %v, want %v", err, boom)
	}
}

func FuzzPlan(f *testing.F) {
	for _, c := range recordCases {
		f.Add([]byte(c), uint8(1), uint16(2))
	}
	f.Add([]byte("\xef\xbb\xbf\"h\",x\n1,\"a\nb\"\n\n2,3\r\n"), uint8(2), uint16(5))
	f.Fuzz(func(t *testing.T, data []byte, partRows uint8, size uint16) {
		checkPlan(t, data, int64(partRows%8)+1, int(size%512)+1)
	})
}
