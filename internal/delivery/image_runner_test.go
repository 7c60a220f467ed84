//go:build linux

package delivery

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"gitlab.com/mlserve/mlserve/internal/testenv"
)

// The runtime image holds /mlserve and runs it as a non-root user in its
// own mount and PID namespaces, with /proc, a few devices and /tmp. Run as
// root, the test reproduces that with less: a directory owned by root
// holding only the binary, /proc, /dev/{null,zero,random,urandom} and /tmp,
// writable or not (distroless static also has CA certificates, tzdata and
// /etc/passwd). This test
// binary, started with imageRootEnv in new namespaces, mounts those, enters
// the directory, drops to the image's user and execs /mlserve, which is
// then PID 1 of its namespace, as in a container.
const (
	imageRootEnv = "MLSERVE_IMAGETEST_ROOT"
	imageUserEnv = "MLSERVE_IMAGETEST_USER"
)

var imageDevices = []string{"null", "zero", "random", "urandom"}

func init() {
	if root := os.Getenv(imageRootEnv); root != "" {
		err := enterImageRoot(root, os.Getenv(imageUserEnv), os.Args[1:])
		fmt.Fprintf(os.Stderr, "enter the image root %s: %v\n", root, err)
		os.Exit(126)
	}
}

// enterImageRoot runs in the child; it returns only on failure.
func enterImageRoot(root, user string, args []string) error {
	uid, gid, err := numericUser(user)
	if err != nil {
		return err
	}
	// The mount namespace is new: keep what is mounted here from the host.
	if err := syscall.Mount("", "/", "", syscall.MS_REC|syscall.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make mounts private: %w", err)
	}
	if err := syscall.Mount("proc", filepath.Join(root, "proc"), "proc", syscall.MS_NOSUID|syscall.MS_NODEV|syscall.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("mount /proc: %w", err)
	}
	for _, d := range imageDevices {
		if err := syscall.Mount("/dev/"+d, filepath.Join(root, "dev", d), "", syscall.MS_BIND, ""); err != nil {
			return fmt.Errorf("bind /dev/%s: %w", d, err)
		}
	}
	if err := syscall.Chroot(root); err != nil {
		return fmt.Errorf("chroot: %w", err)
	}
	if err := syscall.Chdir("/"); err != nil {
		return err
	}
	if err := syscall.Setgroups(nil); err != nil {
		return fmt.Errorf("setgroups: %w", err)
	}
	if err := syscall.Setgid(gid); err != nil {
		return fmt.Errorf("setgid %d: %w", gid, err)
	}
	if err := syscall.Setuid(uid); err != nil {
		return fmt.Errorf("setuid %d: %w", uid, err)
	}
	// Changing credentials cleared the parent-death signal; set it again so
	// a test that dies takes /mlserve with it.
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_PDEATHSIG, uintptr(syscall.SIGKILL), 0); errno != 0 {
		return fmt.Errorf("set the parent-death signal: %w", errno)
	}
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, imageRootEnv+"=") || strings.HasPrefix(kv, imageUserEnv+"=")
	})
	return fmt.Errorf("exec /mlserve: %w", syscall.Exec("/mlserve", append([]string{"/mlserve"}, args...), env))
}

// imageRunner starts roles of the binary as the image would.
type imageRunner struct {
	bin, user string
	confine   bool // false: run on the host
}

// newImageRunner runs bin in image roots, or, when not run as root, on the
// host (a failure under MLSERVE_TEST_REQUIRE_REAL=1: CI runs as root).
func newImageRunner(tb testing.TB, bin string, uid, gid int) *imageRunner {
	tb.Helper()
	r := &imageRunner{bin: bin, user: fmt.Sprintf("%d:%d", uid, gid), confine: os.Geteuid() == 0}
	if !r.confine {
		if os.Getenv("MLSERVE_TEST_REQUIRE_REAL") == "1" {
			tb.Fatal("the image's root needs root (namespaces, chroot) and MLSERVE_TEST_REQUIRE_REAL=1")
		}
		tb.Log("not root: running the binary on the host, not in an image-like root")
	}
	return r
}

