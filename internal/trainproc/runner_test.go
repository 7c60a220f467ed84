package trainproc

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gitlab.com/mlserve/mlserve/model"
)

func spec(algorithm string) model.TrainSpec {
	return model.TrainSpec{
		Algorithm:  algorithm,
		Params:     map[string]any{"k": 3.0},
		Task:       "classification",
		Target:     "class",
		Features:   []model.Column{{Name: "a", Type: "number"}, {Name: "b", Type: "string"}},
		Validation: model.ValidationSpec{Holdout: 0.2, Seed: 7},
	}
}

// logBuffer collects a Runner's debug log. (Not testenv.SyncBuffer: this
// test binary is also the training child, and importing testenv would link
// FerretDB into it, doubling the child's memory at start.)
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func newRunner(tb testing.TB, o Options) (*Runner, *logBuffer) {
	tb.Helper()
	logs := &logBuffer{}
	// The race detector's runtime lingers a second at exit otherwise.
	o.Env = append(o.Env, "GORACE=atexit_sleep_ms=0")
	o.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return NewRunner(o), logs
}

func randomBytes(tb testing.TB, n int) []byte {
	tb.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestTrainReturnsTheChildsResultAndArtifact(t *testing.T) {
	r, _ := newRunner(t, Options{MemoryLimit: 1 << 30})
	// Far more than a pipe holds: the data must stream, and so must the
	// artifact made of it.
	data := randomBytes(t, 10<<20)
	res, err := r.Train(context.Background(), spec("echo"), bytes.NewReader(data), nil)
	if err != nil {
		t.Fatal(err)
	}
	if sha256.Sum256(res.Artifact) != sha256.Sum256(data) {
		t.Errorf("artifact of %d bytes differs from the %d bytes of data sent", len(res.Artifact), len(data))
	}
	if want := []string{"class", strconv.Itoa(len(data))}; !reflect.DeepEqual(res.Classes, want) {
		t.Errorf("classes = %q, want %q", res.Classes, want)
	}
	if want := echoMetrics(spec("echo")); !reflect.DeepEqual(res.Metrics, want) {
		t.Errorf("metrics = %+v, want %+v", res.Metrics, want)
	}
}

func TestTrainReportsProgressInOrder(t *testing.T) {
	r, _ := newRunner(t, Options{})
	var got []model.Progress
	_, err := r.Train(context.Background(), spec("progress"), strings.NewReader("a,b\n"), func(p model.Progress) {
		got = append(got, p)
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []model.Progress{{Done: 1, Total: 4}, {Done: 2, Total: 4}, {Done: 3, Total: 4}, {Done: 4, Total: 4}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("progress = %v, want %v", got, want)
	}
}

func TestTrainKeepsTheChildsPrintingOutOfTheProtocolAndLogsIt(t *testing.T) {
	r, logs := newRunner(t, Options{})
	res, err := r.Train(context.Background(), spec("print"), strings.NewReader("x,y\n1,2\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if string(res.Artifact) != "x,y\n1,2\n" {
		t.Errorf("artifact = %q, want the data", res.Artifact)
	}
	for _, want := range []string{"junk on stdout", "junk on stderr", "a last line without newline", "training process output"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("debug log lacks %q:\n%s", want, logs)
		}
	}
}

func TestTrainFailures(t *testing.T) {
	tests := []struct {
		algorithm string
		code      string
		want      []string // in the message
	}{
		{"panic", model.CodeTrainFailed, []string{"the training library panicked: boom in fit"}},
		{"gopanic", model.CodeTrainFailed, []string{"exited with status 2", "panic: boom in a goroutine"}},
		{"exit", model.CodeTrainFailed, []string{"exited with status 3", "liblinear: giving up"}},
		{"invalid", model.CodeInvalid, []string{"class b has one row"}},
		{"plain", model.CodeInternal, []string{"disk on fire"}},
	}
	for _, tt := range tests {
		t.Run("a child that does "+tt.algorithm+" fails with code "+tt.code, func(t *testing.T) {
			r, _ := newRunner(t, Options{})
			res, err := r.Train(context.Background(), spec(tt.algorithm), strings.NewReader("a\n1\n"), nil)
			if err == nil {
				t.Fatalf("Train = %+v, want an error", res)
			}
			if got := model.ErrorCode(err); got != tt.code {
				t.Errorf("code = %q, want %q (error %v)", got, tt.code, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestTrainKeepsTheTrainersFieldProblems(t *testing.T) {
	r, _ := newRunner(t, Options{})
	_, err := r.Train(context.Background(), spec("invalid"), strings.NewReader(""), nil)
	var e *model.Error
	if !errors.As(err, &e) || e.Fields["target"] != "too few rows" {
		t.Fatalf("error = %#v, want the field problem on target", err)
	}
}

func TestTrainKillsAChildOverTheMemoryLimit(t *testing.T) {
	r, _ := newRunner(t, Options{MemoryLimit: 100 << 20})
	_, err := r.Train(context.Background(), spec("hog"), strings.NewReader(""), nil)
	if model.ErrorCode(err) != model.CodeTooLarge {
		t.Fatalf("error = %v, want code %s", err, model.CodeTooLarge)
	}
	if want := "training used more than 100 MiB (jobs.train_memory)"; model.ErrorMessage(err) != want {
		t.Errorf("message = %q, want %q", model.ErrorMessage(err), want)
	}
}

func TestTrainStopsWhenCanceled(t *testing.T) {
	r, _ := newRunner(t, Options{})
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	errShutdown := errors.New("worker shutting down")
	var pid, grandchild int
	// The data never ends: Train must not wait for it once canceled.
	_, err := r.Train(ctx, spec("sleep"), endless{}, func(p model.Progress) {
		pid, grandchild = int(p.Done), int(p.Total)
		cancel(errShutdown)
	})
	if !errors.Is(err, context.Canceled) || !errors.Is(err, errShutdown) {
		t.Fatalf("error = %v, want one wrapping context.Canceled and the cause", err)
	}
	if pid == 0 {
		t.Fatal("the child never reported its pid")
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("the child %d is still there (kill 0: %v), want it reaped", pid, err)
	}
	waitDead(t, grandchild)
}

func TestTrainDoesNotStartWhenCanceled(t *testing.T) {
	r, _ := newRunner(t, Options{Executable: "/nonexistent"})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.Train(ctx, spec("echo"), strings.NewReader(""), nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want context.Canceled", err)
	}
}

// endless is data that never ends.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}

// waitDead waits, boundedly, for pid to be gone or a zombie (an orphan's
// new parent may never reap it).
func waitDead(tb testing.TB, pid int) {
	tb.Helper()
	for range 200 {
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return
		}
		if _, after, ok := bytes.Cut(stat, []byte(") ")); ok && bytes.HasPrefix(after, []byte("Z")) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	tb.Errorf("process %d is still running", pid)
	_ = syscall.Kill(pid, syscall.SIGKILL)
}

func TestTrainFailsWhenReadingTheDatasetFails(t *testing.T) {
	r, _ := newRunner(t, Options{})
	errDisk := errors.New("gridfs chunk missing")
	data := io.MultiReader(bytes.NewReader(randomBytes(t, 1<<20)), iotestErrReader{errDisk})
	res, err := r.Train(context.Background(), spec("echo"), data, nil)
	if !errors.Is(err, errDisk) {
		t.Fatalf("Train = %v, %v; want the read error, not a model of part of the data", res, err)
	}
}

type iotestErrReader struct{ err error }

func (e iotestErrReader) Read([]byte) (int, error) { return 0, e.err }

func TestTheChildGetsItsOwnGODEBUGAndMemoryLimit(t *testing.T) {
	before := os.Getenv("GODEBUG")
	r, _ := newRunner(t, Options{MemoryLimit: 1 << 30, Env: []string{"GODEBUG=madvdontneed=1,cgocheck=1"}})
	res, err := r.Train(context.Background(), spec("godebug"), strings.NewReader(""), nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := "madvdontneed=1,cgocheck=0,randseednop=0"; string(res.Artifact) != want {
		t.Errorf("child GODEBUG = %q, want %q", res.Artifact, want)
	}
	if want := "966367638"; res.Classes[0] != want { // 90% of 1GiB
		t.Errorf("child GOMEMLIMIT = %q, want %q", res.Classes[0], want)
	}
	if res.Classes[1] != "" {
		t.Errorf("child still has %s=%q after ServeChild; what it starts would think it is a child too", childEnv, res.Classes[1])
	}
	if after := os.Getenv("GODEBUG"); after != before {
		t.Errorf("parent GODEBUG changed from %q to %q", before, after)
	}
}

func TestTrainSaysWhenTheBinaryDoesNotServeAsAChild(t *testing.T) {
	bin, err := exec.LookPath("true")
	if err != nil {
		t.Skip("no true binary")
	}
	r, _ := newRunner(t, Options{Executable: bin})
	_, err = r.Train(context.Background(), spec("echo"), strings.NewReader("a\n"), nil)
	if err == nil || !strings.Contains(err.Error(), "ServeChild") || model.ErrorCode(err) != model.CodeInternal {
		t.Fatalf("error = %v, want an internal error naming ServeChild", err)
	}
}

func TestTrainReportsAMissingBinary(t *testing.T) {
	r, _ := newRunner(t, Options{Executable: "/nonexistent/mlserve"})
	_, err := r.Train(context.Background(), spec("echo"), strings.NewReader("a\n"), nil)
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("error = %v, want one wrapping os.ErrNotExist", err)
	}
}

func TestTrainRaisesAPanicOfProgressOnTheCallersGoroutine(t *testing.T) {
	r, _ := newRunner(t, Options{})
	defer func() {
		if v := recover(); v != "progress broke" {
			t.Errorf("recovered %v, want the callback's panic", v)
		}
	}()
	_, _ = r.Train(context.Background(), spec("sleep"), strings.NewReader(""), func(model.Progress) { panic("progress broke") })
	t.Error("Train returned, want it to panic")
}
