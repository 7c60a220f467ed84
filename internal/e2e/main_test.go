package e2e

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Shared by every test, set up once by TestMain.
var (
	// binary is the production binary, built from this checkout.
	binary string
	// mongoURI points at the FerretDB every process of every test talks to;
	// each test uses a database of its own (see newCluster).
	mongoURI string
)

// The commands TestMain builds.
const (
	mlservePkg  = "gitlab.com/mlserve/mlserve/cmd/mlserve"
	ferretdbPkg = "gitlab.com/mlserve/mlserve/internal/e2e/ferretdb"
)

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(runTests(m))
}

// runTests builds the binaries and starts FerretDB, runs the tests, and
// releases both. With -short it only runs the tests, which skip.
func runTests(m *testing.M) int {
	if testing.Short() {
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "mlserve-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)

	if err := build(dir, mlservePkg, ferretdbPkg); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	binary = filepath.Join(dir, "mlserve")
	uri, stop, err := startFerretDB(filepath.Join(dir, "ferretdb"), filepath.Join(dir, "mongo"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	// Every process a test starts is gone before it ends, so the server has
	// no connections to wait for when it stops.
	defer stop()
	mongoURI = uri
	return m.Run()
}

// build compiles the commands pkgs into dir, with cgo, as the image does
// (and without the race detector, whatever the tests run with).
func build(dir string, pkgs ...string) error {
	gobin, err := goTool()
	if err != nil {
		return err
	}
	cmd := exec.Command(gobin, append([]string{"build", "-o", dir + string(filepath.Separator)}, pkgs...)...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", strings.Join(pkgs, " "), err, msg)
	}
	return nil
}

// startFerretDB runs the ferretdb command with its data under dataDir and
// returns the URI it serves. The server is a process of its own so that it
// runs at full speed under go test -race: inside the race-instrumented test
// binary it is several times slower, enough for the worker's store calls to
// time out under a 1,000,000-row job. stop ends it.
func startFerretDB(bin, dataDir string) (uri string, stop func(), err error) {
	cmd := exec.Command(bin, dataDir)
	// The server exits when its stdin closes: at stop, or when this process
	// dies, however it dies.
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return "", nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	var stderr logBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("start ferretdb: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	stop = func() {
		stdin.Close()
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}

	line := make(chan string, 1)
	go func() {
		s := bufio.NewScanner(stdout)
		s.Scan()
		line <- s.Text()
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case uri = <-line:
	case <-time.After(time.Minute):
	}
	if !strings.HasPrefix(uri, "mongodb://") {
		stop()
		return "", nil, fmt.Errorf("ferretdb did not print its uri (got %q); its output:\n%s", uri, stderr.String())
	}
	return uri, stop, nil
}

// goTool finds the go command of the toolchain running the tests, else the
// one on PATH.
func goTool() (string, error) {
	// runtime.GOROOT is deprecated for finding the toolchain a program
	// runs with, but here it is what we want: the one that built the test.
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(gobin); err == nil {
		return gobin, nil
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		return "", errors.New("no go command: not in GOROOT/bin nor on PATH")
	}
	return gobin, nil
}

// skipShort skips tb under -short: every test here runs processes for a
// minute or more.
func skipShort(tb testing.TB) {
	tb.Helper()
	if testing.Short() {
		tb.Skip("runs the production binaries for minutes; skipped with -short")
	}
}
