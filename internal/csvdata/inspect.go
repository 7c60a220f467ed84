package csvdata

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"io"

	"gitlab.com/mlserve/mlserve/model"
)

// Limits bounds what Inspect accepts. A zero or negative field means no
// limit.
type Limits struct {
	MaxBytes   int64 // raw size, byte-order mark included
	MaxColumns int
	// MaxNameBytes bounds each column name, trimmed, in bytes.
	MaxNameBytes int
	// MaxHeaderBytes bounds the header record as read, its line ending
	// and any blank lines before it included, byte-order mark excluded.
	// Together with MaxColumns it bounds what a dataset's description
	// holds, whatever the file.
	MaxHeaderBytes int64
}

// Summary describes a valid CSV dataset.
type Summary struct {
	Columns   []model.Column // in file order, names trimmed of spaces
	Rows      int64          // data rows, header excluded
	SizeBytes int64          // every byte read, byte-order mark included
	SHA256    string         // lowercase hex sha256 of those bytes
}

// bufferSize is the read-ahead buffer under encoding/csv. Larger than
// bufio's default so a read from a network body or a tee moves more bytes
// per call; memory stays one buffer plus the longest record.
const bufferSize = 64 << 10

// utf8BOM is the byte-order mark some tools (Excel) write at the start of
// a UTF-8 file.
const utf8BOM = "\xef\xbb\xbf"

// Inspect reads r to its end once, checks that it is a CSV dataset and
// summarizes it. Its memory is bounded by the longest record, not the file.
//
// Inspect is a pull-based reader rather than an io.Writer because
// encoding/csv pulls; the upload handler gives it the body through a tee,
// so each byte is read from the network once, stored once and inspected
// once, and the sha256 and size come from Inspect itself:
//
//	up, err := bucket.OpenUploadStream(ctx, name)
//	...
//	sum, err := csvdata.Inspect(io.TeeReader(body, up), lim)
//	if err != nil {
//		_ = up.Abort() // invalid, too large, or the store failed
//		return err
//	}
//	err = up.Close()
//
// On success every byte of r has been read, and SizeBytes and SHA256 cover
// exactly those bytes. On error Inspect stops reading where it found the
// problem (at most one byte past Limits.MaxBytes), so whatever received the
// tee holds a prefix and must be discarded.
//
// Errors: a *model.Error with code CodeInvalid whose message names the line
// ("line 7: 3 fields, the header has 5") and with the same text under
// Fields["file"]; a *model.Error with code model.CodeTooLarge over MaxBytes; any
// error of r itself (including a failed write on the other side of a tee),
// wrapped, so errors.As finds it.
//
// The first non-empty line is the header. Blank lines are skipped. A UTF-8
// byte-order mark is not part of the first column's name. A column is
// model.ColumnNumber when it has a non-empty value and every non-empty value
// is a number by ParseNumber, model.ColumnEmpty when it has no non-empty
// value, else model.ColumnString. Each column also
// counts its empty cells (Empty) and its distinct non-empty values, trimmed
// and compared as text, up to model.DistinctCap (Distinct).
func Inspect(r io.Reader, lim Limits) (*Summary, error) {
	src := newSource(r, max(lim.MaxBytes, 0))
	br := bufio.NewReaderSize(src, bufferSize)
	bom, err := skipBOM(br)
	if err != nil {
		return nil, readFailure(err, src, 0)
	}
	if lim.MaxHeaderBytes > 0 {
		src.limitHeader(int64(bom), lim.MaxHeaderBytes)
	}
	cr := csv.NewReader(br) // uses br itself: it is a large enough *bufio.Reader
	cr.FieldsPerRecord = -1 // ragged rows get a better message below
	cr.ReuseRecord = true

	record, err := cr.Read()
	if errors.Is(err, io.EOF) {
		if src.size == int64(bom) {
			return nil, invalidf(1, "the file is empty")
		}
		return nil, invalidf(1, "the file has no header, only empty lines")
	}
	if err != nil {
		return nil, readFailure(err, src, bom)
	}
	src.headerRead()
	if lim.MaxHeaderBytes > 0 && cr.InputOffset() > lim.MaxHeaderBytes {
		return nil, headerTooLong(fieldWithCR(record), lim.MaxHeaderBytes)
	}
	cols, err := readHeader(record, cr, lim)
	if err != nil {
		return nil, err
	}
	afterHeader := headerEnd(record, cr) + 1

	stats := make([]columnStats, len(cols))
	var rows int64
	for {
		record, err = cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, readFailure(err, src, bom)
		}
		if len(record) != len(cols) {
			line, _ := cr.FieldPos(0)
			return nil, invalidf(line, "%s, the header has %d", plural(len(record), "field"), len(cols))
		}
		rows++
		for i, v := range record {
			stats[i].see(v)
		}
	}
	if rows == 0 {
		return nil, invalidf(afterHeader, "no data rows after the header")
	}
	for i := range cols {
		cols[i] = stats[i].column(cols[i].Name)
	}
	return &Summary{
		Columns:   cols,
		Rows:      rows,
		SizeBytes: src.size,
		SHA256:    hex.EncodeToString(src.sha.Sum(nil)),
	}, nil
}

// skipBOM drops a UTF-8 byte-order mark, which encoding/csv would
// otherwise keep in the first field (and reject before a quoted one), and
// returns its length. It refuses UTF-16, whose byte-order marks are
// unambiguous and whose text would otherwise fail later with a puzzling
// message.
func skipBOM(br *bufio.Reader) (int, error) {
	head, err := br.Peek(len(utf8BOM))
	if err != nil && !errors.Is(err, io.EOF) {
		return 0, err
	}
	switch {
	case bytes.HasPrefix(head, []byte(utf8BOM)):
		_, err = br.Discard(len(utf8BOM))
		return len(utf8BOM), err
	case bytes.HasPrefix(head, []byte("\xff\xfe")), bytes.HasPrefix(head, []byte("\xfe\xff")):
		return 0, invalidf(1, "the file is UTF-16; save it as UTF-8")
	}
	return 0, nil
}

// The largest limits a configuration may set (see internal/config): with
// them, the description of a dataset, whatever was uploaded, stays a few
// MiB, well under MongoDB's 16 MiB document limit.
const (
	MaxColumnsCeiling     = 10_000
	MaxHeaderBytesCeiling = 1 << 20
)
