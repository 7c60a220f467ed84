package archtest

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "gitlab.com/mlserve/mlserve"

// deps lists every package that pkg imports, directly or not.
func deps(tb testing.TB, pkg string) []string {
	tb.Helper()
	out, err := exec.Command("go", "list", "-deps", module+"/"+pkg).Output()
	if err != nil {
		tb.Fatalf("go list -deps %s: %v", pkg, err)
	}
	return strings.Fields(string(out))
}

func TestDependenciesPointInward(t *testing.T) {
	tests := []struct {
		pkg       string
		forbidden []string // import path prefixes pkg must not depend on
	}{
		{"model", []string{module + "/"}},
		{"api", []string{module + "/worker", module + "/internal/mongo", module + "/internal/embedded", "github.com/sjwhitworth/golearn"}},
		{"worker", []string{module + "/api", module + "/internal/embedded"}},
		{"cmd/mlserve", []string{"github.com/FerretDB/", "github.com/alicebob/miniredis", module + "/internal/embedded", module + "/internal/testenv"}},
	}
	for _, tt := range tests {
		t.Run(tt.pkg+" imports none of its forbidden packages", func(t *testing.T) {
			for _, d := range deps(t, tt.pkg) {
				for _, f := range tt.forbidden {
					if strings.HasPrefix(d, f) && d != module+"/"+tt.pkg {
						t.Errorf("%s depends on %s", tt.pkg, d)
					}
				}
			}
		})
	}
}

// owners are the libraries that one package alone may import, with it.
var owners = map[string]string{
	"github.com/spf13/viper":               "internal/config",
	"github.com/prometheus/client_golang/": "internal/metrics",
}

func TestOnlyTheirOwnersImportViperAndClientGolang(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, module+"/...").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, " ")
		for _, imp := range strings.Fields(imports) {
			for lib, owner := range owners {
				if (imp == strings.TrimSuffix(lib, "/") || strings.HasPrefix(imp, lib)) && pkg != module+"/"+owner {
					t.Errorf("%s imports %s; only %s may", pkg, imp, owner)
				}
			}
		}
	}
}
