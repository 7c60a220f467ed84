package archtest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// maxTrackedBytes is the largest file the repository may track outside a
// testdata directory: anything bigger is a build output or data that
// belongs elsewhere.
const maxTrackedBytes = 1 << 20

func TestNoLargeTrackedFiles(t *testing.T) {
	root := filepath.Join("..", "..")
	out, err := exec.Command("git", "-C", root, "ls-files", "-z").Output()
	if err != nil {
		if os.Getenv("MLSERVE_TEST_REQUIRE_REAL") == "1" {
			t.Fatalf("git ls-files failed and MLSERVE_TEST_REQUIRE_REAL=1: %v", err)
		}
		t.Skipf("no git checkout to check: %v", err)
	}
	files := strings.Split(string(bytes.TrimRight(out, "\x00")), "\x00")
	if len(files) < 10 {
		t.Fatalf("git ls-files listed %d files; want the repository's", len(files))
	}
	for _, f := range files {
		if slices.Contains(strings.Split(f, "/"), "testdata") {
			continue
		}
		info, err := os.Lstat(filepath.Join(root, f))
		if err != nil {
			continue // deleted in the working tree, not yet committed
		}
		if info.Size() > maxTrackedBytes {
			t.Errorf("%s is tracked and %d bytes, over %d: remove it (git rm --cached) and ignore it, or move test data under testdata/", f, info.Size(), maxTrackedBytes)
		}
	}
}
