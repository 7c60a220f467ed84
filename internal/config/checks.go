package config

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// Checks run after a kind parsed a value; their errors may quote it, so
// secret keys have none.

func positive[T int | int64 | time.Duration](v T) error {
	if v <= 0 {
		return fmt.Errorf("must be positive, got %v", v)
	}
	return nil
}

// moreThan rejects sizes at or under min, which it names as shown.
func moreThan(min int64, shown string) func(int64) error {
	return func(v int64) error {
		if v <= min {
			return fmt.Errorf("must be more than %s, got %d bytes", shown, v)
		}
		return nil
	}
}

// sizeBetween rejects sizes outside lo to hi, which it names as shown.
func sizeBetween(lo, hi int64, shownLo, shownHi string) func(int64) error {
	return func(v int64) error {
		if v < lo || v > hi {
			return fmt.Errorf("must be between %s and %s, got %d bytes", shownLo, shownHi, v)
		}
		return nil
	}
}

func atLeast(min int) func(int) error {
	return func(v int) error {
		if v < min {
			return fmt.Errorf("must be at least %d, got %d", min, v)
		}
		return nil
	}
}

func between(lo, hi int) func(int) error {
	return func(v int) error {
		if v < lo || v > hi {
			return fmt.Errorf("must be between %d and %d, got %d", lo, hi, v)
		}
		return nil
	}
}

func hostPort(s string) error {
	if _, port, err := net.SplitHostPort(s); err != nil || port == "" {
		return fmt.Errorf("%q is not host:port (e.g. \":8080\" or \"localhost:6379\")", s)
	}
	return nil
}

// optional skips check for the empty string.
func optional(check func(string) error) func(string) error {
	return func(s string) error {
		if s == "" {
			return nil
		}
		return check(s)
	}
}

// mongoDatabase applies MongoDB's database name rules.
func mongoDatabase(s string) error {
	if s == "" {
		return errors.New("must not be empty")
	}
	if len(s) >= 64 || strings.ContainsAny(s, "/\\. \"$\x00") {
		return fmt.Errorf("%q is not a MongoDB database name (under 64 bytes, none of /\\. \"$)", s)
	}
	return nil
}