// newRoot makes an image root for one process: everything owned by root, so
// the image's user can write nowhere, except in /tmp if writableTmp.
func (r *imageRunner) newRoot(tb testing.TB, writableTmp bool) string {
	tb.Helper()
	root := tb.TempDir()
	b, err := os.ReadFile(r.bin)
	if err != nil {
		tb.Fatal(err)
	}
	tmp := fs.FileMode(0o755)
	if writableTmp {
		tmp = 0o777 | fs.ModeSticky
	}
	for _, step := range []error{
		os.Chmod(root, 0o755),
		os.WriteFile(filepath.Join(root, "mlserve"), b, 0o755), // as COPY makes it
		os.Mkdir(filepath.Join(root, "proc"), 0o555),
		os.Mkdir(filepath.Join(root, "dev"), 0o755),
		os.Mkdir(filepath.Join(root, "tmp"), 0o755),
		os.Chmod(filepath.Join(root, "tmp"), tmp),
	} {
		if step != nil {
			tb.Fatal(step)
		}
	}
	for _, d := range imageDevices {
		if err := os.WriteFile(filepath.Join(root, "dev", d), nil, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return root
}

// checkConfined checks from the host that p runs in its image root as the
// image's user and as PID 1 of its namespace.
func (r *imageRunner) checkConfined(tb testing.TB, p *imageProcess) {
	tb.Helper()
	if !r.confine {
		return
	}
	proc := fmt.Sprintf("/proc/%d/", p.cmd.Process.Pid)
	root, err := os.Readlink(proc + "root")
	if err != nil || root != p.root {
		tb.Errorf("mlserve %s: root %q (%v), want %s", p.role, root, err, p.root)
	}
	status, err := os.ReadFile(proc + "status")
	if err != nil {
		tb.Fatal(err)
	}
	uid, gid, _ := strings.Cut(r.user, ":")
	for _, want := range []string{
		fmt.Sprintf("Uid:\t%[1]s\t%[1]s\t%[1]s\t%[1]s\n", uid),
		fmt.Sprintf("Gid:\t%[1]s\t%[1]s\t%[1]s\t%[1]s\n", gid),
		fmt.Sprintf("NSpid:\t%d\t1\n", p.cmd.Process.Pid),
	} {
		if !strings.Contains(string(status), want) {
			tb.Errorf("mlserve %s: %s has no line %q:\n%s", p.role, proc+"status", want, status)
		}
	}
}

// imageProcess is one running role.
type imageProcess struct {
	role   string
	root   string // its image root; "" on the host
	cmd    *exec.Cmd
	out    *testenv.SyncBuffer
	exited chan struct{}
	err    error // Wait's, once exited is closed
}

// start runs role with env (and nothing else: the image sets no variables
// mlserve reads), with a writable /tmp if writableTmp, and stops it at
// cleanup, logging its output if tb failed.
func (r *imageRunner) start(tb testing.TB, env []string, role string, writableTmp bool) *imageProcess {
	tb.Helper()
	p := &imageProcess{role: role, out: &testenv.SyncBuffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(r.bin, role)
	p.cmd.Env = env
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if r.confine {
		p.root = r.newRoot(tb, writableTmp)
		self, err := os.Executable()
		if err != nil {
			tb.Fatal(err)
		}
		p.cmd.Path, p.cmd.Args[0] = self, self
		p.cmd.Env = append(slices.Clone(env), imageRootEnv+"="+p.root, imageUserEnv+"="+r.user)
		p.cmd.SysProcAttr.Cloneflags = syscall.CLONE_NEWNS | syscall.CLONE_NEWPID
	}
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		tb.Fatalf("start mlserve %s: %v", role, err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.exited) }()
	tb.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.exited
		if tb.Failed() {
			tb.Logf("mlserve %s output:\n%s", role, p.out)
		}
	})
	return p
}

// stop sends SIGTERM and returns how the process exited.
func (p *imageProcess) stop(tb testing.TB) error {
	tb.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	select {
	case <-p.exited:
		return p.err
	case <-time.After(2 * time.Minute): // a hang guard
		return fmt.Errorf("still running two minutes after SIGTERM")
	}
}

// listenAddr waits for the api's "api listening" log line.
func (p *imageProcess) listenAddr(tb testing.TB) string {
	tb.Helper()
	re := regexp.MustCompile(`"msg":"api listening".*"addr":"([^"]+)"`)
	for {
		if m := re.FindStringSubmatch(p.out.String()); m != nil {
			return m[1]
		}
		select {
		case <-p.exited:
			tb.Fatalf("mlserve %s exited (%v) before listening:\n%s", p.role, p.err, p.out)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// imageClient calls the API with an admin key.
type imageClient struct{ base, key string }

// call sends body and decodes the answer into v (nil: ignore it), failing
// tb unless the status is want.
func (c *imageClient) call(tb testing.TB, method, path, contentType string, body []byte, want int, v any) {
	tb.Helper()
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != want {
		tb.Fatalf("%s %s: %d %s (%v), want %d", method, path, resp.StatusCode, b, err, want)
	}
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			tb.Fatalf("%s %s: decode %s: %v", method, path, b, err)
		}
	}
}

func (c *imageClient) callJSON(tb testing.TB, method, path string, body any, want int, v any) {
	tb.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		tb.Fatal(err)
	}
	c.call(tb, method, path, "application/json", b, want, v)
}

// waitReady polls /readyz until it answers 200.
func (c *imageClient) waitReady(tb testing.TB) {
	tb.Helper()
	deadline := time.Now().Add(time.Minute) // a hang guard
	for {
		resp, err := http.Get(c.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		if time.Now().After(deadline) {
			tb.Fatalf("GET /readyz never answered 200; last: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
