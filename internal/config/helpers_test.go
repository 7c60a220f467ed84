package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// opsKey is a valid auth.keys entry; production defaults need one key.
var opsKey = "ops:" + strings.Repeat("ab", 32) + ":admin"

// getenv returns a getenv over kv pairs, on top of the minimum a production
// Load needs (one API key).
func getenv(kv ...string) func(string) string {
	m := map[string]string{"MLSERVE_AUTH_KEYS": opsKey}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func writeFile(tb testing.TB, name, content string) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

func mustLoad(tb testing.TB, args []string, env func(string) string, opts ...Option) *Config {
	tb.Helper()
	c, err := Load(args, env, opts...)
	if err != nil {
		tb.Fatalf("Load(%q): %v", args, err)
	}
	return c
}
