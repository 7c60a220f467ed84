package config

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"gitlab.com/mlserve/mlserve/internal/apikey"
)

// A kind turns a raw value into a typed one. Raw values are strings when they
// come from defaults, the environment or flags, and whatever the decoder made
// when they come from a file (YAML gives int and []any, JSON float64, TOML
// int64). Errors from a secret kind never quote the value.
type kind[T any] struct {
	name   string // shown in --help and the README
	parse  func(raw any) (T, error)
	show   func(T) any // the value as logged, masked for secrets
	secret bool
}

func str() kind[string] {
	return kind[string]{name: "string", parse: asString, show: func(s string) any { return s }}
}

// password is a string never shown: "***" when set, "" when not.
func password() kind[string] {
	return kind[string]{name: "string", parse: asString, secret: true, show: func(s string) any {
		if s == "" {
			return ""
		}
		return "***"
	}}
}

// mongoURI is a MongoDB URI shown with its password masked. Only the scheme is
// checked: the driver's parser accepts URIs net/url rejects (several IPv6
// hosts), and the driver reports anything else when it connects.
func mongoURI() kind[string] {
	parse := func(raw any) (string, error) {
		s, err := asString(raw)
		if err != nil || s == "" {
			return s, err
		}
		if !strings.HasPrefix(s, "mongodb://") && !strings.HasPrefix(s, "mongodb+srv://") {
			return "", errors.New("want a mongodb:// or mongodb+srv:// URI")
		}
		return s, nil
	}
	return kind[string]{name: "string", parse: parse, show: func(s string) any { return maskURI(s) }, secret: true}
}

func enum(values ...string) kind[string] {
	parse := func(raw any) (string, error) {
		s, err := asString(raw)
		if err != nil {
			return "", err
		}
		s = strings.ToLower(strings.TrimSpace(s))
		if !slices.Contains(values, s) {
			return "", fmt.Errorf("%q unknown (want %s)", s, oneOf(values))
		}
		return s, nil
	}
	return kind[string]{name: "string", parse: parse, show: func(s string) any { return s }}
}

func duration() kind[time.Duration] {
	parse := func(raw any) (time.Duration, error) {
		s, ok := raw.(string)
		if !ok {
			return 0, fmt.Errorf("want a duration such as \"30s\" or \"5m\", got %s", typeName(raw))
		}
		d, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil {
			return 0, fmt.Errorf("%q is not a duration (want e.g. \"30s\" or \"5m\")", s)
		}
		return d, nil
	}
	return kind[time.Duration]{name: "duration", parse: parse, show: func(d time.Duration) any { return d.String() }}
}

func integer() kind[int] {
	parse := func(raw any) (int, error) {
		if s, ok := raw.(string); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(s), 10, strconv.IntSize)
			if err != nil {
				return 0, fmt.Errorf("%q is not an integer", s)
			}
			return int(n), nil
		}
		n, err := asInt64(raw)
		if err != nil || n < math.MinInt || n > math.MaxInt {
			return 0, fmt.Errorf("want an integer, got %s", typeName(raw))
		}
		return int(n), nil
	}
	return kind[int]{name: "int", parse: parse, show: func(n int) any { return n }}
}

// size is a number of bytes: an integer of bytes, or one with a unit such as "256MiB".
func size() kind[int64] {
	parse := func(raw any) (int64, error) {
		if s, ok := raw.(string); ok {
			return parseSize(s)
		}
		n, err := asInt64(raw)
		if err != nil {
			return 0, fmt.Errorf("want a size such as 1048576 or \"1MiB\", got %s", typeName(raw))
		}
		return n, nil
	}
	return kind[int64]{name: "bytes", parse: parse, show: func(n int64) any { return n }}
}

func boolean() kind[bool] {
	parse := func(raw any) (bool, error) {
		switch v := raw.(type) {
		case bool:
			return v, nil
		case string:
			b, err := strconv.ParseBool(strings.TrimSpace(v))
			if err != nil {
				return false, fmt.Errorf("%q is not a boolean (want true or false)", v)
			}
			return b, nil
		}
		return false, fmt.Errorf("want true or false, got %s", typeName(raw))
	}
	return kind[bool]{name: "bool", parse: parse, show: func(b bool) any { return b }}
}

