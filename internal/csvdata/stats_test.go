package csvdata

import (
	"fmt"
	"strings"
	"testing"

	"gitlab.com/mlserve/mlserve/model"
)

func TestInspectCounts(t *testing.T) {
	tests := []struct {
		name     string
		values   []string // the cells of column "x", one per row
		distinct int
		empty    int64
	}{
		{"distinct values are counted", []string{"a", "b", "a", "c", "b"}, 3, 0},
		{"empty and blank cells are counted as empty, not as values", []string{"1", "", "  ", "2", ""}, 2, 3},
		{"values are compared trimmed", []string{"a", " a", "a ", `" a "`}, 1, 0},
		{"numbers are compared as text", []string{"1", "1.0", "01"}, 3, 0},
		{"a column of only empty cells has no values", []string{"", " "}, 0, 2},
		{"exactly the classifier limit is counted exactly", numbered("v", model.MaxClasses), model.MaxClasses, 0},
		{"counting stops at the cap", numbered("v", 3*model.DistinctCap), model.DistinctCap, 0},
		{"long values with the same length, start and end are told apart",
			[]string{"aaaaaaaaXbbbbbbbb", "aaaaaaaaYbbbbbbbb", "aaaaaaaaXbbbbbbbb"}, 2, 0},
		{"short values differing only by a trailing NUL are told apart", []string{"a", "a\x00", "a"}, 2, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			b.WriteString("id,x\n")
			for i, v := range tt.values {
				fmt.Fprintf(&b, "%d,%s\n", i, v)
			}
			sum := mustInspect(t, b.String(), Limits{})
			if got := sum.Columns[1]; got.Distinct != tt.distinct || got.Empty != tt.empty {
				t.Errorf("Distinct, Empty = %d, %d, want %d, %d", got.Distinct, got.Empty, tt.distinct, tt.empty)
			}
		})
	}
}

// numbered returns n distinct values prefix0, prefix1, ...
func numbered(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%d", prefix, i)
	}
	return out
}
