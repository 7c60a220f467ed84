package nginx

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"gitlab.com/mlserve/mlserve/internal/testenv"
)

// The files a deployment mounts side by side (a ConfigMap in Kubernetes).
const (
	mainConf     = "nginx.conf"
	upstreamConf = "upstream.conf"
)

// listenLine is the line of nginx.conf that declares the port CONFIGURABLE;
// the tests replace it, and upstream.conf, and nothing else.
const listenLine = "listen 8080;"

// nobody is the uid and gid nginx runs as when the tests run as root (CI),
// so the tests prove the configuration needs no privilege at all.
const nobody = 65534

// proxy is a running nginx that a test owns.
type proxy struct {
	URL       string // http://127.0.0.1:port
	accessLog string // nginx's stdout, where access_log /dev/stdout goes
	errorLog  string // nginx's stderr, where error_log goes
	cmd       *exec.Cmd
	exited    chan struct{} // closed once cmd has exited
}

// nginxBinary finds nginx, also in /usr/sbin, which a user's PATH often
// lacks. The test is skipped when nginx is not installed, unless
// MLSERVE_TEST_REQUIRE_REAL=1 makes that a failure (CI sets it).
func nginxBinary(tb testing.TB) string {
	tb.Helper()
	if bin, err := exec.LookPath("nginx"); err == nil {
		return bin
	}
	if _, err := os.Stat("/usr/sbin/nginx"); err == nil {
		return "/usr/sbin/nginx"
	}
	if os.Getenv("MLSERVE_TEST_REQUIRE_REAL") == "1" {
		tb.Fatal("nginx not installed and MLSERVE_TEST_REQUIRE_REAL=1 (apt-get install nginx)")
	}
	tb.Skip("nginx not installed")
	return ""
}

