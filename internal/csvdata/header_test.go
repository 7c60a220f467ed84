package csvdata

import (
	"io"
	"strconv"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"gitlab.com/mlserve/mlserve/model"
)

func TestInspectHeaderLimits(t *testing.T) {
	lim := Limits{MaxNameBytes: 8, MaxHeaderBytes: 16}
	t.Run("a header of exactly the limit, its line ending included, is accepted", func(t *testing.T) {
		sum := mustInspect(t, "abcdefg,abcdef\r\n1,2\n", lim) // 14 bytes + CRLF
		if len(sum.Columns) != 2 || sum.Columns[1].Name != "abcdef" {
			t.Fatalf("columns = %+v", sum.Columns)
		}
	})
	t.Run("one byte more is refused", func(t *testing.T) {
		_, err := Inspect(strings.NewReader("abcdefg,abcdefg\r\n1,2\n"), lim)
		if model.ErrorCode(err) != model.CodeInvalid || !strings.Contains(err.Error(), "limit of 16 bytes") {
			t.Fatalf("err = %v, want the header limit", err)
		}
	})
	t.Run("a name of exactly the limit is accepted", func(t *testing.T) {
		mustInspect(t, "abcdefgh\n1\n", lim)
	})
	t.Run("a long header is refused after reading at most the limit and one buffer", func(t *testing.T) {
		var read countingWriter
		input := strings.Repeat("n", 10<<20) + "\n1\n"
		_, err := Inspect(io.TeeReader(strings.NewReader(input), &read), Limits{MaxHeaderBytes: 64 << 10})
		if model.ErrorCode(err) != model.CodeInvalid {
			t.Fatalf("err = %v, want a 422", err)
		}
		if max := countingWriter(64<<10 + 2*bufferSize); read > max {
			t.Errorf("read %d bytes, want at most %d", read, max)
		}
	})
}

// TestDatasetDocumentStaysSmall checks that the ceilings on the limits keep
// a dataset's document far from MongoDB's 16 MiB: as many columns as
// allowed, names filling the largest header, every count at its widest.
func TestDatasetDocumentStaysSmall(t *testing.T) {
	nameLen := MaxHeaderBytesCeiling/MaxColumnsCeiling - 1 // and a comma each
	d := model.Dataset{ID: strings.Repeat("f", 24), Name: strings.Repeat("n", 63), Rows: 1 << 62,
		SizeBytes: 1 << 62, SHA256: strings.Repeat("0", 64)}
	for i := range MaxColumnsCeiling {
		n := strconv.Itoa(i)
		name := strings.Repeat("x", nameLen-len(n)) + n
		d.Columns = append(d.Columns, model.Column{Name: name, Type: model.ColumnString,
			Distinct: model.DistinctCap, Empty: 1 << 62, Fractional: true})
	}
	doc, err := bson.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	if limit := 4 << 20; len(doc) > limit {
		t.Fatalf("the largest dataset document is %d bytes, want at most %d (MongoDB's limit is 16 MiB)", len(doc), limit)
	}
	t.Logf("largest dataset document: %d bytes", len(doc))
}
