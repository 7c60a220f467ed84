package k8s

import (
	"bytes"
	"os"
	"os/exec"
	"testing"
)

// promtoolInstall is how CI gets promtool (.ci/run).
const promtoolInstall = "apt-get install prometheus"

// promtool finds Prometheus's promtool in PATH. Without it the test is
// skipped, unless MLSERVE_TEST_REQUIRE_REAL=1 (CI) makes that a failure.
func promtool(tb testing.TB) string {
	tb.Helper()
	if bin, err := exec.LookPath("promtool"); err == nil {
		return bin
	}
	if os.Getenv("MLSERVE_TEST_REQUIRE_REAL") == "1" {
		tb.Fatalf("promtool is not installed and MLSERVE_TEST_REQUIRE_REAL=1 (%s)", promtoolInstall)
	}
	tb.Skipf("promtool is not installed (%s)", promtoolInstall)
	return ""
}

// runPromtool runs promtool with args in dir and fails tb, with what it
// printed, unless it succeeds.
func runPromtool(tb testing.TB, bin, dir string, args ...string) {
	tb.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		tb.Fatalf("promtool %v: %v\n%s", args, err, out.String())
	}
	tb.Logf("promtool %v:\n%s", args, out.String())
}
