package embedded_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"gitlab.com/mlserve/mlserve/internal/embedded"
)

// holdEnv names the data directory TestHoldDataDir holds, in the helper
// process TestDataDirLock starts.
const holdEnv = "MLSERVE_TEST_HOLD_DATA_DIR"

// TestHoldDataDir is not a test: run by TestDataDirLock in another process,
// it starts a server on the directory, says "holding" and keeps it until
// its stdin closes.
func TestHoldDataDir(t *testing.T) {
	dir := os.Getenv(holdEnv)
	if dir == "" {
		t.Skip("the helper process of TestDataDirLock")
	}
	_, stop, err := embedded.StartMongo(context.Background(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	fmt.Println("holding")
	_, _ = io.Copy(io.Discard, os.Stdin)
}

func TestDataDirLock(t *testing.T) {
	dir := t.TempDir()
	helper := exec.Command(os.Args[0], "-test.run=^TestHoldDataDir$")
	helper.Env = append(os.Environ(), holdEnv+"="+dir)
	stdin, err := helper.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := helper.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	helper.Stderr = os.Stderr
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stdin.Close(); _ = helper.Wait() })
	lines := bufio.NewScanner(stdout)
	for lines.Scan() && lines.Text() != "holding" {
	}
	if lines.Text() != "holding" {
		t.Fatalf("the helper ended without holding the directory: %v", lines.Err())
	}
	pid := strconv.Itoa(helper.Process.Pid)

	held, err := os.ReadFile(filepath.Join(dir, embedded.LockFile))
	if err != nil || strings.TrimSpace(string(held)) != pid {
		t.Errorf("the lock file holds %q (%v), want the helper's pid %s", held, err, pid)
	}
	_, _, err = embedded.StartMongo(context.Background(), dir, nil)
	if err == nil || !strings.Contains(err.Error(), "in use by another process (pid "+pid+",") {
		t.Fatalf("a second server on the directory: err = %v, want one naming pid %s", err, pid)
	}

	if err := stdin.Close(); err != nil {
		t.Fatal(err)
	}
	if err := helper.Wait(); err != nil {
		t.Fatalf("helper: %v", err)
	}
	uri, _ := start(t, dir)
	if uri == "" {
		t.Fatal("no uri")
	}
	mine, err := os.ReadFile(filepath.Join(dir, embedded.LockFile))
	if err != nil || strings.TrimSpace(string(mine)) != strconv.Itoa(os.Getpid()) {
		t.Errorf("once the holder stopped, the lock file holds %q (%v), want pid %d", mine, err, os.Getpid())
	}
}
