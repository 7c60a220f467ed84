package scoring

import (
	"context"
	"fmt"
	"io"

	"gitlab.com/mlserve/mlserve/model"
)

// batchRows is how many records Score predicts at a time: enough to spend
// the time in the predictor's loop rather than around it, few enough for
// the batch and its output to stay in cache.
const batchRows = 1024

// scoreBuffer is Score's read buffer.
const scoreBuffer = 256 << 10

// Score reads data records (no header) from r, which holds one Range's
// bytes, predicts them with p in batches of 1024, and writes one CSV line
// per record to w, in order: when l includes the input, the record's
// fields as encoding/csv reads them; then the prediction, a class label or
// a number formatted with strconv.AppendFloat(b, v, 'g', -1, 64); then each
// class's probability, formatted the same way. A field is quoted only when
// it holds a comma, a quote, '\r' or '\n', or starts or ends with white
// space. Lines end with "\n". Each batch's lines go to w in one Write.
//
// Feature values are read as training read them (csvdata.ReadTable):
// numbers by csvdata.ParseNumber, strings trimmed of white space. p must be
// the predictor l was made with.
//
// After each batch Score calls report, when not nil, with the rows scored
// so far; an error from report stops Score, which returns it. ctx is
// checked before each batch. Score returns the rows written to w. Errors:
// a *model.Error with CodeInvalid naming the record (1-based, counted in
// r) and the column, for a record with other than the dataset's number of
// fields, for a number feature that is empty (unless p takes it missing)
// or not a number, and for a value p refuses (model.RowChecker);
// CodeCorrupt for a CSV syntax error (see records); ctx's error and the
// errors of r and w, wrapped.
func Score(ctx context.Context, r io.Reader, l *Layout, p model.Predictor, w io.Writer, report func(rows int64) error) (int64, error) {
	if err := l.check(p); err != nil {
		return 0, err
	}
	s := newScorer(l)
	rec := newRecords(r, scoreBuffer, true)
	var rows int64
	for {
		if err := ctx.Err(); err != nil {
			return rows, fmt.Errorf("scoring stopped after %d rows: %w", rows, err)
		}
		n, err := s.read(rec)
		if err != nil {
			return rows, err
		}
		if n == 0 {
			return rows, nil
		}
		if err := refused(p, l, &s.in, rec.n-int64(n)); err != nil {
			return rows, err
		}
		p.Predict(&s.in, &s.out)
		if err := s.format(n); err != nil {
			return rows, err
		}
		if _, err := w.Write(s.lines); err != nil {
			return rows, fmt.Errorf("write scored rows: %w", err)
		}
		rows += int64(n)
		if report != nil {
			if err := report(rows); err != nil {
				return rows, err
			}
		}
		if n < batchRows {
			return rows, nil
		}
	}
}

// refused is a CodeInvalid error naming the first record of the batch in
// that p refuses (see model.RowChecker), or nil; before is the number of
// records before the batch.
func refused(p model.Predictor, l *Layout, in *model.Batch, before int64) error {
	if _, ok := p.(model.RowChecker); !ok {
		return nil
	}
	for r := range in.Rows {
		if i, why := model.CheckRow(p, in, r); i >= 0 {
			return model.Errorf(model.CodeInvalid, "record %d, column %q: %s", before+int64(r)+1, l.features[i].name, why)
		}
	}
	return nil
}
