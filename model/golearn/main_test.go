package golearn

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// noReexec, set in the environment, keeps TestMain from re-executing: the
// test binary then runs with whatever GODEBUG it was given.
const noReexec = "MLSERVE_GOLEARN_TEST_NO_REEXEC"

// TestMain runs the tests with GODEBUG=cgocheck=0, as the training child
// process runs the trainer: golearn's liblinear binding passes Go pointers
// to C, which the default cgo check panics on. cgocheck cannot be set by a
// //go:debug directive (the toolchain rejects it as an unknown setting)
// and is read only at startup, so the test binary re-executes itself with
// the setting added to GODEBUG, passing its arguments, output and exit
// status through.
func TestMain(m *testing.M) {
	if os.Getenv(noReexec) != "" || strings.Contains(","+os.Getenv("GODEBUG")+",", ",cgocheck=0,") {
		os.Exit(m.Run())
	}
	godebug := "cgocheck=0"
	if old := os.Getenv("GODEBUG"); old != "" {
		godebug = old + "," + godebug
	}
	cmd := exec.Command(os.Args[0], os.Args[1:]...)
	cmd.Env = append(os.Environ(), "GODEBUG="+godebug)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		os.Exit(exit.ExitCode())
	case err != nil:
		fmt.Fprintln(os.Stderr, "re-execute the test binary with GODEBUG=cgocheck=0:", err)
		os.Exit(2)
	}
	os.Exit(0)
}
