package k8s

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// promqlWords are PromQL's aggregation operators and keywords: words that
// are never metric names where they stand.
var promqlWords = map[string]bool{
	"sum": true, "min": true, "max": true, "avg": true, "group": true, "stddev": true, "stdvar": true,
	"count": true, "count_values": true, "bottomk": true, "topk": true, "quantile": true, "limitk": true, "limit_ratio": true,
	"and": true, "or": true, "unless": true, "atan2": true, "bool": true, "offset": true,
	"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true,
	"inf": true, "nan": true,
}

// labelLists are the keywords followed by a parenthesised list of label
// names, not of expressions.
var labelLists = map[string]bool{
	"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true,
}

// metricNames returns the metric names expr selects, sorted and unique. It
// reads PromQL's tokens (promtool checks that expr parses): strings, label
// matchers in braces, ranges in brackets and the label lists of by,
// without, on, ignoring and group_* name no metric; a word followed by "("
// is a function; the rest of the words, keywords aside, are metric names.
// A selector by __name__ is an error: it names its metric in a matcher.
func metricNames(expr string) ([]string, error) {
	var names []string
	s := expr
	for len(s) > 0 {
		c := s[0]
		switch {
		case c == '"' || c == '\'' || c == '`':
			n, err := skipString(s)
			if err != nil {
				return nil, err
			}
			s = s[n:]
		case c == '{' || c == '[':
			closing := map[byte]byte{'{': '}', '[': ']'}[c]
			n, err := skipTo(s, closing)
			if err != nil {
				return nil, err
			}
			if c == '{' && strings.Contains(s[:n], "__name__") {
				return nil, fmt.Errorf("%q selects by __name__", s[:n])
			}
			s = s[n:]
		case c >= '0' && c <= '9' || c == '.':
			// A number or a duration (5m, 1e3, 0x1f).
			n := 1
			for n < len(s) && (isWordByte(s[n]) || s[n] == '.') {
				n++
			}
			s = s[n:]
		case isWordStart(c):
			n := 1
			for n < len(s) && isWordByte(s[n]) {
				n++
			}
			word, rest := s[:n], strings.TrimLeft(s[n:], " \t\n")
			s = s[n:]
			switch {
			case labelLists[word] && strings.HasPrefix(rest, "("):
				m, err := skipTo(rest, ')')
				if err != nil {
					return nil, err
				}
				s = rest[m:]
			case promqlWords[strings.ToLower(word)], strings.HasPrefix(rest, "("):
				// A keyword, an aggregation or a function.
			default:
				names = append(names, word)
			}
		default:
			s = s[1:]
		}
	}
	slices.Sort(names)
	return slices.Compact(names), nil
}

func isWordStart(c byte) bool {
	return c == '_' || c == ':' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isWordByte(c byte) bool { return isWordStart(c) || c >= '0' && c <= '9' }

// skipString returns the length of the string literal s starts with.
func skipString(s string) (int, error) {
	quote := s[0]
	for i := 1; i < len(s); i++ {
		switch {
		case s[i] == '\\' && quote != '`':
			i++
		case s[i] == quote:
			return i + 1, nil
		}
	}
	return 0, fmt.Errorf("unterminated string in %q", s)
}

// skipTo returns the length of s up to and including the closing byte
// that matches s's first, skipping strings.
func skipTo(s string, closing byte) (int, error) {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '"', '\'', '`':
			n, err := skipString(s[i:])
			if err != nil {
				return 0, err
			}
			i += n - 1
		case closing:
			return i + 1, nil
		}
	}
	return 0, fmt.Errorf("no %q closes %q", closing, s)
}

func TestMetricNamesReadsPromQL(t *testing.T) {
	for _, c := range []struct {
		expr string
		want []string
	}{
		{`up`, []string{"up"}},
		{`absent(up{job="mlserve-worker"} == 1)`, []string{"up"}},
		{`sum by (route, le) (rate(a_bucket{route=~".*/(predict|infer)", x='}'}[5m]))`, []string{"a_bucket"}},
		{`histogram_quantile(0.99, sum(rate(b_bucket[$__rate_interval])) by (le)) > 0.25`, []string{"b_bucket"}},
		{`sum(rate(c_total{code=~"5.."}[5m])) / on (job) group_left (pod) d offset 1h and e:recorded unless bool_thing`, []string{"bool_thing", "c_total", "d", "e:recorded"}},
		{`max by (queue) (delta(q{state="pending"}[30m])) > 0 and max without (pod) (q) > +Inf`, []string{"q"}},
		{`count(x) by(job) > 1e3 or vector(0)`, []string{"x"}},
	} {
		got, err := metricNames(c.expr)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("metricNames(%s) = %q, %v; want %q", c.expr, got, err, c.want)
		}
	}
	for _, bad := range []string{`{__name__="x"}`, `x{a="b"`, `x{a="b}`} {
		if got, err := metricNames(bad); err == nil {
			t.Errorf("metricNames(%s) = %q, want an error", bad, got)
		}
	}
}