// apiKeys parses auth.keys: a comma-separated string (environment, flags, or
// a file) or a list of entries (a file). It is shown as "name:scope+scope",
// never with the hash.
func apiKeys() kind[[]APIKey] {
	show := func(keys []APIKey) any {
		out := make([]string, 0, len(keys))
		for _, k := range keys {
			out = append(out, k.Name+":"+strings.Join(k.Scopes, "+"))
		}
		return out
	}
	return kind[[]APIKey]{name: "keys", parse: parseAPIKeys, show: show, secret: true}
}

// elemError is an error in one entry of a list key; it is reported as
// "key[i]: ...".
type elemError struct {
	i   int
	err error
}

func (e *elemError) Error() string { return fmt.Sprintf("[%d]: %v", e.i, e.err) }
func (e *elemError) Unwrap() error { return e.err }

func parseAPIKeys(raw any) ([]APIKey, error) {
	var entries []string
	switch v := raw.(type) {
	case nil:
	case string:
		if strings.TrimSpace(v) != "" {
			entries = strings.Split(v, ",")
		}
	case []any:
		for i, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, &elemError{i, fmt.Errorf("want a string \"name:sha256hex:scope\", got %s", typeName(e))}
			}
			entries = append(entries, s)
		}
	case []string:
		entries = v
	default:
		return nil, fmt.Errorf("want a list of \"name:sha256hex:scope\" strings, got %s", typeName(raw))
	}
	keys := make([]APIKey, 0, len(entries))
	for i, e := range entries {
		name, hash, scopes, err := apikey.ParseEntry(e)
		if err != nil {
			return nil, &elemError{i, err}
		}
		for j, k := range keys {
			if k.Name == name {
				return nil, &elemError{i, fmt.Errorf("name %q repeats entry %d", name, j)}
			}
			if k.Hash == hash {
				return nil, &elemError{i, fmt.Errorf("key %q: hash repeats entry %d", name, j)}
			}
		}
		keys = append(keys, APIKey{Name: name, Hash: hash, Scopes: scopes})
	}
	return keys, nil
}

// asString accepts only strings: a YAML number or boolean where a string is
// wanted is a mistake or a mangled value (an unquoted 0123 password).
func asString(raw any) (string, error) {
	switch v := raw.(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	}
	return "", fmt.Errorf("want a string, got %s (quote it)", typeName(raw))
}

func asInt64(raw any) (int64, error) {
	switch v := raw.(type) {
	case int:
		return int64(v), nil
	case int64:
		return v, nil
	case int32:
		return int64(v), nil
	case uint64:
		if v <= math.MaxInt64 {
			return int64(v), nil
		}
	case float64: // JSON numbers
		if v == math.Trunc(v) && v >= math.MinInt64 && v < math.MaxInt64 {
			return int64(v), nil
		}
	}
	return 0, errors.New("not an integer")
}

// parseSize reads "1048576", "64KiB", "256MiB", "1GiB", "10MB" (decimal
// units are powers of 1000, binary ones of 1024).
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := strings.IndexFunc(t, func(r rune) bool { return r < '0' || r > '9' })
	if i < 0 {
		i = len(t)
	}
	n, err := strconv.ParseInt(t[:i], 10, 64)
	mult, ok := sizeUnits()[strings.TrimSpace(t[i:])]
	if err != nil || !ok {
		return 0, fmt.Errorf("%q is not a size (want bytes, or a number with B, KB, MB, GB, KiB, MiB or GiB)", s)
	}
	if n > math.MaxInt64/mult {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return n * mult, nil
}

func sizeUnits() map[string]int64 {
	return map[string]int64{
		"": 1, "B": 1,
		"KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
		"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40,
	}
}

func typeName(raw any) string {
	switch raw.(type) {
	case nil:
		return "nothing"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case int, int32, int64, uint64, float64:
		return "a number"
	case []any:
		return "a list"
	case map[string]any:
		return "a table"
	}
	return fmt.Sprintf("%T", raw)
}

// oneOf formats ["a", "b", "c"] as "a, b or c".
func oneOf(values []string) string {
	if len(values) < 2 {
		return strings.Join(values, "")
	}
	return strings.Join(values[:len(values)-1], ", ") + " or " + values[len(values)-1]
}
