package csvdata

import (
	"math"
	"strconv"
	"strings"
)

// ParseNumber reports whether a CSV cell is a number and returns its value.
// It is the one definition of "number" for datasets: every reader of an
// uploaded CSV (type inference here, training, scoring) should use it so a
// column typed as number always parses the same way later.
//
// Surrounding white space is ignored ("1, 2" is common). Only finite decimal
// numbers count: "NaN", "Inf" and "Infinity" (any case), values that overflow
// float64 (1e400), and the Go literal forms strconv.ParseFloat also accepts
// (hexadecimal 0x1p4, digit separators 1_000) are strings. An empty or blank cell is not a number; IsEmpty
// tells it apart from a string.
func ParseNumber(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if !looksDecimal(s) {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// IsEmpty reports whether a CSV cell is empty or blank. Empty cells do not
// decide a column's type.
func IsEmpty(s string) bool {
	return strings.TrimSpace(s) == ""
}

// looksDecimal is a cheap first test that rejects words (including the
// NaN and Inf spellings ParseFloat accepts) and Go-only literal forms
// before ParseFloat runs: after an optional sign, a decimal number starts
// with a digit or a point, a leading 0 is not followed by x, and there is no
// digit separator.
func looksDecimal(s string) bool {
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	if s == "" {
		return false
	}
	if c := s[0]; (c < '0' || c > '9') && c != '.' {
		return false
	}
	if len(s) > 1 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		return false
	}
	return strings.IndexByte(s, '_') < 0
}

// isNumber reports whether ParseNumber(s) would succeed, for a trimmed s,
// without computing the value: type inference asks this of every cell of a
// numeric column, and a syntax check is several times cheaper than
// strconv.ParseFloat. Only values that might not fit a float64 (with an
// exponent, or long) go the slow way. FuzzIsNumber holds the two equal.
func isNumber(s string) bool {
	i, digits := 0, 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	for ; i < len(s) && '0' <= s[i] && s[i] <= '9'; i++ {
		digits++
	}
	if i < len(s) && s[i] == '.' {
		for i++; i < len(s) && '0' <= s[i] && s[i] <= '9'; i++ {
			digits++
		}
	}
	switch {
	case digits == 0:
		return false
	case i == len(s) && len(s) < 300: // below 1e300: finite
		return true
	case i < len(s) && s[i] != 'e' && s[i] != 'E':
		return false
	}
	_, ok := ParseNumber(s)
	return ok
}

// wholeNumber reports whether v, a cell isNumber accepts, is a whole
// number: its digits after a decimal point are all 0 ("3", "-2.00"), or,
// with an exponent, its value is.
func wholeNumber(v string) bool {
	if strings.ContainsAny(v, "eE") {
		f, _ := ParseNumber(v)
		return f == math.Trunc(f)
	}
	_, frac, ok := strings.Cut(v, ".")
	return !ok || strings.Trim(frac, "0") == ""
}
