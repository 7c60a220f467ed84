package embedded

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// LockFile is the file in a data directory whose lock says that a process
// is using the directory; it holds that process's pid.
const LockFile = "mlserve-dev.lock"

// lockDir takes an exclusive, non-blocking flock on dir's LockFile and
// writes this process's pid into it, so that a second process on the same
// data is refused, with the holder's pid, instead of sharing the SQLite
// files (and, with auth off, serving data the first process protects). The
// kernel drops the lock when the process dies, so a crash leaves nothing to
// clean up. unlock empties the file and releases the lock.
func lockDir(dir string) (unlock func(), err error) {
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("lock data dir: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder := readPid(f)
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("data dir %s is in use by another process (pid %s, as %s says): stop it, or give this one another --dev-data-dir", dir, holder, path)
		}
		return nil, fmt.Errorf("lock data dir: %s: %w", path, err)
	}
	if err := writePid(f); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("lock data dir: %s: %w", path, err)
	}
	return func() {
		_ = f.Truncate(0)
		_ = f.Close()
	}, nil
}

// readPid reads the pid a lock file holds, or says it could not.
func readPid(f *os.File) string {
	b, err := io.ReadAll(io.NewSectionReader(f, 0, 32))
	if pid := strings.TrimSpace(string(b)); err == nil && pid != "" {
		return pid
	}
	return "unknown"
}

// writePid replaces the lock file's content with this process's pid.
func writePid(f *os.File) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err := f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return err
}
