package logx_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"

	"gitlab.com/mlserve/mlserve/internal/logx"
)

func TestNew(t *testing.T) {
	tests := []struct {
		name, format, level string
		logAt               slog.Level
		want                string // substring of the output; "" means nothing written
	}{
		{"json at info writes a JSON line", "json", "info", slog.LevelInfo, `"msg":"hello"`},
		{"text at info writes a text line", "text", "INFO", slog.LevelInfo, `msg=hello`},
		{"info drops debug records", "json", "info", slog.LevelDebug, ""},
		{"debug keeps debug records", "json", "debug", slog.LevelDebug, `"level":"DEBUG"`},
		{"error drops warnings", "text", "error", slog.LevelWarn, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			l, err := logx.New(&buf, tt.format, tt.level)
			if err != nil {
				t.Fatal(err)
			}
			l.Log(t.Context(), tt.logAt, "hello", "k", 1)
			if tt.want == "" && buf.Len() != 0 || !strings.Contains(buf.String(), tt.want) {
				t.Fatalf("output %q, want %q", buf.String(), tt.want)
			}
		})
	}
}

func TestNewRejectsUnknownNames(t *testing.T) {
	if _, err := logx.New(os.Stderr, "xml", "info"); err == nil || !strings.Contains(err.Error(), `"xml" unknown`) {
		t.Fatalf("format xml: error = %v", err)
	}
	if _, err := logx.New(os.Stderr, "json", "loud"); err == nil || !strings.Contains(err.Error(), `"loud" unknown`) {
		t.Fatalf("level loud: error = %v", err)
	}
}

func TestAsynqLogsThroughSlog(t *testing.T) {
	var buf bytes.Buffer
	l, err := logx.New(&buf, "json", "info")
	if err != nil {
		t.Fatal(err)
	}
	a := logx.Asynq(l)
	a.Debug("dropped")
	a.Info("processing ", 3, " tasks")
	a.Warn("slow")
	a.Error("broken")

	var got []string
	for line := range strings.Lines(buf.String()) {
		var rec struct{ Level, Msg string }
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		got = append(got, rec.Level+" "+rec.Msg)
	}
	want := []string{"INFO processing 3 tasks", "WARN slow", "ERROR broken"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("records %q, want %q", got, want)
	}
}

// TestAsynqFatalLogsAndExitsWithStatusOne runs itself in a child process, since Fatal exits.
func TestAsynqFatalLogsAndExitsWithStatusOne(t *testing.T) {
	if os.Getenv("LOGX_FATAL_CHILD") == "1" {
		l, _ := logx.New(os.Stderr, "json", "info")
		logx.Asynq(l).Fatal("cannot go on")
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestAsynqFatalLogsAndExitsWithStatusOne$")
	cmd.Env = append(os.Environ(), "LOGX_FATAL_CHILD=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("child exited with %v, want status 1", err)
	}
	if !strings.Contains(stderr.String(), `"level":"ERROR","msg":"cannot go on"`) {
		t.Fatalf("child stderr %q lacks the fatal record", stderr.String())
	}
}

func TestAtLeastWarnPassesOnlyWarningsAndErrors(t *testing.T) {
	var buf bytes.Buffer
	l, err := logx.New(&buf, "text", "debug")
	if err != nil {
		t.Fatal(err)
	}
	q := logx.AtLeast(l, slog.LevelWarn).With("component", "ferretdb").WithGroup("g")
	q.Debug("d")
	q.Info("i")
	q.Warn("w", "k", 1)
	q.Error("e")
	out := buf.String()
	if strings.Contains(out, "msg=d") || strings.Contains(out, "msg=i") {
		t.Fatalf("quiet logger let debug or info through: %q", out)
	}
	if !strings.Contains(out, "msg=w component=ferretdb g.k=1") || !strings.Contains(out, "msg=e") {
		t.Fatalf("quiet logger dropped warnings or errors, or lost attrs: %q", out)
	}
}

func TestAtLeastKeepsTheInnerLevel(t *testing.T) {
	var buf bytes.Buffer
	l, err := logx.New(&buf, "text", "error")
	if err != nil {
		t.Fatal(err)
	}
	logx.AtLeast(l, slog.LevelDebug).Warn("w")
	if buf.Len() != 0 {
		t.Fatalf("a lower minimum let through what the inner handler drops: %q", buf.String())
	}
}

// formatCounter counts how often a value is formatted.
type formatCounter struct{ n *int }

func (c formatCounter) LogValue() slog.Value { *c.n++; return slog.StringValue("x") }

func TestAtLeastFormatsTheAttrsOfDroppedRecordsNever(t *testing.T) {
	var buf bytes.Buffer
	l, err := logx.New(&buf, "json", "debug")
	if err != nil {
		t.Fatal(err)
	}
	formatted := 0
	q := logx.AtLeast(l, slog.LevelError)
	for range 3 {
		q.With("args", formatCounter{&formatted}).Debug("statement")
	}
	if formatted != 0 {
		t.Fatalf("attrs of dropped records were formatted %d times", formatted)
	}
	a := q.With("a", 1)
	a.With("b", 2).Error("first")
	a.With("c", 3).Error("second")
	if out := buf.String(); !strings.Contains(out, `"a":1,"b":2`) || !strings.Contains(out, `"a":1,"c":3`) || strings.Contains(out, `"b":2,"c"`) {
		t.Fatalf("derived loggers mixed their attrs: %s", out)
	}
}
