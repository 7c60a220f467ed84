package csvdata

import (
	"encoding/csv"
	"errors"
	"fmt"

	"gitlab.com/mlserve/mlserve/model"
)

// fieldFile is the model.Error.Fields key every problem is reported under:
// the upload's multipart field name.
const fieldFile = "file"

// invalidf returns a CodeInvalid error whose message starts with the line
// it is about, as a text editor numbers lines.
func invalidf(line int, format string, args ...any) *model.Error {
	msg := fmt.Sprintf("line %d: ", line) + fmt.Sprintf(format, args...)
	return &model.Error{Code: model.CodeInvalid, Message: msg, Fields: map[string]string{fieldFile: msg}}
}

func tooLarge(maxBytes int64) *model.Error {
	msg := "the file is larger than the limit of " + formatBytes(maxBytes)
	return &model.Error{Code: model.CodeTooLarge, Message: msg, Fields: map[string]string{fieldFile: msg}}
}

// formatBytes writes a size the way limits are usually configured.
func formatBytes(n int64) string {
	const kib, mib = 1 << 10, 1 << 20
	switch {
	case n >= mib && n%mib == 0:
		return fmt.Sprintf("%d MiB (%d bytes)", n/mib, n)
	case n >= kib && n%kib == 0:
		return fmt.Sprintf("%d KiB (%d bytes)", n/kib, n)
	}
	return fmt.Sprintf("%d bytes", n)
}

// plural returns "1 field" or "3 fields".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// readFailure turns an error from csv.Reader into what Inspect returns.
// Going over the size limit wins over any parse error, since the parse
// error may only be the cut at the limit. Errors of the caller's reader
// (a closed connection, a failed write on the other side of a tee) are
// returned wrapped, not as a model.Error: they are not the file's fault.
func readFailure(err error, src *source, bom int) error {
	if src.tooLarge {
		return tooLarge(src.max)
	}
	if src.headerTooLong {
		return headerTooLong(src.loneCR.seen, src.headerMax)
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return parseProblem(pe, src, bom)
	}
	return fmt.Errorf("read csv: %w", err)
}

// parseProblem words a csv.ParseError for a person fixing the file. The
// message starts with the line where the record starts; when the problem
// was found on a later line (a quoted field spanning lines), that line is
// named too. Positions are byte offsets in the line, as encoding/csv
// counts them (1-based), and are called bytes, not columns: a field number
// is not known at that point.
func parseProblem(pe *csv.ParseError, src *source, bom int) *model.Error {
	const (
		bare  = `a quote appears inside an unquoted field; quote the whole field and double the quotes inside it ("")`
		stray = `a closing quote is followed by more text; double a quote that is part of a quoted field ("")`
	)
	switch {
	case errors.Is(pe.Err, csv.ErrQuote) && unclosed(pe, src, bom):
		if pe.Line == pe.StartLine {
			return invalidf(pe.StartLine, "a quoted field starting here is never closed")
		}
		return invalidf(pe.StartLine, "a quoted field in the record starting here is never closed (the file ends at line %d)", pe.Line)
	case errors.Is(pe.Err, csv.ErrQuote):
		return located(pe, stray)
	case errors.Is(pe.Err, csv.ErrBareQuote):
		return located(pe, bare)
	default:
		return located(pe, pe.Err.Error())
	}
}

// unclosed reports whether a csv.ErrQuote means the input ended inside a
// quoted field: the input has ended and the error points past the end of
// its last line (see lineTail).
func unclosed(pe *csv.ParseError, src *source, bom int) bool {
	if !src.eof {
		return false
	}
	line, length := src.tail.lastLine(bom)
	return int64(pe.Line) == line && int64(pe.Column) > length
}

func located(pe *csv.ParseError, problem string) *model.Error {
	if pe.Line == pe.StartLine {
		return invalidf(pe.StartLine, "byte %d of the line: %s", pe.Column, problem)
	}
	return invalidf(pe.StartLine, "in the record starting here, at byte %d of line %d: %s", pe.Column, pe.Line, problem)
}