// confDir writes files (name → content) into dir/conf and makes dir/prefix,
// nginx's writable prefix, all owned by the user nginx will run as.
// dir is made by hand, not by tb.TempDir, whose parent only root may enter.
func confDir(tb testing.TB, files map[string]string) string {
	tb.Helper()
	dir, err := os.MkdirTemp("", "mlserve-nginx-")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	for _, sub := range []string{"conf", "prefix"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o755); err != nil {
			tb.Fatal(err)
		}
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, "conf", name), []byte(content), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	for _, name := range []string{"access.log", "error.log"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	if os.Geteuid() == 0 {
		err := filepath.WalkDir(dir, func(path string, _ os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			return os.Lchown(path, nobody, nobody)
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
	return dir
}

// shippedFiles reads the configuration files as the repository has them.
func shippedFiles(tb testing.TB) map[string]string {
	tb.Helper()
	files := map[string]string{}
	for _, name := range []string{mainConf, upstreamConf} {
		b, err := os.ReadFile(name)
		if err != nil {
			tb.Fatal(err)
		}
		files[name] = string(b)
	}
	return files
}

// startNginx starts nginx on dir's configuration the way a deployment
// does: as nobody when the test runs as root, stdout (the access log) into
// dir/access.log and stderr (the error log) into dir/error.log. Those are
// files nobody owns, because nginx opens /dev/stdout again by name, which
// an unprivileged process may only do on a file of its own; runc chowns a
// container's stdio to the container's user for the same reason.
func startNginx(bin, dir string, args ...string) (*exec.Cmd, error) {
	base := []string{"-e", "stderr", "-p", filepath.Join(dir, "prefix") + "/", "-c", filepath.Join(dir, "conf", mainConf)}
	cmd := exec.Command(bin, append(base, args...)...)
	if os.Geteuid() == 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	}
	stdout, err := os.OpenFile(filepath.Join(dir, "access.log"), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return nil, err
	}
	defer stdout.Close() // nginx has its own copy
	stderr, err := os.OpenFile(filepath.Join(dir, "error.log"), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return nil, err
	}
	defer stderr.Close()
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("run %s: %w", bin, err)
	}
	return cmd, nil
}

// startAttempts bounds the retries when the free port picked is taken by
// someone else before nginx binds it.
const startAttempts = 3

// startProxy runs nginx with the shipped nginx.conf in front of the API at
// upstream (host:port), on a free loopback port, and stops it at cleanup.
// The error log is printed if the test fails.
func startProxy(tb testing.TB, upstream string) *proxy {
	tb.Helper()
	bin := nginxBinary(tb)
	files := shippedFiles(tb)
	if n := strings.Count(files[mainConf], listenLine); n != 1 {
		tb.Fatalf("%s declares %q %d times, want once", mainConf, listenLine, n)
	}
	var errs []error
	for range startAttempts {
		port, err := testenv.FreePort()
		if err != nil {
			tb.Fatal(err)
		}
		files := map[string]string{
			mainConf:     strings.Replace(files[mainConf], listenLine, "listen 127.0.0.1:"+strconv.Itoa(port)+";", 1),
			upstreamConf: "server " + upstream + ";\n",
		}
		p, err := runProxy(tb, bin, confDir(tb, files), port)
		if err == nil {
			return p
		}
		errs = append(errs, err)
	}
	tb.Fatalf("start nginx: %v", errors.Join(errs...))
	return nil
}

// runProxy starts nginx on dir's configuration and waits until it answers
// on port. On failure nginx is stopped and the error says why.
func runProxy(tb testing.TB, bin, dir string, port int) (*proxy, error) {
	tb.Helper()
	p := &proxy{
		URL:       "http://127.0.0.1:" + strconv.Itoa(port),
		accessLog: filepath.Join(dir, "access.log"),
		errorLog:  filepath.Join(dir, "error.log"),
		exited:    make(chan struct{}),
	}
	cmd, err := startNginx(bin, dir)
	if err != nil {
		return nil, err
	}
	p.cmd = cmd
	go func() {
		_ = p.cmd.Wait()
		close(p.exited)
	}()
	if err := p.waitHealthy(30 * time.Second); err != nil {
		p.stop()
		return nil, fmt.Errorf("%w; error log:\n%s", err, p.errors())
	}
	tb.Cleanup(func() {
		p.stop()
		if tb.Failed() {
			tb.Logf("nginx error log:\n%s", p.errors())
		}
	})
	return p, nil
}

// waitHealthy polls nginx's own health location until it answers 200, nginx
// exits (typically: the port is taken) or the timeout passes.
func (p *proxy) waitHealthy(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		select {
		case <-p.exited:
			return errors.New("nginx exited")
		default:
		}
		resp, err := http.Get(p.URL + "/nginx-health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("nginx did not answer on %s within %s", p.URL, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop asks nginx to finish its requests and exit (SIGQUIT), and kills it
// if it has not within ten seconds.
func (p *proxy) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGQUIT)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// errors returns the error log so far.
func (p *proxy) errors() string {
	b, err := os.ReadFile(p.errorLog)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// accessEntries parses the access log so far, one JSON object per line; a
// line that is not a JSON object fails the test.
func (p *proxy) accessEntries(tb testing.TB) []map[string]any {
	tb.Helper()
	b, err := os.ReadFile(p.accessLog)
	if err != nil {
		tb.Fatal(err)
	}
	var entries []map[string]any
	lines := bufio.NewScanner(bytes.NewReader(b))
	for lines.Scan() {
		var e map[string]any
		if err := json.Unmarshal(lines.Bytes(), &e); err != nil {
			tb.Fatalf("access log line is not JSON: %v: %s", err, lines.Text())
		}
		entries = append(entries, e)
	}
	return entries
}

// waitForEntry waits until the access log has the entry of request id and
// returns it. nginx writes it once the response is sent, so a client may
// read the response a moment before the line exists.
func (p *proxy) waitForEntry(tb testing.TB, id string) map[string]any {
	tb.Helper()
	var found map[string]any
	testenv.WaitFor(tb, 10*time.Second, "access log entry of "+id, func() bool {
		for _, e := range p.accessEntries(tb) {
			if e["request_id"] == id {
				found = e
				return true
			}
		}
		return false
	})
	return found
}

// client returns an HTTP client whose connections come from the loopback
// address src. nginx rate-limits per client address, so tests that must not
// share a budget use different addresses of 127.0.0.0/8. It never asks for
// or decodes compression on its own. A request with Expect: 100-continue
// waits for nginx's go-ahead before it sends its body.
func client(src string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 5 * time.Second}
	return &http.Client{
		Transport: &http.Transport{DialContext: d.DialContext, DisableCompression: true, ExpectContinueTimeout: 10 * time.Second},
		Timeout:   2 * time.Minute,
	}
}

// do sends one request and returns the response with its whole body read.
func do(tb testing.TB, c *http.Client, method, url string, header http.Header, body io.Reader) (*http.Response, []byte) {
	tb.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		tb.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := c.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return resp, b
}
