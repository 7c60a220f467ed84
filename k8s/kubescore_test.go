package k8s

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// kubeScoreInstall is how CI gets the kube-score the test runs.
const kubeScoreInstall = "go install github.com/zegl/kube-score/cmd/kube-score@v1.20.0"

// kubeScore finds kube-score in PATH or in Go's bin directory, where `go
// install` puts it. Without it the test is skipped, unless
// MLSERVE_TEST_REQUIRE_REAL=1 (CI) makes that a failure.
func kubeScore(tb testing.TB) string {
	tb.Helper()
	if bin, err := exec.LookPath("kube-score"); err == nil {
		return bin
	}
	// `go env` prints one line per variable, an empty one for an unset GOBIN.
	if out, err := exec.Command("go", "env", "GOBIN", "GOPATH").Output(); err == nil {
		gobin, gopath, _ := strings.Cut(string(out), "\n")
		dirs := []string{gobin}
		for _, p := range filepath.SplitList(strings.TrimSpace(gopath)) {
			dirs = append(dirs, filepath.Join(p, "bin"))
		}
		for _, dir := range dirs {
			if dir == "" {
				continue
			}
			if bin := filepath.Join(dir, "kube-score"); fileExists(bin) {
				return bin
			}
		}
	}
	if os.Getenv("MLSERVE_TEST_REQUIRE_REAL") == "1" {
		tb.Fatalf("kube-score is not installed and MLSERVE_TEST_REQUIRE_REAL=1 (%s)", kubeScoreInstall)
	}
	tb.Skipf("kube-score is not installed (%s)", kubeScoreInstall)
	return ""
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// kube-score finds no CRITICAL problem in either overlay. Its optional
// seccomp check is on too. Findings that do not apply are ignored where they
// arise, with the reason beside them (kube-score/ignore annotations: the
// single-replica dev stores need no PodDisruptionBudget); its warnings are
// logged. It skips the KEDA ScaledObject, a kind it does not know.
func TestKubeScoreFindsNothingCritical(t *testing.T) {
	bin := kubeScore(t)
	forEachOverlay(t, func(t *testing.T, r rendered) {
		cmd := exec.Command(bin, "score",
			"--kubernetes-version", "v1.30",
			"--enable-optional-test", "container-seccomp-profile",
			"--output-format", "ci",
			"-")
		cmd.Stdin = bytes.NewReader(r.yaml)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		sc := bufio.NewScanner(bytes.NewReader(out))
		critical, scored := 0, 0
		for sc.Scan() {
			line := sc.Text()
			scored++
			switch {
			case strings.HasPrefix(line, "[CRITICAL]"):
				critical++
				t.Error(line)
			case strings.HasPrefix(line, "[WARNING]"):
				t.Log(line)
			}
		}
		if scored == 0 {
			t.Fatalf("kube-score printed nothing: %v\n%s", err, stderr.String())
		}
		if err != nil && critical == 0 {
			t.Fatalf("kube-score failed without a CRITICAL finding: %v\n%s", err, stderr.String())
		}
	})
}
