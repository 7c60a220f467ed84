package config_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"gitlab.com/mlserve/mlserve/internal/config"
)

// TestREADMEListsEveryKey keeps the README's configuration table true: one
// row per key, with its env name, flag and default.
func TestREADMEListsEveryKey(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `([a-z_.]+)` \\| `([A-Z_]+)` \\| `--([a-z-]+)` \\| ([^|]*) \\|")
	rows := map[string][]string{}
	for _, m := range row.FindAllStringSubmatch(string(readme), -1) {
		rows[m[1]] = m[2:]
	}
	keys := config.Keys()
	for _, k := range keys {
		r, ok := rows[k.Name]
		switch {
		case !ok:
			t.Errorf("README has no row for %s", k.Name)
		case r[0] != k.Env || r[1] != k.Flag:
			t.Errorf("README row of %s says %s, --%s; want %s, --%s", k.Name, r[0], r[1], k.Env, k.Flag)
		case k.Default != "" && !strings.Contains(r[2], "`"+k.Default+"`"):
			t.Errorf("README row of %s gives the default %q; want `%s`", k.Name, r[2], k.Default)
		}
	}
	if len(rows) != len(keys) {
		t.Errorf("README has %d configuration rows for %d keys", len(rows), len(keys))
	}
}
