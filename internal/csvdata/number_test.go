package csvdata

import (
	"fmt"
	"strings"
	"testing"
)

func TestParseNumber(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"42", 42, true},
		{" -2.5 ", -2.5, true},
		{"1e3", 1000, true},
		{"+.5", 0.5, true},
		{"1e-400", 0, true}, // underflow rounds to zero, as ParseFloat does
		{"", 0, false},
		{"NaN", 0, false},
		{"-inf", 0, false},
		{"1e400", 0, false},
		{"0x10p0", 0, false},
		{"1_0", 0, false},
		{"12abc", 0, false},
	}
	for _, tt := range tests {
		name := fmt.Sprintf("%q is not a number", tt.in)
		if tt.ok {
			name = fmt.Sprintf("%q is the number %g", tt.in, tt.want)
		}
		t.Run(name, func(t *testing.T) {
			got, ok := ParseNumber(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("ParseNumber(%q) = %v, %v, want %v, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

// FuzzIsNumber holds the fast syntax check used for type inference equal to
// ParseNumber, the definition.
func FuzzIsNumber(f *testing.F) {
	for _, s := range []string{"1", "-2.5", ".5", "5.", "1e3", "1e400", "1e-400", "NaN", "0x1p4", "1_0", "+", ".", "1.2.3", "9" + strings.Repeat("9", 310)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		s = strings.TrimSpace(s)
		if s == "" {
			return
		}
		if _, want := ParseNumber(s); isNumber(s) != want {
			t.Fatalf("isNumber(%q) = %v, ParseNumber says %v", s, !want, want)
		}
	})
}

func TestWholeNumber(t *testing.T) {
	for v, want := range map[string]bool{
		"3": true, "-2.00": true, "+7.": true, "1e3": true, "1.5e1": true, "0.0": true,
		"2.5": false, "-0.01": false, "1.25e1": false, ".5": false, "1e-3": false,
	} {
		if got := wholeNumber(v); got != want {
			t.Errorf("wholeNumber(%q) = %v, want %v", v, got, want)
		}
	}
}
