package csvdata

import (
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"gitlab.com/mlserve/mlserve/model"
)

// readers feed the same input in differently sized reads, so no result may
// depend on how the bytes arrive.
var readers = []struct {
	name string
	wrap func(io.Reader) io.Reader
}{
	{"whole", func(r io.Reader) io.Reader { return r }},
	{"one byte per read", iotest.OneByteReader},
	{"half reads", iotest.HalfReader},
	{"EOF with the last data", iotest.DataErrReader},
}

func TestInspectRejects(t *testing.T) {
	tests := []struct {
		name  string
		input string
		lim   Limits
		code  string // model.CodeInvalid when empty
		line  int    // the line the message must start with; 0 for none
		want  string // a part of the message
	}{
		{name: "an empty file is rejected", input: "",
			line: 1, want: "the file is empty"},
		{name: "a file with only a byte-order mark is empty", input: "\xef\xbb\xbf",
			line: 1, want: "the file is empty"},
		{name: "a file of blank lines has no header", input: "\n\r\n\n",
			line: 1, want: "no header"},
		{name: "a header without rows points at the line after it", input: "a,b\n",
			line: 2, want: "no data rows after the header"},
		{name: "a header without a newline or rows points at line 2", input: "a,b",
			line: 2, want: "no data rows after the header"},
		{name: "a header followed by blank lines has no rows", input: "a,b\r\n\r\n\n",
			line: 2, want: "no data rows after the header"},
		{name: "a header spanning lines is followed by the line after its end", input: "a,\"b\nc\"\n",
			line: 3, want: "no data rows after the header"},
		{name: "a short row names its line and both counts", input: "a,b,c,d,e\n1,2,3,4,5\n1,2,3\n",
			line: 3, want: "3 fields, the header has 5"},
		{name: "a long row is ragged too", input: "a,b\n1,2\n3,4\n5,6,7\n",
			line: 4, want: "3 fields, the header has 2"},
		{name: "a one-field row says field in the singular", input: "a,b\n1,2\nx\n",
			line: 3, want: "1 field, the header has 2"},
		{name: "a ragged row after a multi-line record is counted as an editor counts", input: "a,b\n\"1\n2\",3\n4\n",
			line: 4, want: "1 field, the header has 2"},
		{name: "a ragged row after blank lines keeps the editor's line number", input: "a,b\n\n1,2\n\n\n3\n",
			line: 6, want: "1 field"},
		{name: "duplicate column names are found after trimming spaces", input: "a,x,b, x \n1,2,3,4\n",
			line: 1, want: `duplicate column name "x" (columns 2 and 4)`},
		{name: "an empty column name is named by its position", input: "a,b,,d\n1,2,3,4\n",
			line: 1, want: "column 3 has an empty name"},
		{name: "a blank column name counts as empty", input: "a,  \n1,2\n",
			line: 1, want: "column 2 has an empty name"},
		{name: "a quote left open on the last line names that line", input: "a,b\n1,2\n3,\"4\n",
			line: 3, want: "a quoted field starting here is never closed"},
		{name: "a quote left open without a final newline names its line", input: "a,b\n1,2\n3,\"4",
			line: 3, want: "a quoted field starting here is never closed"},
		{name: "a quote left open over many lines names where it starts and where the file ends", input: "a,b\n1,\"2\n3,4\n5,6\n",
			line: 2, want: "never closed (the file ends at line 4)"},
		{name: "a quote left open with CRLF endings names where it starts", input: "a,b\r\n1,\"2\r\n3,4\r\n",
			line: 2, want: "never closed (the file ends at line 3)"},
		{name: "a quote left open in the header after a byte-order mark is on line 1", input: "\xef\xbb\xbf\"a,b\n",
			line: 1, want: "a quoted field starting here is never closed"},
		{name: "a quote left open before trailing blank lines names where it starts", input: "a,b\n1,\"2\n\n\n",
			line: 2, want: "never closed (the file ends at line 4)"},
		{name: "text after a closing quote names the column", input: "a,b\n1,\"2\"x\n3,4\n",
			line: 2, want: "byte 5 of the line: a closing quote is followed by more text"},
		{name: "text after a closing quote on the last line is not an open quote", input: "a,b\n1,\"2\"x",
			line: 2, want: "byte 5 of the line: a closing quote is followed by more text"},
		{name: "text after a closing quote on the first line after a byte-order mark is not an open quote", input: "\xef\xbb\xbf\"a\"b",
			line: 1, want: "byte 3 of the line: a closing quote is followed by more text"},
		{name: "text after a closing quote followed by blank lines is not an open quote", input: "a,b\n1,\"2\"x\n\n\n",
			line: 2, want: "byte 5 of the line: a closing quote is followed by more text"},
		{name: "text after a quote closed on a later line names both lines", input: "a,b\n1,\"2\n3\"x\n",
			line: 2, want: "in the record starting here, at byte 2 of line 3: a closing quote"},
		{name: "a bare quote in an unquoted field names its byte, not a column", input: "a,b\n1,2\"3\n",
			line: 2, want: "byte 4 of the line: a quote appears inside an unquoted field"},
		{name: "a column name over the limit names the column and the limit", input: "a," + strings.Repeat("n", 257) + "\n1,2\n", lim: Limits{MaxNameBytes: 256},
			line: 1, want: "the name of column 2 is 257 bytes long, the limit is 256 bytes"},
		{name: "a column name is measured trimmed", input: "a,  " + strings.Repeat("n", 256) + "  \n1,2\n", lim: Limits{MaxNameBytes: 255},
			line: 1, want: "the name of column 2 is 256 bytes long"},
		{name: "a header over the limit names the limit", input: strings.Repeat("c,", 40) + "c\n" + strings.Repeat("1,", 40) + "1\n", lim: Limits{MaxHeaderBytes: 64},
			line: 1, want: "the header is longer than the limit of 64 bytes"},
		{name: "a header over the limit is refused without reading the whole file", input: strings.Repeat("n", 3<<20) + ",b\n1,2\n", lim: Limits{MaxHeaderBytes: 64 << 10},
			line: 1, want: "the header is longer than the limit of 64 KiB (65536 bytes)"},
		{name: "CR-only line endings are refused as such", input: "a,b\r1,2\r3,4\r",
			line: 1, want: "CR-only line endings (classic Mac OS) are not supported"},
		{name: "CR-only line endings are refused before the column limit", input: "a,b\r1,2\r3,4\r5,6\r", lim: Limits{MaxColumns: 3},
			line: 1, want: "CR-only line endings"},
		{name: "CR-only line endings in a long file are refused as such, not as a long header", input: strings.Repeat("a,b\r", 100_000), lim: Limits{MaxHeaderBytes: 64 << 10},
			line: 1, want: "CR-only line endings"},
		{name: "CR-only line endings in a header of exactly the limit's order are refused as such", input: strings.Repeat("a,b\r", 20), lim: Limits{MaxHeaderBytes: 64},
			line: 1, want: "CR-only line endings"},
		{name: "more columns than the limit name the limit", input: "a,b,c,d,e,f\n1,2,3,4,5,6\n", lim: Limits{MaxColumns: 5},
			line: 1, want: "the header has 6 columns, the limit is 5"},
		{name: "a file over the size limit is too large", input: "a,b\n1,2\n3,4\n", lim: Limits{MaxBytes: 11},
			code: model.CodeTooLarge, want: "larger than the limit of 11 bytes"},
		{name: "a file over the size limit by its byte-order mark is too large", input: "\xef\xbb\xbfa\n1\n", lim: Limits{MaxBytes: 6},
			code: model.CodeTooLarge, want: "limit of 6 bytes"},
		{name: "a file cut by the size limit inside a quote is too large, not unclosed", input: "a,b\n1,\"22222\"\n", lim: Limits{MaxBytes: 9},
			code: model.CodeTooLarge, want: "limit of 9 bytes"},
		{name: "a size limit in MiB is shown in MiB", input: strings.Repeat("a\n", 1<<19) + "b\n", lim: Limits{MaxBytes: 1 << 20},
			code: model.CodeTooLarge, want: "limit of 1 MiB (1048576 bytes)"},
		{name: "invalid UTF-8 in the header names the column", input: "a,b\xff\n1,2\n",
			line: 1, want: "the name of column 2 is not valid UTF-8"},
		{name: "a UTF-16 file is refused at once", input: "\xff\xfea\x00,\x00b\x00\n\x00",
			line: 1, want: "the file is UTF-16"},
	}
	for _, tt := range tests {
		for _, rd := range readers {
			t.Run(tt.name+"/"+rd.name, func(t *testing.T) {
				sum, err := Inspect(rd.wrap(strings.NewReader(tt.input)), tt.lim)
				if err == nil {
					t.Fatalf("Inspect accepted the file: %+v", sum)
				}
				var me *model.Error
				if !errors.As(err, &me) {
					t.Fatalf("error %v (%T) is not a *model.Error", err, err)
				}
				code := tt.code
				if code == "" {
					code = model.CodeInvalid
				}
				if me.Code != code {
					t.Errorf("code = %q, want %q (message %q)", me.Code, code, me.Message)
				}
				if !strings.Contains(me.Message, tt.want) {
					t.Errorf("message %q does not contain %q", me.Message, tt.want)
				}
				if tt.line > 0 {
					if prefix := "line " + strconv.Itoa(tt.line) + ": "; !strings.HasPrefix(me.Message, prefix) {
						t.Errorf("message %q does not start with %q", me.Message, prefix)
					}
				}
				if me.Fields["file"] != me.Message {
					t.Errorf(`Fields["file"] = %q, want the message %q`, me.Fields["file"], me.Message)
				}
			})
		}
	}
}

