package scoring

import (
	"bytes"
	"encoding/csv"
	"slices"
	"strings"
	"testing"

	"gitlab.com/mlserve/mlserve/model"
)

func TestAppendFieldQuotesOnlyWhenNeeded(t *testing.T) {
	tests := []struct{ field, want string }{
		{"", ""},
		{"plain", "plain"},
		{"5.1", "5.1"},
		{"ünïcode", "ünïcode"},
		{"a,b", `"a,b"`},
		{`say "hi"`, `"say ""hi"""`},
		{`"`, `""""`},
		{"two\nlines", "\"two\nlines\""},
		{"cr\r", "\"cr\r\""},
		{" lead", `" lead"`},
		{"trail ", `"trail "`},
		{"tab\t", "\"tab\t\""},
		{"\u00a0nbsp", "\"\u00a0nbsp\""},
		{"in side", "in side"},
		{`\.`, `"\."`},
	}
	for _, tt := range tests {
		if got := string(appendField(nil, []byte(tt.field))); got != tt.want {
			t.Errorf("appendField(%q) = %q, want %q", tt.field, got, tt.want)
		}
	}
}

func TestCSVHeaderReadsBackAsTheNames(t *testing.T) {
	cols := []model.Column{{Name: "a"}, {Name: "b, c"}, {Name: `"q"`}, {Name: "prediction"}}
	line := CSVHeader(cols)
	if !bytes.HasSuffix(line, []byte("\n")) || bytes.Count(line, []byte("\n")) != 1 {
		t.Fatalf("header %q is not one line", line)
	}
	got, err := csv.NewReader(bytes.NewReader(line)).Read()
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a", "b, c", `"q"`, "prediction"}; !slices.Equal(got, want) {
		t.Fatalf("header reads as %q, want %q", got, want)
	}
}

// FuzzAppendField checks that encoding/csv reads any field back as it was
// written, but for a "\r\n" inside, which a reader of CSV takes for "\n"
// (the records Score echoes never hold one).
func FuzzAppendField(f *testing.F) {
	for _, n := range notes {
		f.Add(n)
	}
	f.Fuzz(func(t *testing.T, field string) {
		line := append(appendField(nil, []byte(field)), ",x\n"...)
		got, err := csv.NewReader(bytes.NewReader(line)).Read()
		if err != nil {
			t.Fatalf("%q written as %q: %v", field, line, err)
		}
		if want := strings.ReplaceAll(field, "\r\n", "\n"); len(got) != 2 || got[0] != want {
			t.Fatalf("%q written as %q reads as %q", field, line, got)
		}
	})
}
