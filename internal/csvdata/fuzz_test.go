package csvdata

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"

	"gitlab.com/mlserve/mlserve/model"
)

// FuzzInspect checks that Inspect never panics, that every rejection is a
// line-numbered *model.Error, and that it agrees with a plain reference
// that loads the whole input with encoding/csv: the same inputs accepted,
// with the same summary.
func FuzzInspect(f *testing.F) {
	for _, s := range []string{
		"", "a,b\n1,x\n2,y\n", "\xef\xbb\xbf\"a\",b\r\n1,\"x\ny\"\r\n", "a,b\n1,\"2\n3,4\n",
		"a,b\n1,\"2\"x\n", "a,a\n1,2\n", "a,,c\n1,2,3\n", "a,b\n1\n", "a,b\n", "\n\n", "a\nNaN\n1e400\n",
		"\xff\xfea\x00", "a,b\xff\n1,2\n", "a,b\n1,2\"3\n", "a,b\r\n1,\"2\r",
	} {
		f.Add([]byte(s))
	}
	for _, name := range []string{"iris.csv", "house-votes-84.csv"} {
		raw, err := os.ReadFile(filepath.Join("..", "..", "testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	lim := Limits{MaxBytes: 1 << 20, MaxColumns: 64}
	f.Fuzz(func(t *testing.T, data []byte) {
		sum, err := Inspect(bytes.NewReader(data), lim)
		slow, slowErr := Inspect(iotest.OneByteReader(bytes.NewReader(data)), lim)
		if !reflect.DeepEqual(slow, sum) || fmt.Sprint(slowErr) != fmt.Sprint(err) {
			t.Fatalf("read at once: %+v, %v; read byte by byte: %+v, %v", sum, err, slow, slowErr)
		}
		want, ok := reference(data, lim)
		if err != nil {
			checkProblem(t, data, err, lim)
			checkQuoteProblem(t, data, err)
			if ok {
				t.Fatalf("Inspect rejected input the reference accepts: %v\nreference: %+v", err, want)
			}
			return
		}
		if !ok {
			t.Fatalf("Inspect accepted input the reference rejects: %+v", sum)
		}
		if !reflect.DeepEqual(sum, want) {
			t.Fatalf("Inspect = %+v,\nreference = %+v", sum, want)
		}
	})
}

// checkProblem asserts err is a *model.Error a user can act on.
func checkProblem(tb testing.TB, data []byte, err error, lim Limits) {
	tb.Helper()
	var me *model.Error
	if !errors.As(err, &me) {
		tb.Fatalf("error %v (%T) is not a *model.Error", err, err)
	}
	switch me.Code {
	case model.CodeTooLarge:
		if int64(len(data)) <= lim.MaxBytes {
			tb.Fatalf("%d bytes called too large for a limit of %d", len(data), lim.MaxBytes)
		}
	case model.CodeInvalid:
		rest, ok := strings.CutPrefix(me.Message, "line ")
		num, _, ok2 := strings.Cut(rest, ": ")
		line, err := strconv.Atoi(num)
		if !ok || !ok2 || err != nil {
			tb.Fatalf("message %q does not start with a line number", me.Message)
		}
		if last := bytes.Count(data, []byte("\n")) + 2; line < 1 || line > last {
			tb.Fatalf("message %q names a line outside 1..%d", me.Message, last)
		}
	default:
		tb.Fatalf("code %q, want %q or %q (%v)", me.Code, model.CodeInvalid, model.CodeTooLarge, err)
	}
}

// checkQuoteProblem asserts that a csv.ErrQuote was classified right: the
// input ended inside a quoted field exactly when appending a quote to the
// input makes that error go away.
func checkQuoteProblem(tb testing.TB, data []byte, err error) {
	tb.Helper()
	msg := model.ErrorMessage(err)
	unclosed := strings.Contains(msg, "never closed")
	if !unclosed && !strings.Contains(msg, "closing quote is followed") {
		return
	}
	body := bytes.TrimPrefix(data, []byte(utf8BOM))
	first := firstParseError(body)
	if first == nil || !errors.Is(first.Err, csv.ErrQuote) {
		tb.Fatalf("message %q, but encoding/csv reports %v first", msg, first)
	}
	again := firstParseError(append(bytes.Clone(body), '"'))
	stillThere := again != nil && *again == *first
	if unclosed == stillThere {
		tb.Fatalf("message %q for %v, but with a quote appended encoding/csv reports %v", msg, first, again)
	}
}

func firstParseError(data []byte) *csv.ParseError {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	for {
		_, err := r.Read()
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return pe
		}
		if err != nil {
			return nil
		}
	}
}

// reference summarizes data the simple way, holding it all in memory, or
// reports that it is not a valid dataset.
func reference(data []byte, lim Limits) (*Summary, bool) {
	if int64(len(data)) > lim.MaxBytes || bytes.HasPrefix(data, []byte("\xff\xfe")) || bytes.HasPrefix(data, []byte("\xfe\xff")) {
		return nil, false
	}
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte(utf8BOM))))
	r.FieldsPerRecord = 0 // every record as wide as the first
	records, err := r.ReadAll()
	if err != nil || len(records) < 2 || len(records[0]) > lim.MaxColumns {
		return nil, false
	}
	sum := &Summary{Rows: int64(len(records) - 1), SizeBytes: int64(len(data)), SHA256: sha256Hex(data)}
	names := map[string]bool{}
	for i, raw := range records[0] {
		name := strings.TrimSpace(raw)
		if !utf8.ValidString(raw) || name == "" || names[name] {
			return nil, false
		}
		names[name] = true
		typ, seen, fractional := model.ColumnNumber, false, false
		var empty int64
		distinct := map[string]bool{}
		for _, rec := range records[1:] {
			v := strings.TrimSpace(rec[i])
			if v == "" {
				empty++
				continue
			}
			seen = true
			if len(distinct) < model.DistinctCap {
				distinct[v] = true
			}
			f, ok := ParseNumber(rec[i])
			if !ok {
				typ = model.ColumnString
			}
			fractional = fractional || f != math.Trunc(f)
		}
		if !seen {
			typ = model.ColumnString
		}
		sum.Columns = append(sum.Columns, model.Column{Name: name, Type: typ, Distinct: len(distinct), Empty: empty,
			Fractional: typ == model.ColumnNumber && fractional})
	}
	return sum, true
}