func TestInspectPassesOnReadErrors(t *testing.T) {
	t.Run("an error of the reader is returned wrapped, not as a file problem", func(t *testing.T) {
		cause := errors.New("connection reset")
		r := io.MultiReader(strings.NewReader("a,b\n1,2\n"), iotest.ErrReader(cause))
		_, err := Inspect(r, Limits{})
		if !errors.Is(err, cause) {
			t.Fatalf("err = %v, want it to wrap %v", err, cause)
		}
		if code := model.ErrorCode(err); code != model.CodeInternal {
			t.Errorf("model.ErrorCode = %q, want %q: the file is not at fault", code, model.CodeInternal)
		}
	})
	t.Run("an error of the reader before the first bytes is returned wrapped", func(t *testing.T) {
		cause := errors.New("disk full")
		_, err := Inspect(iotest.ErrReader(cause), Limits{})
		if !errors.Is(err, cause) {
			t.Fatalf("err = %v, want it to wrap %v", err, cause)
		}
	})
	t.Run("an oversized file is read at most one byte past the limit", func(t *testing.T) {
		input := strings.Repeat("1,2\n", 100_000)
		var read countingWriter
		_, err := Inspect(io.TeeReader(strings.NewReader(input), &read), Limits{MaxBytes: 1000})
		if model.ErrorCode(err) != model.CodeTooLarge {
			t.Fatalf("err = %v, want code %q", err, model.CodeTooLarge)
		}
		if read > 1001 {
			t.Errorf("read %d bytes from the reader, want at most 1001", read)
		}
	})
}

type countingWriter int64

func (c *countingWriter) Write(p []byte) (int, error) {
	*c += countingWriter(len(p))
	return len(p), nil
}
