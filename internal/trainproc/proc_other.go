//go:build unix && !linux

package trainproc

import (
	"errors"
	"os"
	"syscall"
)

// sysProcAttr puts the child in a process group of its own, so a terminal's
// ^C reaches only the parent.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// killGroup kills the child only: without waitExited, a group kill could
// reach a recycled process group.
func killGroup(p *os.Process) {
	_ = p.Kill()
}

// waitExited is Linux only.
func waitExited(int) error { return errors.ErrUnsupported }

// readRSS is Linux only: elsewhere the memory watchdog never fires and
// GOMEMLIMIT is the only bound.
func readRSS(int) (int64, error) { return 0, errors.ErrUnsupported }
