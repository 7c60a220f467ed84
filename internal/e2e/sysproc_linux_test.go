package e2e

import "syscall"

// sysProcAttr makes the kernel kill a child process when the test process
// dies (a panic, a -timeout), so no api or worker outlives the test.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
