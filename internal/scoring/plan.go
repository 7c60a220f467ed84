package scoring

import (
	"io"

	"gitlab.com/mlserve/mlserve/model"
)

// Range is a run of whole data records in a CSV file's bytes.
//
// Offset and Length locate the records in the file as stored (a
// byte-order mark and the header included in the count): the range starts
// just past the previous record's line end, so it may open with empty
// lines, and ends just past its last record's line end (or at the end of
// the file). FirstRow is the 0-based number of its first data record,
// Rows the number of its records.
type Range struct{ Offset, Length, FirstRow, Rows int64 }

// planBuffer is Plan's read buffer: large, since Plan only looks for line
// ends and quotes, and bytes.IndexByte is fastest over long stretches.
const planBuffer = 1 << 20

// utf8BOM is the byte-order mark csvdata.Inspect allows before the header.
var utf8BOM = []byte("\xef\xbb\xbf")

// Plan reads a whole dataset CSV as stored (an optional UTF-8 byte-order
// mark, the header record, data records) and splits its data records into
// consecutive ranges of partRows records, the last one possibly shorter,
// that cover every data record exactly once, in order. Records are found
// exactly where encoding/csv finds them (FuzzPlan holds the two equal):
// quoted fields may hold newlines and "" escapes, line ends are "\n" or
// "\r\n", empty lines are not records. Empty lines after the last record
// are in no range.
//
// A file with a header and no data records gives no ranges. Errors: a
// *model.Error with CodeInvalid when partRows is less than 1, CodeCorrupt
// for bytes encoding/csv would reject, such as a quoted field still open at
// the end of the file (csvdata.Inspect accepted the dataset, so its bytes
// changed); r's own errors, wrapped.
func Plan(r io.Reader, partRows int64) ([]Range, error) {
	return plan(r, partRows, planBuffer)
}

// plan is Plan with a given initial buffer size, which tests make small to
// put buffer boundaries everywhere.
func plan(r io.Reader, partRows int64, bufferSize int) ([]Range, error) {
	if partRows < 1 {
		return nil, model.Errorf(model.CodeInvalid, "a part must hold at least 1 row, not %d", partRows)
	}
	rec := newRecords(r, bufferSize, false)
	if err := rec.skipPrefix(utf8BOM); err != nil {
		return nil, err
	}
	ranges := []Range{}
	ok, err := rec.next() // the header
	if err != nil {
		return nil, err
	}
	if !ok {
		return ranges, nil
	}
	cur := Range{Offset: rec.offset()}
	end := cur.Offset
	for {
		ok, err = rec.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		end = rec.offset()
		if cur.Rows++; cur.Rows == partRows {
			cur.Length = end - cur.Offset
			ranges = append(ranges, cur)
			cur = Range{Offset: end, FirstRow: cur.FirstRow + cur.Rows}
		}
	}
	if cur.Rows > 0 {
		cur.Length = end - cur.Offset
		ranges = append(ranges, cur)
	}
	return ranges, nil
}
